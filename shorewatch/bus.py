"""The MQTT bus: typed publish/subscribe, QoS 1, durable sessions, ack after the work is done,
reconnect, and a last-will status.

Handlers run on one worker thread per subscription, never on paho's network thread, which only
appends to their queues: a slow consumer (a database write) cannot stall keep-alives, publish
acknowledgements or other subscriptions. Back-pressure is by not acknowledging: the broker sends
a connection at most its receive maximum of unacknowledged messages, and keeps the rest.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlparse

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import BaseModel, ValidationError

from shorewatch.bus_delivery import (
    Deliver,
    DeliverMany,
    Delivery,
    PublishAcks,
    PublishWindow,
    Subscription,
    handling,
)
from shorewatch.events import (
    MESSAGE_ADAPTER,
    AlertBatch,
    ComponentStatus,
    EventBatch,
    Message,
    ObservationBatch,
)
from shorewatch.logs import RateLimitedLog
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics

QOS = 1
log = structlog.get_logger(__name__)
RawHandler = Callable[[str, bytes], None]
MessageHandler = Callable[[Message], None]
DurableHandler = Callable[[Message, Callable[[], None]], None]


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

    @property
    def shared_subscriptions(self) -> bool:
        """`$share/...` needs MQTT 5."""
        return self.protocol == mqtt.MQTTv5

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


@dataclass
class _Filter:
    """One broker subscription: the filter the broker knows (maybe `$share/...`), the topics it
    matches, and the handlers of this process that take its messages."""

    broker_filter: str
    match: str
    handlers: list[Subscription]


Batch = ObservationBatch | EventBatch | AlertBatch
"""Messages that carry many: handed to subscribers item by item, counted as what they carry."""


def count_published(metrics: Metrics, message: BaseModel) -> None:
    """`shorewatch_published_total` by kind; a batch counts as what it carries, once per kind
    (not a `labels().inc()` per item: measurable at ingest's rates)."""
    if isinstance(message, Batch):
        for kind, count in Counter(item.type for item in message.items).items():
            metrics.published.labels(kind=kind).inc(count)
    else:
        metrics.published.labels(kind=getattr(message, "type", "other")).inc()


class Bus:
    """One MQTT connection. With a `client_id` and `session_expiry_s` > 0 its session outlives
    a restart: the broker keeps its subscriptions and queues their messages while it is away.
    Every received message is acknowledged only when its handlers are done (see `Delivery`)."""

    def __init__(
        self,
        url: str,
        component: str,
        topics: Topics,
        metrics: Metrics,
        *,
        client_id: str | None = None,
        session_expiry_s: int = 0,
        receive_maximum: int = 100,
        queue_size: int = 10_000,
        publish_window: int = 200,
        keepalive_s: int = 30,
    ) -> None:
        self.address = BrokerAddress.parse(url)
        self.component = component
        self.topics = topics
        self.client_id = client_id or f"{component}-{id(self):x}"
        self._metrics = metrics
        self._queue_size = queue_size
        self._session_expiry_s = session_expiry_s
        self._receive_maximum = receive_maximum
        self._keepalive_s = keepalive_s
        self._filters: dict[str, _Filter] = {}
        self._routes: dict[str, list[Subscription]] = {}
        self._routes_lock = threading.Lock()
        self._connected = threading.Event()
        self._generation = 0
        self._unacked = 0
        self._unacked_lock = threading.Lock()
        self._unacked_gauge = metrics.bus_unacked.labels(component=component)
        self._rejections = RateLimitedLog("shorewatch.bus")
        self._window = PublishWindow(publish_window)
        self._window_wait_s = 5.0
        self._acks = PublishAcks()
        v5 = self.address.protocol == mqtt.MQTTv5
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=self.address.protocol,
            clean_session=None if v5 else session_expiry_s == 0,
            manual_ack=True,
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
        self._client.on_message = self._on_message

    def _set_tls(self) -> None:
        try:
            self._client.tls_set(
                ca_certs=self.address.ca_file,
                certfile=self.address.cert_file,
                keyfile=self.address.key_file,
            )
        except (OSError, ValueError) as exc:
            raise BusError(f"cannot load the MQTT TLS files: {exc}") from exc

    def connect(self, timeout_s: float = 10.0, *, wait: bool = True) -> None:
        """`wait=False`: go on without the broker and let paho keep trying (ingest, whose
        outbox spools to disk meanwhile, must start and accept while the broker is away)."""
        where = f"{self.address.host}:{self.address.port}"
        connect = self._client.connect if wait else self._client.connect_async
        try:
            if self.address.protocol == mqtt.MQTTv5:
                props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho: unannotated
                props.SessionExpiryInterval = self._session_expiry_s
                props.ReceiveMaximum = self._receive_maximum
                connect(
                    self.address.host,
                    self.address.port,
                    keepalive=self._keepalive_s,
                    clean_start=self._session_expiry_s == 0,
                    properties=props,
                )
            else:
                connect(self.address.host, self.address.port, keepalive=self._keepalive_s)
        except ssl.SSLError as exc:
            raise BusError(
                f"TLS with MQTT broker {where} failed: {exc} (is SHOREWATCH_MQTT_CA_FILE the CA "
                "that signed the broker's certificate, and its name the one in the URL?)"
            ) from exc
        except OSError as exc:
            raise BusError(f"cannot reach MQTT broker {where}: {exc}") from exc
        self._client.loop_start()
        if not wait:
            return
        if not self._answered.wait(timeout_s) or not self._connected.is_set():
            self._client.loop_stop()
            if self._refusal is not None:
                raise BusError(
                    f"MQTT broker {where} refused us: {self._refusal} (check "
                    "SHOREWATCH_MQTT_USERNAME / SHOREWATCH_MQTT_PASSWORD and the broker's ACL)"
                )
            raise BusError(f"MQTT broker {where} did not accept")

    def close(self) -> None:
        """Orderly: the session stays with the broker for the next start of this instance."""
        if self._connected.is_set():
            online = ComponentStatus(component=self.component, online=False)
            self.publish(self.topics.status(self.component), online, retain=True).wait_for_publish(
                timeout=2
            )
        self._client.disconnect()
        self._client.loop_stop()
        for each in self._filters.values():
            for sub in each.handlers:
                sub.stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def publish(
        self, topic: str, message: BaseModel, *, retain: bool = False
    ) -> mqtt.MQTTMessageInfo:
        info = self._paced_publish(topic, message.model_dump_json().encode(), retain)
        count_published(self._metrics, message)
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
        else:
            try:
                info = self._client.publish(topic, payload, qos=QOS, retain=retain)
            except BaseException:
                self._window.unsent()
                raise
            self._window.sent(info.mid)
        if handling.deliveries:
            # Published while handling messages: those are acknowledged after this is.
            self._acks.watch(info.mid, handling.deliveries)
        return info

    def subscribe_raw(
        self, topic_filter: str, handler: RawHandler, *, share: str | None = None
    ) -> None:
        """Deliver payload bytes as they came; for raw sensor feeds that are not our JSON."""

        def deliver(topic: str, payload: bytes, _delivery: Delivery) -> None:
            handler(topic, payload)

        self._add(topic_filter, deliver, share)

    def subscribe(
        self,
        topic_filter: str,
        handler: MessageHandler,
        *,
        share: str | None = None,
        batches: bool = False,
    ) -> None:
        """Deliver validated schema messages; anything else is counted and logged, not raised.
        A batch (of sensor reports, of events, of alerts) reaches the handler item by item unless
        `batches`.
        `share`: an MQTT 5 shared-subscription group; its members split the stream."""

        def deliver(topic: str, payload: bytes, _delivery: Delivery) -> None:
            message = self._decode(topic, payload)
            if message is None:
                return
            if isinstance(message, Batch) and not batches:
                for item in message.items:
                    handler(item)
            else:
                handler(message)

        self._add(topic_filter, deliver, share)

    def subscribe_many(
        self,
        topic_filter: str,
        handler: Callable[[list[Message]], None],
        *,
        share: str | None = None,
        max_batch: int = 500,
    ) -> None:
        """Like `subscribe`, but the handler takes whatever has queued up (up to `max_batch`
        messages, a batch's items counted as one) in one call, for work that is cheaper in one
        transaction than in many."""

        def deliver_many(items: list[tuple[str, bytes]]) -> None:
            messages: list[Message] = []
            for topic, payload in items:
                message = self._decode(topic, payload)
                if isinstance(message, Batch):
                    messages.extend(message.items)
                elif message is not None:
                    messages.append(message)
            if messages:
                handler(messages)

        self._add(topic_filter, None, share, deliver_many=deliver_many, max_batch=max_batch)

    def subscribe_durable(
        self, topic_filter: str, handler: DurableHandler, *, share: str | None = None
    ) -> None:
        """For work that becomes durable later (the recorder's COPY): the handler gets the
        message and a `done` to call once; the message is acknowledged only after that."""

        def deliver(topic: str, payload: bytes, delivery: Delivery) -> None:
            message = self._decode(topic, payload)
            if message is None:
                return
            delivery.hold()
            handler(message, delivery.release)

        self._add(topic_filter, deliver, share)

    def _decode(self, topic: str, payload: bytes) -> Message | None:
        try:
            return MESSAGE_ADAPTER.validate_json(payload)
        except ValidationError as exc:
            reason = "invalid_json" if _is_json_error(exc) else "schema"
            self._refused(topic, reason, exc)
            return None

    def _refused(self, topic: str, reason: str, exc: Exception | None = None) -> None:
        kind = topic.removeprefix(self.topics.root + "/").split("/", 1)[0]
        self._metrics.bus_rejected.labels(topic_kind=kind, reason=reason).inc()
        error = str(exc.errors()[0]["msg"]) if isinstance(exc, ValidationError) else str(exc)
        self._rejections.warning(
            f"bus:{reason}", "bus message refused", topic=topic, reason=reason, error=error
        )

    def _add(
        self,
        topic_filter: str,
        deliver: Deliver | None,
        share: str | None,
        *,
        deliver_many: DeliverMany | None = None,
        max_batch: int = 1,
    ) -> None:
        broker_filter = f"$share/{share}/{topic_filter}" if share else topic_filter
        sub = Subscription(
            topic_filter,
            deliver,
            lambda topic: self._refused(topic, "handler_failed"),
            deliver_many=deliver_many,
            max_batch=max_batch,
        )
        with self._routes_lock:
            entry = self._filters.get(broker_filter)
            if entry is None:
                entry = self._filters[broker_filter] = _Filter(broker_filter, topic_filter, [])
                new = True
            else:
                new = False
            entry.handlers.append(sub)
            self._routes.clear()
        if new and self._connected.is_set():
            self._client.subscribe(broker_filter, qos=QOS)

    def _route(self, topic: str) -> list[Subscription]:
        with self._routes_lock:
            subs = self._routes.get(topic)
            if subs is None:
                subs = [
                    sub
                    for entry in self._filters.values()
                    if mqtt.topic_matches_sub(entry.match, topic)
                    for sub in entry.handlers
                ]
                if len(self._routes) < 10_000:
                    self._routes[topic] = subs
            return subs

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        """On paho's network thread: never blocks, only hands the message on."""
        subs = self._route(msg.topic)
        if msg.qos == 0 and any(s.queue.qsize() >= self._queue_size for s in subs):
            self._refused(msg.topic, "queue_full")  # QoS 0: the sender accepted the loss
            subs = []
        delivery = Delivery(self._finished, msg.mid, msg.qos, self._generation, len(subs) + 1)
        if msg.qos > 0:
            with self._unacked_lock:
                self._unacked += 1
                self._unacked_gauge.set(self._unacked)
        item = (msg.topic, bytes(msg.payload), delivery)
        for sub in subs:
            sub.queue.put_nowait(item)
        delivery.release()

    def _finished(self, delivery: Delivery) -> None:
        if delivery.qos == 0:
            return
        with self._unacked_lock:
            self._unacked -= 1
            self._unacked_gauge.set(self._unacked)
        # A message from an earlier connection is not acknowledged on this one: the broker
        # redelivers it (a duplicate our writes absorb), as it should for an unfinished one.
        if delivery.generation == self._generation and self._connected.is_set():
            self._client.ack(delivery.mid, delivery.qos)

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait until every subscription queue is empty; for orderly shutdown and tests."""
        done = threading.Event()

        def wait_all() -> None:
            for entry in list(self._filters.values()):
                for sub in entry.handlers:
                    sub.queue.join()
            done.set()

        threading.Thread(target=wait_all, daemon=True).start()
        return done.wait(timeout_s)

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.error("broker refused connection", reason=str(reason))
            self._refusal = str(reason)
            self._answered.set()
            return
        self._generation += 1
        sock = client.socket()
        if isinstance(sock, socket.socket):
            # Small JSON messages: without this, Nagle holds each behind the previous one's ACK
            # (~40 ms of event-to-alert latency at low rates, measured by bench/alerts.py).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for broker_filter in list(self._filters):
            client.subscribe(broker_filter, qos=QOS)
        online = ComponentStatus(component=self.component, online=True).model_dump_json()
        client.publish(self.topics.status(self.component), online, qos=QOS, retain=True)
        self._connected.set()
        self._answered.set()
        log.info(
            "bus connected",
            component=self.component,
            client_id=self.client_id,
            broker=self.address.host,
            session_present=flags.session_present,
        )

    def _on_publish(
        self,
        _client: mqtt.Client,
        _userdata: object,
        mid: int,
        _reason: ReasonCode,
        _props: Properties,
    ) -> None:
        self._window.acked(mid)
        self._acks.acked(mid)

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
