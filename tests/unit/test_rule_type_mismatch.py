"""type_mismatch: declared fishing or pleasure craft moving as a speedboat (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shorewatch.events import Observation
from tests.detection import T0, Harness, run_straight, static

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
