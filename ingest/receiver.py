"""One AIS receiver: raw bytes in, decoded observations out to the bus, every line accounted.

Transport-agnostic: UDP, TCP and MQTT inputs all hand their payloads here, so accounting and
rejection logging are the same whichever way the sentences arrived.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from ingest.nmea_ais import AisDecoder, LineOutcome, Rejection
from shorewatch.events import Observation, VesselStatic
from shorewatch.logs import RateLimitedLog
from shorewatch.metrics import Metrics

Publish = Callable[[Observation | VesselStatic], None]
OVERSIZED_PAYLOAD = "oversized_payload"


class AisReceiver:
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
        self._metrics = metrics
        self._clock = clock
        self._max_payload = max_payload_bytes
        self._log = RateLimitedLog(f"shorewatch.ingest.{receiver_id}")
        self._lock = threading.Lock()
        self._decoder = AisDecoder(receiver_id, on_outcome=self._count)
        self._oversized_lines = 0

    def feed(self, payload: bytes) -> int:
        """Decode every line of one payload; returns the number of messages published."""
        if len(payload) > self._max_payload:
            # Counted per line it carried, so line accounting still adds up to what was sent.
            lines = max(1, len(payload.splitlines()))
            with self._lock:
                self._oversized_lines += lines
            self._reject(OVERSIZED_PAYLOAD, lines, f"{len(payload)} bytes > {self._max_payload}")
            return 0
        received_at = self._clock()
        published = 0
        with self._lock:  # multi-part assembly state is shared by every sender of this receiver
            for line in payload.splitlines():
                for message in self._decoder.feed(line, received_at):
                    self._publish(message)
                    published += 1
        return published

    def flush(self) -> None:
        with self._lock:
            self._decoder.flush()

    @property
    def stats(self) -> dict[str, int]:
        """Lines per outcome, rejections included: they add up to every line received."""
        with self._lock:
            counts = dict(self._decoder.stats)
            if self._oversized_lines:
                counts[OVERSIZED_PAYLOAD] = self._oversized_lines
        return counts

    def _count(self, outcome: LineOutcome | Rejection, lines: int, detail: str) -> None:
        if isinstance(outcome, Rejection):
            self._reject(outcome.value, lines, detail)
        else:
            self._metrics.ingest_lines.labels(
                source="ais", sensor=self.receiver_id, outcome=outcome.value
            ).inc(lines)

    def _reject(self, reason: str, lines: int, detail: str) -> None:
        self._metrics.ingest_lines.labels(
            source="ais", sensor=self.receiver_id, outcome=reason
        ).inc(lines)
        self._metrics.ingest_rejected.labels(source="ais", reason=reason).inc(lines)
        self._log.warning(
            reason, "input rejected", receiver=self.receiver_id, reason=reason, detail=detail[:200]
        )
