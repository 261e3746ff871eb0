"""loitering: slow for duration_s outside harbours; landing zones may shorten the duration."""

from __future__ import annotations

import pytest

from tests.detection import T0, Harness, run_straight

SITE = """
version: v
zones:
  - id: cove
    name: Unofficial landing, Cove
    kind: landing
    polygon: [[11.30, 58.20], [11.40, 58.20], [11.40, 58.25], [11.30, 58.25], [11.30, 58.20]]
    thresholds: {loitering: {duration_s: 1800}}
  - id: port
    name: Harbour
    kind: port
    polygon: [[11.50, 58.20], [11.60, 58.20], [11.60, 58.25], [11.50, 58.25], [11.50, 58.20]]
"""
OPEN_SEA, LANDING, PORT = (58.10, 11.20), (58.22, 11.35), (58.22, 11.55)


def drift(minutes: int, sog: float, where: tuple[float, float]):  # type: ignore[no-untyped-def]
    return run_straight(265000030, T0, *where, sog=sog, cog=90, every_s=60, count=minutes + 1)


def test_three_hours_slow_at_sea_fires_once() -> None:
    h = Harness(SITE)
    h.feed(drift(200, 1.0, OPEN_SEA))
    (event,) = h.of_kind("loitering")
    assert event.start == T0
    assert event.facts["slow_for_s"] == 10800.0
    assert "landing_point" not in event.facts


def test_landing_point_override_fires_after_30_minutes() -> None:
    h = Harness(SITE)
    h.feed(drift(40, 0.5, LANDING))
    (event,) = h.of_kind("loitering")
    assert event.facts["slow_for_s"] == 1800.0
    assert event.facts["landing_point"] == "Unofficial landing, Cove"
    assert event.zone == "cove"


def test_speeding_up_ends_it() -> None:
    h = Harness(SITE)
    h.feed(drift(40, 0.5, LANDING))
    last = drift(40, 0.5, LANDING)[-1]
    h.feed(
        [
            last.model_copy(
                update={"time": last.time.replace(minute=last.time.minute + 1), "sog_kn": 6.0}
            )
        ]
    )
    opened, closing = h.of_kind("loitering")
    assert closing.id == opened.id
    assert closing.facts["closed_by"] == "moving"


@pytest.mark.parametrize(
    ("minutes", "sog", "where"),
    [
        (179, 1.0, OPEN_SEA),  # just under 3 h
        (200, 2.1, OPEN_SEA),  # just above max_speed_kn
        (29, 0.5, LANDING),  # just under the landing override
        (200, 0.0, PORT),  # moored in port
    ],
)
def test_near_misses(minutes: int, sog: float, where: tuple[float, float]) -> None:
    h = Harness(SITE)
    h.feed(drift(minutes, sog, where))
    assert h.of_kind("loitering") == []


# Issue 13: near-shore windows by setting; GFW's 3 h out at sea.
COAST_SITE = """
version: v
zones:
  - id: shore
    name: Southern shore
    kind: coastline
    polygon: [[11.30, 58.00], [11.60, 58.00], [11.60, 58.05], [11.30, 58.05], [11.30, 58.00]]
  - id: bay
    name: Landing cove
    kind: landing
    polygon: [[11.30, 58.05], [11.33, 58.05], [11.33, 58.07], [11.30, 58.07], [11.30, 58.05]]
"""
OFF_THE_BEACH = (58.06, 11.45)  # ~1.1 km north of the shore polygon, not in the cove
IN_THE_COVE = (58.06, 11.315)
WELL_OFF = (58.20, 11.45)  # ~16 km out


@pytest.mark.parametrize(
    ("where", "minutes", "fires_after_s", "setting"),
    [
        (OFF_THE_BEACH, 70, 3600.0, "near_shore"),
        (IN_THE_COVE, 40, 1800.0, "landing"),
        (WELL_OFF, 70, None, "open_sea"),
        (WELL_OFF, 200, 10800.0, "open_sea"),
    ],
)
def test_near_shore_defaults_by_setting(
    where: tuple[float, float], minutes: int, fires_after_s: float | None, setting: str
) -> None:
    h = Harness(COAST_SITE)
    h.feed(run_straight(265000031, T0, *where, sog=0.3, cog=0, every_s=60, count=minutes + 1))
    events = h.of_kind("loitering")
    if fires_after_s is None:
        assert events == []
        return
    (event,) = events
    assert event.facts["slow_for_s"] == fires_after_s
    assert event.facts["setting"] == setting


def test_a_zone_can_still_shorten_the_window() -> None:
    site = COAST_SITE.replace(
        "    kind: coastline\n",
        "    kind: coastline\n    thresholds: {loitering: {near_shore_duration_s: 600}}\n",
    )
    h = Harness(site.replace("Southern shore", "Shore"))
    h.feed(run_straight(265000032, T0, 58.04, 11.45, sog=0.3, cog=0, every_s=60, count=15))
    (event,) = h.of_kind("loitering")
    assert event.facts["slow_for_s"] == 600.0
