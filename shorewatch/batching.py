"""Sensor reports gathered into batches: one bus message per sensor per few milliseconds.

One MQTT message per observation spends most of ingest's time in JSON framing, broker round
trips and per-message acknowledgements; a batch of a sensor's reports costs one of each. A
batch goes out when it holds `max_items` or when its first report has waited `linger_s`, so a
quiet sensor's report is late by at most that. A sensor's reports keep their order: one topic,
one buffer, sent under one lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from shorewatch.events import Observation, ObservationBatch, TrackEnd, VesselStatic

Report = Observation | VesselStatic | TrackEnd
Send = Callable[[str, ObservationBatch], None]


class Batcher:
    def __init__(self, send: Send, *, max_items: int, linger_s: float) -> None:
        self._send = send
        self._max = max_items
        self._linger_s = linger_s
        self._lock = threading.Condition()
        self._pending: dict[str, list[Report]] = {}
        self._due: dict[str, float] = {}
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="bus-batcher", daemon=True)
        self._thread.start()

    def add(self, topic: str, report: Report) -> None:
        self.add_many(topic, (report,))

    def add_many(self, topic: str, reports: Sequence[Report]) -> None:
        """In order, after whatever the topic holds; full batches go out at once."""
        if not reports:
            return
        with self._lock:
            items = self._pending.setdefault(topic, [])
            was_empty = not items
            items += reports
            if self._closed:
                self._flush(topic)
            elif len(items) >= self._max:
                self._flush_full(topic, items)
            elif was_empty:
                self._due[topic] = time.monotonic() + self._linger_s
                self._lock.notify()

    def flush(self) -> None:
        with self._lock:
            for topic in list(self._pending):
                self._flush(topic)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for topic in list(self._pending):
                self._flush(topic)
            self._lock.notify()
        self._thread.join(timeout=5)

    def _flush(self, topic: str) -> None:
        """Under the lock, so two flushes of one topic cannot overtake each other."""
        items = self._pending.pop(topic, None)
        self._due.pop(topic, None)
        if items:
            self._send_batches(topic, items, len(items))

    def _flush_full(self, topic: str, items: list[Report]) -> None:
        """Under the lock: every full batch now; a remainder waits its linger as a new batch."""
        cut = len(items) - len(items) % self._max
        self._send_batches(topic, items, cut)
        del items[:cut]
        if items:
            self._due[topic] = time.monotonic() + self._linger_s
            self._lock.notify()
        else:
            del self._pending[topic]
            self._due.pop(topic, None)

    def _send_batches(self, topic: str, items: list[Report], upto: int) -> None:
        # Each report was validated where it was made: no second validation here.
        for start in range(0, upto, self._max):
            chunk = tuple(items[start : min(start + self._max, upto)])
            self._send(topic, ObservationBatch.model_construct(items=chunk))

    def _run(self) -> None:
        with self._lock:
            while not self._closed:
                now = time.monotonic()
                for topic in [t for t, due in self._due.items() if due <= now]:
                    self._flush(topic)
                wait = min(self._due.values(), default=now + 1.0) - now
                self._lock.wait(timeout=max(wait, 0.0005))
