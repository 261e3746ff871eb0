"""What every rule sees and returns: a pure function of (track, event time, context) -> events.

Rules hold no state of their own: what they remember (open episodes, since-when marks) lives on
the `Track`, so the worker can expire it with the track and a replay rebuilds it exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from detectors.track import Track
from detectors.watchlist import WatchList
from shorewatch.config.coverage import CoverageConfig, LearnedCoverageConfig
from shorewatch.config.thresholds import Thresholds
from shorewatch.coverage import CoverageModel
from shorewatch.events import Event, Source
from shorewatch.zones import Zone


def _never_silent(source: Source, sensor_id: str, start: datetime, end: datetime) -> float:
    return 0.0


NO_COVERAGE = CoverageModel(CoverageConfig(learned=LearnedCoverageConfig(enabled=False)))


@dataclass(frozen=True)
class RuleContext:
    config_version: str
    zones: Sequence[Zone]
    thresholds: Thresholds
    """Effective at the track's latest position (per-zone overrides applied)."""
    neighbours: Callable[[Track, float], list[Track]]
    """Other live tracks within a radius (metres) of a track's latest fix."""
    lookup: Callable[[str], Track | None]
    covered: Callable[[float, float], bool]
    """Inside AIS receiver coverage (everywhere when no `coverage` zone is configured)."""
    watchlist: WatchList
    sensor_silence: Callable[[Source, str, datetime, datetime], float] = _never_silent
    """Seconds of [start, end] a sensor was offline: a vessel's silence then is its receiver's."""
    coverage: CoverageModel = field(default_factory=lambda: NO_COVERAGE)
    """Per-receiver coverage, configured and learned (`shorewatch/coverage.py`)."""

    def zones_of(self, kinds: Sequence[str]) -> list[Zone]:
        return [z for z in self.zones if z.kind in kinds]


RuleFn = Callable[[Track, datetime, RuleContext], list[Event]]


@dataclass(frozen=True)
class Rule:
    name: str
    on_report: RuleFn | None = None
    """Run for a track each time it reports."""
    on_tick: RuleFn | None = None
    """Run for every live track each sweep period, for conditions a silence can make true,
    and for a track its sensor declared lost (`Track.ended`)."""
    on_identity: RuleFn | None = None
    """Run for a vessel's track when its AIS identity (name, call sign, type) arrives."""
