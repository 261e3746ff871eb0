"""TAK out: alerts (level, factors, links to the alert and its snapshots), the fused picture's
targets and zones as Cursor-on-Target to TAK servers (TCP or TLS) and multicast groups (UDP),
for patrol crews' ATAK/iTAK/WinTAK devices.

Each output has its own sender thread and a bounded queue: a TAK server that is down costs
queued markers (counted, oldest dropped), never the alerts stage. A TCP/TLS link reconnects
with backoff and re-sends the zones on every (re)connection and every `zones_every_s`; target
markers go out every `tracks_every_s` (alerts/tak_tracks.py).
Silenced alerts and those below the output's `min_level` are not sent; a resolved alert is
sent once more with its state, so crews see it handled.
"""

from __future__ import annotations

import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import structlog
from psycopg_pool import ConnectionPool

from alerts.scoring import LEVEL_ORDER
from alerts.tak_tracks import TrackMarkers
from shorewatch.config.tak import TakOutput
from shorewatch.cot import Protocol, alert_event, encode, zone_event
from shorewatch.events import Alert, Message, PictureUpdate
from shorewatch.store.events_repo import EventsRepo
from shorewatch.zones import Zone

log = structlog.get_logger(__name__)
QUEUE_SIZE = 1000


@dataclass(frozen=True)
class Periodic:
    """Markers an output re-sends on every connection and then every `every_s`."""

    every_s: float
    build: Callable[[], list[bytes]]


class TakSender:
    """One output: a thread writing queued CoT to a TCP/TLS stream or UDP datagrams."""

    def __init__(self, config: TakOutput, periodic: Sequence[Periodic]) -> None:
        self.config = config
        parts = urlsplit(config.url)
        self._scheme = parts.scheme
        self._addr = (parts.hostname or "", parts.port or 0)
        self._protocol = Protocol(config.protocol)
        self._periodic = periodic
        self._queue: queue.Queue[bytes] = queue.Queue(QUEUE_SIZE)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"tak-{config.url}", daemon=True)
        self.sent = 0
        self.dropped = 0
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def send(self, xml: str) -> None:
        data = encode(xml, self._protocol)
        while True:
            try:
                self._queue.put_nowait(data)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()  # the oldest marker is the least worth sending
                    self.dropped += 1
                except queue.Empty:
                    pass

    def _run(self) -> None:
        if self._scheme == "udp":
            self._run_udp()
        else:
            self._run_stream()

    def _run_udp(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 4)
            self.connected.set()
            due = [0.0] * len(self._periodic)
            while not self._stop.is_set():
                self._periodic_due(due, lambda d: sock.sendto(d, self._addr))
                data = self._next()
                if data is not None:
                    sock.sendto(data, self._addr)
                    self.sent += 1

    def _run_stream(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    self.connected.set()
                    delay = 0.5
                    log.info("TAK server connected", url=self.config.url)
                    self._pump(conn)
            except OSError as exc:
                log.warning(
                    "TAK server unavailable; retrying",
                    url=self.config.url,
                    error=str(exc),
                    retry_in_s=delay,
                )
            self.connected.clear()
            self._stop.wait(delay)
            delay = min(delay * 2, self.config.reconnect_max_s)

    def _connect(self) -> socket.socket:
        raw = socket.create_connection(self._addr, timeout=5)
        if self._scheme != "tls":
            return raw
        context = ssl.create_default_context(
            cafile=str(self.config.ca_file) if self.config.ca_file else None
        )
        if self.config.cert_file is not None:
            key = str(self.config.key_file) if self.config.key_file else None
            context.load_cert_chain(str(self.config.cert_file), key)
        return context.wrap_socket(raw, server_hostname=self._addr[0])

    def _pump(self, conn: socket.socket) -> None:
        due = [0.0] * len(self._periodic)  # at once on every connection: a fresh server knows none
        while not self._stop.is_set():
            self._periodic_due(due, conn.sendall)
            data = self._next()
            if data is not None:
                conn.sendall(data)
                self.sent += 1

    def _periodic_due(self, due: list[float], write: Callable[[bytes], object]) -> None:
        for index, periodic in enumerate(self._periodic):
            now = time.monotonic()
            if now < due[index]:
                continue
            for data in periodic.build():
                write(data)
                self.sent += 1
            due[index] = now + periodic.every_s

    def _next(self) -> bytes | None:
        try:
            return self._queue.get(timeout=0.2)
        except queue.Empty:
            return None


class TakOut:
    """Bus handler for alerts (each one a CoT marker on every output that wants it) and for the
    picture (its targets' markers, sent periodically by each output's sender)."""

    def __init__(
        self,
        outputs: Sequence[TakOutput],
        pool: ConnectionPool,
        events: EventsRepo,
        zones: Sequence[Zone],
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._events = events
        self._zones = zones
        self._clock = clock
        self.tracks = TrackMarkers(clock)
        self.senders = [
            TakSender(
                o,
                [
                    Periodic(o.zones_every_s, self._zone_bytes(o)),
                    Periodic(o.tracks_every_s, self._track_bytes(o)),
                ],
            )
            for o in outputs
        ]

    def _track_bytes(self, output: TakOutput) -> Callable[[], list[bytes]]:
        return lambda: self.tracks.markers(output)

    def _zone_bytes(self, output: TakOutput) -> Callable[[], list[bytes]]:
        protocol = Protocol(output.protocol)

        def build() -> list[bytes]:
            now = self._clock()
            return [
                encode(zone_event(z, now, stale_s=output.zones_every_s * 2), protocol)
                for z in self._zones
            ]

        return build

    def start(self) -> None:
        for sender in self.senders:
            sender.start()

    def stop(self) -> None:
        for sender in self.senders:
            sender.stop()

    def on_picture(self, message: Message) -> None:
        if isinstance(message, PictureUpdate):
            self.tracks.on_picture(message)

    def on_message(self, message: Message) -> None:
        if not isinstance(message, Alert):
            return
        self.tracks.on_alert(message)
        if message.silenced:
            return
        wanting = [
            s
            for s in self.senders
            if LEVEL_ORDER.index(message.level) >= LEVEL_ORDER.index(s.config.min_level)
        ]
        if not wanting:
            return
        evidence = self._evidence(message)
        now = self._clock()
        for sender in wanting:
            sender.send(
                alert_event(
                    message,
                    now,
                    stale_s=sender.config.stale_s,
                    evidence=evidence,
                    link_base=sender.config.link_base,
                )
            )

    def _evidence(self, alert: Alert) -> tuple[str, ...]:
        """The snapshots of the alert's events (camera sightings), for the crews to look at."""
        try:
            with self._pool.connection() as conn:
                events = self._events.list_for_alert(conn, list(alert.event_ids))
        except Exception:
            log.exception("alert evidence not read for TAK", alert=str(alert.id))
            return ()
        return tuple(url for e in events for url in e.evidence)
