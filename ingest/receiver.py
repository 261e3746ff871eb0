"""One AIS receiver: raw bytes in, decoded observations out to the bus, every line accounted.

Transport-agnostic: UDP, TCP and MQTT inputs all hand their payloads here, so accounting and
rejection logging are the same whichever way the sentences arrived.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

import structlog
from prometheus_client import Counter

from ingest.ais_lines import NATIVE
from ingest.nmea_ais import AisDecoder, Rejection
from shorewatch.events import Observation, VesselStatic
from shorewatch.logs import RateLimitedLog
from shorewatch.metrics import Metrics

Message = Observation | VesselStatic
Publish = Callable[[Sequence[Message]], None]  # a payload's messages, in order
OVERSIZED_PAYLOAD = "oversized_payload"
REJECTION_VALUES = frozenset(reason.value for reason in Rejection)


class LineAccounting:
    """Per-line outcome counters and rate-limited rejection warnings for one input.

    Shared by every receiver kind so that `/metrics` reads the same whatever the sensor: each
    input line lands in `ingest_lines{source,sensor,outcome}` exactly once. Counts are kept as
    plain ints per line (a Prometheus `inc` costs more than the rest of a line's accounting)
    and pushed to the counters every `SYNC_EVERY` lines and before every scrape, so /metrics
    is always exact.
    """

    SYNC_EVERY = 1024  # lines between pushes outside a scrape

    def __init__(
        self, source: str, sensor: str, metrics: Metrics, *, max_payload_bytes: int
    ) -> None:
        self.source = source
        self.sensor = sensor
        self._metrics = metrics
        self._max_payload = max_payload_bytes
        self._log = RateLimitedLog(f"shorewatch.ingest.{sensor}")
        self._lock = threading.Lock()
        self._oversized_lines = 0
        self._lines: dict[str, int] = {}  # outcome -> lines not yet on its counter
        self._rejected: dict[str, int] = {}  # reason -> lines not yet on its counter
        self._unsynced = 0
        self._counters: dict[str, Counter] = {}
        self._rejected_counters: dict[str, Counter] = {}
        metrics.sync_before_scrape(self.sync)

    @property
    def max_payload_bytes(self) -> int:
        """The payload limit: a line feed checks a line's length first, sparing a call."""
        return self._max_payload

    @property
    def oversized_lines(self) -> int:
        with self._lock:
            return self._oversized_lines

    def refuse_oversized(self, payload: bytes, *, per_line: bool = True) -> bool:
        """True (and counted) when the payload is over the limit and must not be decoded.

        Line feeds count it per line it carried, so accounting still adds up to what was sent;
        a JSON document is one unit however it is laid out (`per_line=False`).
        """
        if len(payload) <= self._max_payload:
            return False
        lines = max(1, len(payload.splitlines())) if per_line else 1
        with self._lock:
            self._oversized_lines += lines
        self.reject(OVERSIZED_PAYLOAD, lines, f"{len(payload)} bytes > {self._max_payload}")
        return True

    def totals(self, decoded: Mapping[str, int]) -> dict[str, int]:
        """The decoder's per-outcome counts plus the oversized refusals made before it: together
        they add up to everything received."""
        counts = dict(decoded)
        if self.oversized_lines:
            counts[OVERSIZED_PAYLOAD] = self.oversized_lines
        return counts

    def accept(self, outcome: str, lines: int = 1) -> None:
        self._add(outcome, lines, rejected=False)

    def reject(self, reason: str, lines: int, detail: str) -> None:
        self._add(reason, lines, rejected=True)
        self.warn(reason, detail)

    def warn(self, reason: str, detail: str) -> None:
        """The rate-limited warning of a rejection, for lines counted through `add_counted`."""
        self._log.warning(
            reason, "input rejected", receiver=self.sensor, reason=reason, detail=detail[:200]
        )

    def add_counted(self, lines: Mapping[str, int], rejections: Collection[str]) -> None:
        """Lines per outcome that a decoder counted itself, since the last call; pushed now.

        Cheaper than a call per line where the decoder keeps its own per-outcome counts."""
        with self._lock:
            for outcome, count in lines.items():
                self._lines[outcome] = self._lines.get(outcome, 0) + count
                if outcome in rejections:
                    self._rejected[outcome] = self._rejected.get(outcome, 0) + count
            self._push()

    def _add(self, outcome: str, lines: int, *, rejected: bool) -> None:
        with self._lock:
            self._lines[outcome] = self._lines.get(outcome, 0) + lines
            if rejected:
                self._rejected[outcome] = self._rejected.get(outcome, 0) + lines
            self._unsynced += lines
            due = self._unsynced >= self.SYNC_EVERY
        if due:
            self.sync()

    def sync(self) -> None:
        """Push the counts kept since the last push to the Prometheus counters."""
        with self._lock:  # held while pushing: a concurrent scrape waits for the whole push
            self._push()

    def _push(self) -> None:
        """With the lock held."""
        if self._lines:
            for outcome, lines in self._lines.items():
                self._line_counter(outcome).inc(lines)
            for reason, lines in self._rejected.items():
                self._rejected_counter(reason).inc(lines)
            self._lines.clear()
            self._rejected.clear()
        self._unsynced = 0

    def _line_counter(self, outcome: str) -> Counter:
        counter = self._counters.get(outcome)
        if counter is None:  # labels() is a lookup under a lock: done once per outcome
            counter = self._metrics.ingest_lines.labels(
                source=self.source, sensor=self.sensor, outcome=outcome
            )
            self._counters[outcome] = counter
        return counter

    def _rejected_counter(self, reason: str) -> Counter:
        counter = self._rejected_counters.get(reason)
        if counter is None:
            counter = self._metrics.ingest_rejected.labels(source=self.source, reason=reason)
            self._rejected_counters[reason] = counter
        return counter


class AisReceiver:
    """Counts come from the decoder's own per-outcome stats, handed to the accounting every
    `PUSH_EVERY` lines and before every scrape: no accounting call per line."""

    PUSH_EVERY = 1024

    def __init__(
        self,
        receiver_id: str,
        publish: Publish,
        metrics: Metrics,
        clock: Callable[[], datetime],
        *,
        max_payload_bytes: int = 8192,
    ) -> None:
        self.receiver_id = receiver_id
        self._publish = publish
        self._clock = clock
        self._accounting = LineAccounting(
            "ais", receiver_id, metrics, max_payload_bytes=max_payload_bytes
        )
        self._lock = threading.Lock()
        self._decoder = AisDecoder(receiver_id, on_rejection=self._warn)
        if not NATIVE:
            structlog.get_logger(__name__).warning(
                "the AIS line scan in C is not built (no compiler at install): the same scan "
                "runs in Python, slower; reinstall with gcc to build it",
                receiver=receiver_id,
            )
        self._pushed: dict[str, int] = {}  # decoder counts already handed to the accounting
        self._unpushed = 0  # lines fed since
        metrics.sync_before_scrape(self.push_counts)

    def feed(self, payload: bytes) -> int:
        """Decode every line of one payload; returns the number of messages published."""
        if self._accounting.refuse_oversized(payload):
            return 0
        return self.feed_lines(payload.splitlines())

    def feed_lines(self, lines: Sequence[bytes]) -> int:
        """Lines read from a stream, each held to the payload limit on its own: one lock and one
        publish for all of them (a TCP read holds hundreds). Each line still gets its own
        arrival time: a line without a time of its own is stamped with it, and two reports of
        one vessel in one read must not collapse into one (same target, same time)."""
        limit = self._accounting.max_payload_bytes
        with self._lock:  # multi-part assembly state is shared by every sender of this receiver
            accepted = lines
            if lines and max(map(len, lines)) > limit:  # the rare read with a line over it
                refuse = self._accounting.refuse_oversized
                accepted = [line for line in lines if not (len(line) > limit and refuse(line))]
            messages = self._decoder.feed_lines(accepted, self._clock)
            self._unpushed += len(lines)
            if self._unpushed >= self.PUSH_EVERY:
                self._push()
            if messages:  # under the lock: two senders' messages never interleave out of order
                self._publish(messages)
        return len(messages)

    def flush(self) -> None:
        with self._lock:
            self._decoder.flush()
            self._push()

    def push_counts(self) -> None:
        """Hand the decoder's counts since the last push to the accounting (and /metrics)."""
        with self._lock:
            self._push()

    @property
    def stats(self) -> dict[str, int]:
        """Lines per outcome, rejections included: they add up to every line received."""
        with self._lock:
            return self._accounting.totals(self._decoder.stats)

    def _push(self) -> None:
        """With the lock held, so a scrape never sees a count between decoder and counter."""
        counted = self._decoder.stats
        pushed = self._pushed
        delta = {k: n - pushed.get(k, 0) for k, n in counted.items() if n != pushed.get(k, 0)}
        self._pushed = dict(counted)
        self._unpushed = 0
        if delta:
            self._accounting.add_counted(delta, REJECTION_VALUES)

    def _warn(self, rejection: Rejection, _lines: int, detail: str) -> None:
        self._accounting.warn(rejection._value_, detail)
