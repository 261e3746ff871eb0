"""The MQTT bus: typed publish/subscribe, QoS 1, reconnect, and a last-will status.

Handlers run on one worker thread per subscription, never on paho's network thread, so a slow
consumer (a database write) cannot stall keep-alives or other subscriptions.
"""

from __future__ import annotations

import queue
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlparse

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import BaseModel, ValidationError

from shorewatch.events import MESSAGE_ADAPTER, ComponentStatus, Message
from shorewatch.logs import RateLimitedLog
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics

QOS = 1
log = structlog.get_logger(__name__)
RawHandler = Callable[[str, bytes], None]
MessageHandler = Callable[[Message], None]


class BusError(RuntimeError):
    """The broker could not be reached or refused us."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    protocol: MQTTProtocolVersion
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """`mqtt[s]://[user:pass@]host[:port][?version=3.1.1][&ca=…&cert=…&key=…]`; MQTT 5
        unless asked otherwise; `mqtts` is TLS (port 8883 by default), verified against `ca`
        or the system's trust store; user and password percent-encoded."""
        parsed = urlparse(url)
        tls = parsed.scheme in ("mqtts", "ssl")
        if parsed.scheme not in ("mqtt", "tcp", "mqtts", "ssl") or not parsed.hostname:
            raise BusError("broker URL must look like mqtt://host:1883 or mqtts://host:8883")
        query = parse_qs(parsed.query)
        version = query.get("version", ["5"])[0]
        protocol = mqtt.MQTTv311 if version in ("3.1.1", "311", "4") else mqtt.MQTTv5
        files = {k: query[k][0] if k in query else None for k in ("ca", "cert", "key")}
        if not tls and any(files.values()):
            raise BusError("ca, cert and key options need an mqtts:// broker URL")
        return cls(
            parsed.hostname,
            parsed.port or (8883 if tls else 1883),
            protocol,
            None if parsed.username is None else unquote(parsed.username),
            None if parsed.password is None else unquote(parsed.password),
            tls,
            files["ca"],
            files["cert"],
            files["key"],
        )


