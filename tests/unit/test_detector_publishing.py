"""The detector hands on what handling one message raised in one call (the service publishes
it as one message per kind): a whole observation batch, a single message; nothing when nothing
was raised; and what the reports before a failing one raised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detectors.rules import RULES
from detectors.rules.base import Rule, RuleContext
from detectors.track import Track
from detectors.worker import DetectorWorker
from shorewatch.config.site import parse_config
from shorewatch.events import Event, EventKind, Observation, ObservationBatch, Source
from shorewatch.metrics import Metrics
from shorewatch.zones import build_zones

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SITE = """
version: "detector-publishing"
thresholds: {high_speed: {min_reports: 1}}
zones:
  - {id: restricted-a, name: Restricted A, kind: restricted, points: 30,
     polygon: [[11.40, 58.24], [11.44, 58.24], [11.44, 58.26], [11.40, 58.26], [11.40, 58.24]]}
"""


def _fix(n: int, *, inside: bool = True, sog: float = 40.0) -> Observation:
    return Observation(
        source=Source.AIS,
        sensor_id="rx",
        target_ref=str(265_200_000 + n),
        time=T0 + timedelta(milliseconds=n),
        lat=58.25 if inside else 58.10,
        lon=11.41 + n * 0.002,
        sog_kn=sog,
        cog_deg=90.0,
    )


def _worker(calls: list[list[Event]], rules: tuple[Rule, ...] = RULES) -> DetectorWorker:
    site = parse_config(SITE, "site.yaml", Path())
    return DetectorWorker(site, build_zones(site), calls.append, Metrics(), rules=rules)


def test_a_batch_is_handed_on_in_one_call_in_the_order_raised() -> None:
    calls: list[list[Event]] = []
    worker = _worker(calls)
    worker.on_message(ObservationBatch(items=tuple(_fix(n) for n in range(4))))
    (events,) = calls
    by_kind = {
        kind: [e.primary_target for e in events if e.kind is kind]
        for kind in (EventKind.ZONE_ENTRY, EventKind.HIGH_SPEED)
    }
    vessels = [f"ais:{265_200_000 + n}" for n in range(4)]
    assert by_kind == {EventKind.ZONE_ENTRY: vessels, EventKind.HIGH_SPEED: vessels}
    assert len(events) == 8
    worker.on_message(_fix(9))  # a single message: its own call
    assert [{e.kind for e in call} for call in calls[1:]] == [
        {EventKind.ZONE_ENTRY, EventKind.HIGH_SPEED}
    ]
    worker.on_message(_fix(20, inside=False, sog=5.0))  # raised nothing: no call
    assert len(calls) == 2


def _fails_on_third(track: Track, _now: datetime, _ctx: RuleContext) -> list[Event]:
    if track.key == f"ais:{265_200_000 + 2}":
        raise RuntimeError("a bug in a rule")
    return []


def test_what_the_reports_before_a_failing_one_raised_is_still_handed_on() -> None:
    calls: list[list[Event]] = []
    worker = _worker(calls, (*RULES, Rule("fails", on_report=_fails_on_third)))
    with pytest.raises(RuntimeError, match="a bug in a rule"):
        worker.on_message(ObservationBatch(items=tuple(_fix(n) for n in range(4))))
    (events,) = calls  # vessel 2's own events went with its failing rule run
    assert {e.primary_target for e in events} == {f"ais:{265_200_000 + n}" for n in range(2)}
