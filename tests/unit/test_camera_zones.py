"""Pixel zones: entry once per stay, loitering once after `loiter_s`, exits after a grace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from detectors.camera_zones import CameraZones, FactKind, ZoneState
from shorewatch.config.vision import CameraZoneConfig

T0 = datetime(2026, 11, 20, 22, 0, 0, tzinfo=UTC)
BEACH = CameraZoneConfig(
    id="beach", polygon=[(0, 500), (640, 500), (640, 720), (0, 720)], loiter_s=60
)
JETTY = CameraZoneConfig(id="jetty", polygon=[(600, 400), (900, 400), (900, 720), (600, 720)])
ZONES = CameraZones("north-ptz", [BEACH, JETTY])
IN_BEACH, IN_BOTH, OUTSIDE = (100.0, 600.0), (620.0, 600.0), (1000.0, 300.0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def run(
    sightings: list[tuple[float, tuple[float, float]]], track: str = "7"
) -> tuple[ZoneState, list[tuple[FactKind, str, float]]]:
    state: ZoneState = {}
    seen = []
    for seconds, point in sightings:
        state, facts = ZONES.step(state, track, point, at(seconds))
        seen += [(f.kind, f.zone, (f.time - T0).total_seconds()) for f in facts]
    return state, seen


def test_entry_is_reported_once_per_stay() -> None:
    state, facts = run([(0, OUTSIDE), (1, IN_BEACH), (2, IN_BEACH), (3, IN_BEACH)])
    assert facts == [(FactKind.ENTRY, "beach", 1.0)]
    assert set(state) == {("7", "beach")}


def test_overlapping_zones_each_see_the_entry() -> None:
    _, facts = run([(0, IN_BOTH)])
    assert sorted(facts) == [(FactKind.ENTRY, "beach", 0.0), (FactKind.ENTRY, "jetty", 0.0)]


def test_loitering_is_reported_once_when_the_stay_reaches_loiter_s() -> None:
    _, facts = run([(s, IN_BEACH) for s in range(0, 150, 10)])
    assert facts == [(FactKind.ENTRY, "beach", 0.0), (FactKind.LOITERING, "beach", 60.0)]


def test_zone_without_loiter_s_never_reports_loitering() -> None:
    _, facts = run([(s, (800.0, 450.0)) for s in range(0, 600, 30)])
    assert facts == [(FactKind.ENTRY, "jetty", 0.0)]


def test_jitter_across_the_edge_within_the_grace_keeps_the_stay() -> None:
    _, facts = run([(0, IN_BEACH), (1, OUTSIDE), (2, IN_BEACH), (3, OUTSIDE), (4, IN_BEACH)])
    assert facts == [(FactKind.ENTRY, "beach", 0.0)]


def test_leaving_for_longer_than_the_grace_exits_at_the_last_sighting_inside() -> None:
    state, facts = run([(0, IN_BEACH), (5, IN_BEACH), (6, OUTSIDE), (8, OUTSIDE), (9, IN_BEACH)])
    assert facts == [
        (FactKind.ENTRY, "beach", 0.0),
        (FactKind.EXIT, "beach", 5.0),
        (FactKind.ENTRY, "beach", 9.0),
    ]
    assert state[("7", "beach")].entered_at == at(9)


def test_entry_can_be_switched_off_while_loitering_is_still_watched() -> None:
    quiet = CameraZones("c", [BEACH.model_copy(update={"entry": False})])
    state: ZoneState = {}
    kinds = []
    for s in (0, 30, 61):
        state, facts = quiet.step(state, "1", IN_BEACH, at(s))
        kinds += [f.kind for f in facts]
    assert kinds == [FactKind.LOITERING]


def test_tracks_are_independent_and_end_closes_only_their_own_stays() -> None:
    state: ZoneState = {}
    state, _ = ZONES.step(state, "1", IN_BEACH, at(0))
    state, _ = ZONES.step(state, "2", IN_BEACH, at(1))
    state, facts = ZONES.end(state, "1")
    assert [(f.kind, f.track, f.dwell_s) for f in facts] == [(FactKind.EXIT, "1", 0.0)]
    assert set(state) == {("2", "beach")}


def test_expire_ends_stays_of_tracks_gone_silent() -> None:
    state: ZoneState = {}
    state, _ = ZONES.step(state, "1", IN_BEACH, at(0))
    state, _ = ZONES.step(state, "2", IN_BEACH, at(25))
    state, facts = ZONES.expire(state, at(30), idle_s=20)
    assert [(f.track, f.camera, f.time) for f in facts] == [("1", "north-ptz", at(0))]
    assert set(state) == {("2", "beach")}


def test_step_does_not_mutate_the_state_it_was_given() -> None:
    before: ZoneState = {}
    after, _ = ZONES.step(before, "1", IN_BEACH, at(0))
    assert before == {}
    assert after != before


@pytest.mark.parametrize(
    "polygon",
    [[(0, 0), (10, 10)], [(0, 0), (10, 10), (20, 20)], [(0, 0), (10, 10), (10, 0), (0, 10)]],
)
def test_degenerate_polygons_are_refused(polygon: list[tuple[float, float]]) -> None:
    with pytest.raises(ValidationError):
        CameraZoneConfig(id="bad", polygon=polygon)
