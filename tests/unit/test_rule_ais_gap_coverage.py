"""ais_gap with receiver coverage (issue 13, item 2): a gap only where a receiver should have
heard the vessel all along its dead-reckoned course; the facts name that receiver."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shorewatch.events import Observation
from tests.detection import T0, Harness, obs, offset, run_straight

RX_LAT, RX_LON = 58.00, 11.20
RANGE = """
version: v
coverage:
  receivers:
    - {id: rx, lat: 58.0, lon: 11.2, range_km: 20}
"""
TWO_RECEIVERS = """
version: v
coverage:
  receivers:
    - {id: rx-a, lat: 58.0, lon: 11.2, range_km: 8}
    - id: rx-b
      polygon: [[11.0, 58.05], [11.5, 58.05], [11.5, 58.3], [11.0, 58.3], [11.0, 58.05]]
"""
LEARNED = """
version: v
coverage:
  learned: {cell_deg: 0.05, min_reports: 5, min_cells: 2}
"""
SATELLITE = """
version: v
detectors: {state_ttl_s: 172800, fusion: {clocks: {max_lead_s: 86400}}}
coverage:
  receivers:
    - {id: sat, satellite: true}
"""


def scenario(
    silence_s: float,
    lat: float,
    *,
    cog: float = 0.0,
    sensor: str = "rx",
    other_sensor: str = "rx",
    other_lat: float | None = None,
    other_lon: float = RX_LON - 0.1,
) -> list[Observation]:
    """A vessel at 10 kn for 5 min, then silent for `silence_s`; a second vessel reports
    throughout (every 10 s, 8 kn east) so that event time moves and sweeps run."""
    before = run_straight(
        265000010, T0, lat, RX_LON, sog=10, cog=cog, every_s=10, count=31, sensor=sensor
    )
    back_at = before[-1].time + timedelta(seconds=silence_s)
    la, lo = offset(before[-1].lat, before[-1].lon, 3000, 0)
    after = [
        obs(265000010, back_at + timedelta(seconds=10 * i), la, lo, sog=10, cog=cog, sensor=sensor)
        for i in range(3)
    ]
    span = int((back_at - T0).total_seconds() // 10) + 5
    other = run_straight(
        265000099,
        T0,
        RX_LAT + 0.02 if other_lat is None else other_lat,
        other_lon,
        sog=8,
        cog=90,
        every_s=10,
        count=span,
        sensor=other_sensor,
    )
    return [*before, *after, *other]


def test_silent_inside_coverage_raises_a_gap_naming_the_receiver() -> None:
    h = Harness(RANGE)
    h.feed(scenario(1200, lat=58.10))  # 11 km north of the mast, 17 km after 900 s of DR
    opened, closing = h.of_kind("ais_gap")
    assert opened.id == closing.id
    assert opened.end is None
    assert opened.facts["receiver"] == "rx"
    assert opened.facts["expected_receivers"] == "rx"
    assert opened.facts["coverage"] == "receivers"
    assert opened.facts["dr_checked_s"] == 900.0


@pytest.mark.parametrize("silence_s", [1200, 3000])
def test_leaving_coverage_raises_nothing(silence_s: float) -> None:
    """Last heard 17 km out, steaming north: 900 s of dead reckoning take it to 22 km, past
    the 20 km range, so its silence is the edge of coverage, not a gap."""
    h = Harness(RANGE)
    h.feed(scenario(silence_s, lat=58.14))
    assert h.of_kind("ais_gap") == []
    unmodelled = Harness("version: v")  # control: without coverage, the same silence is a gap
    unmodelled.feed(scenario(silence_s, lat=58.14))
    assert len(unmodelled.of_kind("ais_gap")) == 2


def test_same_place_heading_in_raises() -> None:
    """The course decides: from the same last position, heading back to the mast stays in."""
    h = Harness(RANGE)
    h.feed(scenario(1200, lat=58.14 + 0.0138, cog=180))  # last fix ~15.6 km out
    (opened, _closing) = h.of_kind("ais_gap")
    assert opened.facts["receiver"] == "rx"


def test_gap_seen_only_on_return_respects_coverage() -> None:
    """No sweep runs in the silence (nothing else reports): judged at the return, the same."""
    for lat, raised in ((58.10, True), (58.14, False)):
        h = Harness(RANGE)
        before = run_straight(265000010, T0, lat, RX_LON, sog=10, cog=0, every_s=10, count=31)
        back = obs(265000010, before[-1].time + timedelta(seconds=1000), lat + 0.03, RX_LON)
        h.feed([*before, back])
        events = h.of_kind("ais_gap")
        assert len(events) == int(raised)
        if raised:
            assert events[0].end is not None
            assert events[0].facts["receiver"] == "rx"


def test_the_receiver_that_covers_the_area_is_named() -> None:
    """Heard last by the short-range mast, silent where only the island receiver reaches."""
    h = Harness(TWO_RECEIVERS)
    h.feed(scenario(1200, lat=58.12, sensor="rx-a", other_sensor="rx-a"))
    opened, _ = h.of_kind("ais_gap")
    assert opened.facts["last_sensor_id"] == "rx-a"
    assert opened.facts["receiver"] == "rx-b"
    assert opened.facts["expected_receivers"] == "rx-b"


def test_learned_coverage_decides_once_mature() -> None:
    """No configured area: the grid learned from the traffic is coverage. The other vessel's
    lane (58.11 N, from 11.05 E eastwards) teaches three cells; a vessel going silent westwards
    along that lane raises, the same vessel heading east, off the lane's end, raises nothing."""
    h = Harness(LEARNED)
    h.feed(scenario(1200, lat=58.11, cog=270, other_lat=58.112, other_lon=11.05))
    (opened, _closing) = h.of_kind("ais_gap")
    assert opened.facts["coverage"] == "receivers"
    assert opened.facts["receiver"] == "rx"
    h = Harness(LEARNED)
    h.feed(scenario(1200, lat=58.11, cog=90, other_lat=58.112, other_lon=11.05))
    assert h.of_kind("ais_gap") == []


def test_satellite_uses_revisit_thresholds() -> None:
    h = Harness(SATELLITE)
    before = run_straight(265000010, T0, 58.1, RX_LON, sog=10, cog=0, every_s=600, count=4)
    before = [b.model_copy(update={"sensor_id": "sat"}) for b in before]
    short = obs(265000010, before[-1].time + timedelta(hours=2), 58.3, RX_LON, sensor="sat")
    h.feed([*before, short])
    assert h.of_kind("ais_gap") == []  # 2 h is an ordinary satellite revisit
    late = obs(265000010, short.time + timedelta(hours=13), 58.5, RX_LON, sensor="sat")
    h.feed([late])
    (event,) = h.of_kind("ais_gap")
    assert event.facts["coverage"] == "satellite"
    assert event.facts["gap_threshold_s"] == 43200.0
    assert event.facts["receiver"] == "sat"


def test_a_warm_rebuild_learns_nothing() -> None:
    """The store already counted what a warm start replays."""
    h = Harness(LEARNED)
    h.worker.rebuild(scenario(1200, lat=58.11))
    assert h.worker.coverage.grid.receivers() == []
    h.feed(scenario(60, lat=58.11))
    assert h.worker.coverage.grid.receivers() == ["rx"]
