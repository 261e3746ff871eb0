"""Ingest's write-ahead outbox: every observation batch goes to the disk spool first and is
published from there, in order, while the broker is connected; a record leaves the spool when
the broker has acknowledged it (QoS 1 PUBACK).

So what ingest accepted survives a broker outage (the spool grows, bounded, instead of paho's
memory) and a `kill -9` of ingest (the restarted process publishes what the broker had not
acknowledged). A record published twice — the broker acknowledged it but the kill came before
the acknowledgement was saved — is a duplicate the recorder's idempotent writes absorb.

A broker may acknowledge a message before it has saved it (Mosquitto 2.0 saves between loop
turns, so a `kill -9` of it loses the last few it acknowledged: measured, 2 of 2,615). After
every reconnect the outbox therefore publishes again what the broker acknowledged in the last
`replay_s` before it went away; the duplicates are absorbed downstream.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

import paho.mqtt.client as mqtt
import structlog
from pydantic import BaseModel

from shorewatch.bus import Bus, count_published
from shorewatch.metrics import Metrics
from shorewatch.spool import Spool

log = structlog.get_logger(__name__)


@dataclass
class _InFlight:
    seq: int
    info: mqtt.MQTTMessageInfo
    sent_at: float
    record: bytes


class Outbox:
    RESEND_S = 10.0  # a publish not acknowledged this long while connected is sent again
    IDLE_WAIT_S = 0.1
    BUSY_WAIT_S = 0.002

    def __init__(
        self, bus: Bus, spool: Spool, metrics: Metrics, *, inflight: int, replay_s: float = 2.0
    ) -> None:
        self._bus = bus
        self._spool = spool
        self._metrics = metrics
        self._max_inflight = inflight
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._inflight: deque[_InFlight] = deque()
        self._sent_upto = spool.floor
        self._replay_s = replay_s
        self._recent: deque[tuple[float, bytes]] = deque()  # acknowledged: (when, record)
        self._was_connected = False
        self.replayed = 0
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def send(self, topic: str, message: BaseModel) -> None:
        """Durable (against a crash of this process) when this returns."""
        self._spool.append(topic.encode() + b"\n" + message.model_dump_json().encode())
        count_published(self._metrics, message)  # as Bus.publish counts it
        with self._wake:
            self._wake.notify()

    def close(self, drain_s: float = 5.0) -> None:
        """Give the broker a moment to take what is spooled; the rest waits on disk."""
        deadline = time.monotonic() + drain_s
        while self._bus.connected and self._spool.stats().records and time.monotonic() < deadline:
            time.sleep(0.02)
        self._stopping.set()
        with self._wake:
            self._wake.notify()
        self._thread.join(timeout=5)
        self._spool.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._settle()
                connected = self._bus.connected
                if connected and not self._was_connected:
                    self._replay_recent()
                self._was_connected = connected
                if connected:
                    self._resend_stale()
                    self._publish_more()
            except Exception:  # an I/O error on the spool must not end the outbox
                log.exception("outbox step failed")
                time.sleep(1.0)
            with self._wake:
                busy = bool(self._inflight) or not self._bus.connected
                self._wake.wait(self.BUSY_WAIT_S if busy else self.IDLE_WAIT_S)

    def _settle(self) -> None:
        """Acknowledge to the spool what the broker acknowledged."""
        still: deque[_InFlight] = deque()
        now = time.monotonic()
        for item in self._inflight:
            if item.info.is_published():
                self._spool.ack(item.seq)
                if self._replay_s > 0:
                    self._recent.append((now, item.record))
            else:
                still.append(item)
        self._inflight = still
        while self._recent and now - self._recent[0][0] > self._replay_s:
            self._recent.popleft()

    def _replay_recent(self) -> None:
        """Back after an outage: what the broker acknowledged just before it went, again."""
        if self._recent:
            log.info("outbox: republishing the last acknowledged", records=len(self._recent))
        for _, record in self._recent:
            self._publish(record)
            self.replayed += 1
        self._recent.clear()

    def _publish_more(self) -> None:
        room = self._max_inflight - len(self._inflight)
        if room <= 0:
            return
        now = time.monotonic()
        for seq, payload in self._spool.read_after(self._sent_upto, room):
            self._inflight.append(_InFlight(seq, self._publish(payload), now, payload))
            self._sent_upto = seq

    def _resend_stale(self) -> None:
        now = time.monotonic()
        for item in self._inflight:
            if now - item.sent_at > self.RESEND_S:
                again = self._spool.read_after(item.seq - 1, 1)
                if again and again[0][0] == item.seq:
                    log.warning("outbox: publish not acknowledged; sending again", seq=item.seq)
                    item.info = self._publish(again[0][1])
                item.sent_at = now

    def _publish(self, record: bytes) -> mqtt.MQTTMessageInfo:
        topic, _, body = record.partition(b"\n")
        return self._bus.publish_raw(topic.decode(), body)
