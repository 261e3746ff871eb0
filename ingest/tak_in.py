"""TAK in: patrol crews' own CoT position reports become unit positions on the bus.

A crew's ATAK/iTAK device (or the TAK server relaying it) sends its self-position as CoT, XML
or TAK protocol v1, to a UDP port (mesh SA, unicast or a multicast group's relay). A sender
named in `tak.units` (by CoT uid or callsign) becomes a `UnitPosition` on
`{root}/units/{unit}/position`, where the unit desk keeps it like any tracker fix; anyone else,
and anything that is not a CoT position, is counted (`shorewatch_ingest_lines{source="tak"}`)
and dropped, never raised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import structlog

from shorewatch.cot import CotError, parse_position
from shorewatch.events import UnitPosition
from shorewatch.metrics import Metrics

log = structlog.get_logger(__name__)
MPS_TO_KN = 3600.0 / 1852.0


class TakReceiver:
    def __init__(
        self,
        source_id: str,
        units: Mapping[str, str],
        publish: Callable[[UnitPosition], None],
        metrics: Metrics | None = None,
    ) -> None:
        self.source_id = source_id
        self._units = dict(units)
        self._publish = publish
        self._metrics = metrics
        self.counts: Counter[str] = Counter()

    def _count(self, outcome: str) -> None:
        """`counts` here, `shorewatch_ingest_lines{source="tak"}` on /metrics."""
        self.counts[outcome] += 1
        if self._metrics is not None:
            self._metrics.ingest_lines.labels(
                source="tak", sensor=self.source_id, outcome=outcome
            ).inc()

    def feed(self, data: bytes) -> None:
        """One datagram: one CoT event."""
        try:
            cot = parse_position(data)
        except (CotError, ValueError) as exc:
            self._count("invalid")
            log.info("not a CoT position", source=self.source_id, error=str(exc)[:200])
            return
        unit = self._units.get(cot.uid) or (self._units.get(cot.callsign) if cot.callsign else None)
        if unit is None:
            self._count("unknown_sender")
            return
        speed = None if cot.speed_mps is None or cot.speed_mps < 0 else cot.speed_mps * MPS_TO_KN
        course = None if cot.course_deg is None or cot.course_deg < 0 else cot.course_deg % 360.0
        try:
            position = UnitPosition(
                unit_id=unit,
                time=cot.time,
                lat=cot.lat,
                lon=cot.lon,
                sog_kn=None if speed is None else min(speed, 200.0),
                cog_deg=course,
            )
        except ValueError as exc:
            self._count("invalid")
            log.info("CoT position refused", source=self.source_id, error=str(exc)[:200])
            return
        self._count("position")
        self._publish(position)
