"""high_speed: a small or unidentified target above min_speed_kn for min_reports reports."""

from __future__ import annotations

import pytest

from shorewatch.events import Source
from tests.detection import T0, Harness, run_straight, static

SITE = """
version: v
zones:
  - id: shore
    name: Shore
    kind: coastline
    polygon: [[11.50, 58.00], [11.60, 58.00], [11.60, 58.30], [11.50, 58.30], [11.50, 58.00]]
"""


def run(sog: float, count: int = 6, source: Source = Source.RADAR, cog: float = 90):  # type: ignore[no-untyped-def]
    ref = "r1-9" if source is Source.RADAR else "265000040"
    return run_straight(
        ref,
        T0,
        58.15,
        11.30,
        sog=sog,
        cog=cog,
        every_s=5,
        count=count,
        source=source,
        sensor="r1" if source is Source.RADAR else "rx",
    )


def test_fast_dark_boat_heading_for_shore() -> None:
    h = Harness(SITE)
    h.feed(run(40))
    (event,) = h.of_kind("high_speed")
    assert event.targets == ("radar:r1-9",)
    assert event.facts["sog_kn"] == 40.0
    assert event.facts["identified"] is False
    assert event.facts["heading_to_shore"] is True
    assert event.start == T0.replace(second=5)  # the second fast report


def test_heading_away_is_stated() -> None:
    h = Harness(SITE)
    h.feed(run(40, cog=270))
    (event,) = h.of_kind("high_speed")
    assert event.facts["heading_to_shore"] is False


def test_slowing_down_ends_it_with_the_top_speed() -> None:
    h = Harness(SITE)
    fast = run(40)
    slow = run_straight(
        "r1-9",
        fast[-1].time.replace(second=fast[-1].time.second + 5),
        fast[-1].lat,
        fast[-1].lon,
        sog=10,
        cog=90,
        every_s=5,
        count=2,
        source=Source.RADAR,
        sensor="r1",
    )
    h.feed([*fast, *slow])
    opened, closing = h.of_kind("high_speed")
    assert closing.id == opened.id
    assert closing.facts["max_sog_kn"] == 40.0


@pytest.mark.parametrize(
    ("sog", "count", "length"),
    [
        (29.9, 6, None),  # just under min_speed_kn
        (40.0, 1, None),  # one fast report is not enough (min_reports = 2)
        (35.0, 6, 26.0),  # a known hull just longer than max_length_m
    ],
)
def test_near_misses(sog: float, count: int, length: float | None) -> None:
    h = Harness(SITE)
    if length is None:
        h.feed(run(sog, count))
    else:
        reports = run(sog, count, source=Source.AIS)
        h.feed([static(265000040, T0, length_m=length), *reports])
    assert h.of_kind("high_speed") == []
