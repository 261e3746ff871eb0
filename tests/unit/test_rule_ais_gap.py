"""ais_gap: silent for longer than class/speed make normal, inside coverage; ends on return."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shorewatch.events import Observation
from tests.detection import T0, Harness, obs, offset, run_straight

LAT, LON = 58.10, 11.20
COVERAGE = """
version: v
zones:
  - id: cover
    name: Receiver coverage
    kind: coverage
    polygon: [[11.0, 58.0], [11.5, 58.0], [11.5, 58.3], [11.0, 58.3], [11.0, 58.0]]
"""


def scenario(silence_s: float, lat: float = LAT, lon: float = LON) -> list[Observation]:
    """A vessel at 10 kn for 5 min, then silent for `silence_s`, back 3 km north; a second
    vessel reports throughout, as real traffic does, so event time keeps moving."""
    before = run_straight(265000010, T0, lat, lon, sog=10, cog=0, every_s=10, count=31)
    back_at = before[-1].time + timedelta(seconds=silence_s)
    la, lo = offset(before[-1].lat, before[-1].lon, 3000, 0)
    after = [
        obs(265000010, back_at + timedelta(seconds=10 * i), la, lo, sog=10, cog=0) for i in range(3)
    ]
    span = int((back_at - T0).total_seconds() // 10) + 5
    other = run_straight(265000099, T0, lat - 0.05, lon, sog=8, cog=90, every_s=10, count=span)
    return [*before, *after, *other]


def test_gap_opens_during_silence_and_closes_on_return() -> None:
    h = Harness(COVERAGE)
    h.feed(scenario(1200))
    opened, closing = h.of_kind("ais_gap")
    assert opened.id == closing.id
    assert opened.end is None
    assert opened.start == T0 + timedelta(seconds=300)  # its last report before the silence
    assert opened.facts["gap_threshold_s"] == 900.0
    assert closing.facts["gap_s"] == 1200.0
    assert closing.facts["distance_moved_m"] == pytest.approx(3000, abs=5)


@pytest.mark.parametrize(
    ("silence_s", "lat"),
    [
        (890, LAT),  # just under min_gap_s = 900 for a 10 kn vessel (30 x 30 s = 900)
        (1200, 58.5),  # same gap outside receiver coverage
    ],
)
def test_near_misses(silence_s: float, lat: float) -> None:
    h = Harness(COVERAGE)
    h.feed(scenario(silence_s, lat=lat))
    assert h.of_kind("ais_gap") == []


def test_gap_seen_only_on_return_is_raised_closed() -> None:
    h = Harness(COVERAGE)
    before = run_straight(265000010, T0, LAT, LON, sog=10, cog=0, every_s=10, count=31)
    back = obs(265000010, before[-1].time + timedelta(seconds=1000), LAT + 0.02, LON, sog=10)
    h.feed([*before, back])  # nothing else reports: no sweep runs during the silence
    (event,) = h.of_kind("ais_gap")
    assert event.end is not None
    assert event.facts["gap_s"] == 1000.0