class _Subscription:
    """A queue and a worker thread that hands messages to one handler, in order."""

    def __init__(self, name: str, handler: RawHandler, maxsize: int) -> None:
        self.queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=maxsize)
        self._handler = handler
        self._thread = threading.Thread(target=self._run, name=f"bus-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            try:
                self._handler(*item)
            except Exception:
                log.exception("bus handler failed", topic=item[0])
            finally:
                self.queue.task_done()
        self.queue.task_done()

    def stop(self) -> None:
        self.queue.put(None)
        self._thread.join(timeout=5)


class _PublishWindow:
    """Bounds our unacknowledged QoS 1 publishes, so a burst (a replayed file, a feed that
    reconnects with a backlog) is paced by the broker instead of overrunning the queues it
    keeps for subscribers, which Mosquitto and EMQX drop from when full."""

    def __init__(self, size: int) -> None:
        self._slots = threading.Semaphore(size)
        self._lock = threading.Lock()
        self._pending: set[int] = set()
        self._unpaced: set[int] = set()
        self._early: set[int] = set()

    def acquire(self, timeout_s: float) -> bool:
        return self._slots.acquire(timeout=timeout_s)

    def sent(self, mid: int) -> None:
        with self._lock:
            if mid in self._early:
                self._early.discard(mid)
                self._slots.release()
            else:
                self._pending.add(mid)

    def sent_unpaced(self, mid: int) -> None:
        """A message published without a slot (broker away): its ack must not free one."""
        with self._lock:
            if mid in self._early:
                self._early.discard(mid)
            else:
                self._unpaced.add(mid)

    def acked(self, mid: int) -> None:
        with self._lock:
            if mid in self._pending:
                self._pending.discard(mid)
                self._slots.release()
            elif mid in self._unpaced:
                self._unpaced.discard(mid)
            else:  # acknowledged before publish() returned its id
                self._early.add(mid)

    def unsent(self) -> None:
        self._slots.release()


class Bus:
    def __init__(
        self,
        url: str,
        component: str,
        topics: Topics,
        metrics: Metrics,
        *,
        queue_size: int = 10_000,
        publish_window: int = 200,
    ) -> None:
        self.address = BrokerAddress.parse(url)
        self.component = component
        self.topics = topics
        self._metrics = metrics
        self._queue_size = queue_size
        self._subs: dict[str, list[_Subscription]] = {}
        self._connected = threading.Event()
        self._rejections = RateLimitedLog("shorewatch.bus")
        self._window = _PublishWindow(publish_window)
        self._window_wait_s = 5.0
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"{component}-{id(self):x}",
            protocol=self.address.protocol,
        )
        if self.address.username:
            self._client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self._set_tls()
        self._refusal: str | None = None
        self._answered = threading.Event()
        self._client.max_inflight_messages_set(1000)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        offline = ComponentStatus(component=component, online=False).model_dump_json()
        self._client.will_set(topics.status(component), offline, qos=QOS, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish

    def _set_tls(self) -> None:
        try:
            self._client.tls_set(
                ca_certs=self.address.ca_file,
                certfile=self.address.cert_file,
                keyfile=self.address.key_file,
            )
        except (OSError, ValueError) as exc:
            raise BusError(f"cannot load the MQTT TLS files: {exc}") from exc

    def connect(self, timeout_s: float = 10.0) -> None:
        where = f"{self.address.host}:{self.address.port}"
        try:
            self._client.connect(self.address.host, self.address.port, keepalive=30)
        except ssl.SSLError as exc:
            raise BusError(
                f"TLS with MQTT broker {where} failed: {exc} (is SHOREWATCH_MQTT_CA_FILE the CA "
                "that signed the broker's certificate, and its name the one in the URL?)"
            ) from exc
        except OSError as exc:
            raise BusError(f"cannot reach MQTT broker {where}: {exc}") from exc
        self._client.loop_start()
        if not self._answered.wait(timeout_s) or not self._connected.is_set():
            self._client.loop_stop()
            if self._refusal is not None:
                raise BusError(
                    f"MQTT broker {where} refused us: {self._refusal} (check "
                    "SHOREWATCH_MQTT_USERNAME / SHOREWATCH_MQTT_PASSWORD and the broker's ACL)"
                )
            raise BusError(f"MQTT broker {where} did not accept")

    def close(self) -> None:
        if self._connected.is_set():
            online = ComponentStatus(component=self.component, online=False)
            self.publish(self.topics.status(self.component), online, retain=True).wait_for_publish(
                timeout=2
            )
        self._client.disconnect()
        self._client.loop_stop()
        for handlers in self._subs.values():
            for sub in handlers:
                sub.stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def publish(
        self, topic: str, message: BaseModel, *, retain: bool = False
    ) -> mqtt.MQTTMessageInfo:
        info = self._paced_publish(topic, message.model_dump_json().encode(), retain)
        self._metrics.published.labels(kind=getattr(message, "type", "other")).inc()
        return info

    def publish_raw(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        return self._paced_publish(topic, payload, False)

    def _paced_publish(self, topic: str, payload: bytes, retain: bool) -> mqtt.MQTTMessageInfo:
        wait_s = self._window_wait_s if self._connected.is_set() else 0.0
        if not self._window.acquire(wait_s):
            # The broker is away or not acknowledging: paho keeps the message queued and resends
            # it on reconnect, so we go on rather than block ingest until it returns.
            self._metrics.bus_unpaced.inc()
            info = self._client.publish(topic, payload, qos=QOS, retain=retain)
            self._window.sent_unpaced(info.mid)
            return info
        try:
            info = self._client.publish(topic, payload, qos=QOS, retain=retain)
        except BaseException:
            self._window.unsent()
            raise
        self._window.sent(info.mid)
        return info

    def subscribe_raw(self, topic_filter: str, handler: RawHandler) -> None:
        """Deliver payload bytes as they came; for raw sensor feeds that are not our JSON."""
        sub = _Subscription(topic_filter, handler, self._queue_size)
        handlers = self._subs.setdefault(topic_filter, [])
        handlers.append(sub)
        if len(handlers) > 1:
            return  # the filter's callback below already fans out to every handler

        def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
            item = (msg.topic, bytes(msg.payload))
            for each in handlers:
                each.queue.put(item)

        self._client.message_callback_add(topic_filter, on_message)
        if self._connected.is_set():
            self._client.subscribe(topic_filter, qos=QOS)

    def subscribe(self, topic_filter: str, handler: MessageHandler) -> None:
        """Deliver validated schema messages; anything else is counted and logged, not raised."""

        def decode(topic: str, payload: bytes) -> None:
            try:
                message = MESSAGE_ADAPTER.validate_json(payload)
            except ValidationError as exc:
                reason = "invalid_json" if _is_json_error(exc) else "schema"
                kind = topic.removeprefix(self.topics.root + "/").split("/", 1)[0]
                self._metrics.bus_rejected.labels(topic_kind=kind, reason=reason).inc()
                self._rejections.warning(
                    f"bus:{reason}",
                    "bus message refused",
                    topic=topic,
                    reason=reason,
                    error=str(exc.errors()[0]["msg"]) if exc.errors() else str(exc),
                )
                return
            handler(message)

        self.subscribe_raw(topic_filter, decode)

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait until every subscription queue is empty; for orderly shutdown and tests."""
        done = threading.Event()

        def wait_all() -> None:
            for handlers in list(self._subs.values()):
                for sub in handlers:
                    sub.queue.join()
            done.set()

        threading.Thread(target=wait_all, daemon=True).start()
        return done.wait(timeout_s)

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: object,
        _flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.error("broker refused connection", reason=str(reason))
            self._refusal = str(reason)
            self._answered.set()
            return
        sock = client.socket()
        if isinstance(sock, socket.socket):
            # Small JSON messages: without this, Nagle holds each behind the previous one's ACK
            # (~40 ms of event-to-alert latency at low rates, measured by bench/alerts.py).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for topic_filter in self._subs:
            client.subscribe(topic_filter, qos=QOS)
        online = ComponentStatus(component=self.component, online=True).model_dump_json()
        client.publish(self.topics.status(self.component), online, qos=QOS, retain=True)
        self._connected.set()
        self._answered.set()
        log.info("bus connected", component=self.component, broker=self.address.host)

    def _on_publish(
        self,
        _client: mqtt.Client,
        _userdata: object,
        mid: int,
        _reason: ReasonCode,
        _props: Properties,
    ) -> None:
        self._window.acked(mid)

    def _on_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        self._connected.clear()
        if reason.value != 0:
            log.warning("bus disconnected; reconnecting", reason=str(reason))


def _is_json_error(exc: ValidationError) -> bool:
    return any(err["type"] == "json_invalid" for err in exc.errors())
