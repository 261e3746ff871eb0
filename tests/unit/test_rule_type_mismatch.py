"""type_mismatch: declared fishing or pleasure craft moving as a speedboat (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shorewatch.events import Observation, Source
from tests.detection import T0, Harness, Input, run_straight, static

LAT, LON = 58.10, 11.20


def sprint(mmsi: int, sog: float) -> list[Observation]:
    """Idle, then away at `sog`: a boat picking up its load and running."""
    idle = run_straight(mmsi, T0, LAT, LON, sog=0.3, cog=90, every_s=10, count=4)
    fast = run_straight(
        mmsi, T0 + timedelta(seconds=40), LAT, LON, sog=sog, cog=90, every_s=10, count=30
    )
    return idle + fast


@pytest.mark.parametrize(
    ("ship_type", "length", "sog", "raised"),
    [
        (30, 9.0, 28.0, True),  # "fishing" at 28 kn: below high_speed's 30 kn, still a lie
        (37, None, 35.0, True),  # "pleasure" at 35 kn
        (30, 14.0, 9.0, False),  # a fishing boat steaming home
        (70, 120.0, 28.0, False),  # cargo is not in `declared`
        (60, 40.0, 32.0, False),  # a declared fast ferry
    ],
)
def test_declared_type_against_movement(
    ship_type: int, length: float | None, sog: float, raised: bool
) -> None:
    h = Harness()
    mmsi = 265000090
    h.feed([static(mmsi, T0, ship_type=ship_type, length_m=length), *sprint(mmsi, sog)])
    events = h.of_kind("type_mismatch")
    assert bool(events) is raised, events
    if raised:
        (event,) = events
        assert event.facts["judged_type"] == "speedboat"
        assert event.facts["declared_type"] == ship_type
        assert "moves as a speedboat" in str(event.facts["evidence"])


def test_no_declared_type_no_mismatch_and_the_episode_closes() -> None:
    h = Harness()
    h.feed(sprint(265000091, 35.0))
    assert h.of_kind("type_mismatch") == []
    mmsi = 265000092
    h.feed([static(mmsi, T0, ship_type=30), *sprint(mmsi, 30.0)])
    later = run_straight(
        mmsi, T0 + timedelta(hours=2), LAT, LON, sog=0.2, cog=0, every_s=60, count=3
    )
    h.feed(later)
    opened, closing = h.of_kind("type_mismatch")
    assert closing.id == opened.id
    assert closing.end is not None


def _fused(mmsi: int, declared_m: float | None, seen_m: float | None) -> list[Input]:
    """A declared `declared_m` vessel at 8 kn, and a radar echo on it measuring `seen_m`."""
    ais = run_straight(mmsi, T0, LAT, LON, sog=8, cog=0, every_s=10, count=30)
    radar = [
        o.model_copy(
            update={
                "source": Source.RADAR,
                "sensor_id": "radar-1",
                "target_ref": "radar-1-7",
                "time": o.time + timedelta(seconds=2),
                "length_m": seen_m,
            }
        )
        for o in ais
    ]
    return [static(mmsi, T0, ship_type=30, length_m=declared_m), *ais, *radar]


@pytest.mark.parametrize(
    ("declared_m", "seen_m", "raised"),
    [
        (12.0, 40.0, True),  # "declared 12 m but seen 40 m"
        (12.0, 20.0, False),  # under twice the declared length: aspect, clutter, beam width
        (60.0, 125.0, True),
        (6.0, 14.0, False),  # twice as long, but only 8 m: within a radar's smear
        (40.0, 12.0, False),  # seen shorter says nothing (a bow-on box is short)
        (None, 40.0, False),  # no declared length
        (12.0, None, False),  # nothing measured
    ],
)
def test_size_evidence(declared_m: float | None, seen_m: float | None, raised: bool) -> None:
    h = Harness()
    mmsi = 265000093
    h.feed(_fused(mmsi, declared_m, seen_m))
    events = [e for e in h.of_kind("type_mismatch") if e.facts.get("category") == "size"]
    assert bool(events) is raised, events
    if raised:
        (event,) = events
        assert (
            event.facts["evidence"]
            == f"declared {declared_m:.0f} m but seen {seen_m:.0f} m by radar"
        )
        assert event.facts["seen_by"] == "radar:radar-1-7"
        assert event.facts["declared_length_m"] == declared_m
