"""dark_target: a radar track with no AIS vessel vouching for it for longer than after_s."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shorewatch.events import Source
from tests.detection import T0, Harness, run_straight

LAT, LON = 58.10, 11.20


def radar(seconds: float, sog: float = 20.0) -> list:  # type: ignore[type-arg]
    return run_straight(
        "r1-7",
        T0,
        LAT,
        LON,
        sog=sog,
        cog=45,
        every_s=5,
        count=int(seconds // 5) + 1,
        source=Source.RADAR,
        sensor="r1",
    )


def test_unvouched_radar_track_fires_once_with_facts() -> None:
    h = Harness()
    h.feed(radar(300))
    (event,) = h.of_kind("dark_target")
    assert event.targets == ("radar:r1-7",)
    assert event.start == T0
    assert event.facts["sog_kn"] == 20.0
    assert event.facts["dark_for_s"] == 120.0  # raised the first report past the threshold
    assert event.end is None


@pytest.mark.parametrize(
    ("seconds", "sog", "yaml"),
    [
        (115, 20.0, None),  # just under after_s = 120
        (300, 2.9, "version: v\nthresholds: {dark_target: {min_speed_kn: 3}}"),  # too slow to count
    ],
)
def test_near_misses(seconds: float, sog: float, yaml: str | None) -> None:
    h = Harness(yaml)
    h.feed(radar(seconds, sog))
    assert h.of_kind("dark_target") == []


def test_radar_track_of_an_ais_vessel_is_not_dark() -> None:
    h = Harness()
    ais = run_straight(265000001, T0, LAT, LON, sog=20, cog=45, every_s=10, count=31)
    h.feed([*ais, *radar(300)])
    assert h.of_kind("dark_target") == []
    assert h.worker.fusion.get("radar:r1-7").associated == "ais:265000001"  # type: ignore[union-attr]


def test_ais_turning_up_closes_the_episode() -> None:
    h = Harness()
    h.feed(radar(200))
    late = T0 + timedelta(seconds=205)
    from tests.detection import offset

    lat, lon = offset(LAT, LON, 20 * 1852 / 3600 * 205 * 0.7071, 20 * 1852 / 3600 * 205 * 0.7071)
    h.feed(
        [
            *run_straight(265000002, late, lat, lon, sog=20, cog=45, every_s=5, count=12),
            *run_straight(
                "r1-7",
                late,
                lat,
                lon,
                sog=20,
                cog=45,
                every_s=5,
                count=12,
                source=Source.RADAR,
                sensor="r1",
            ),
        ]
    )
    opened, closing = h.of_kind("dark_target")
    assert opened.id == closing.id
    assert closing.end is not None
    assert closing.facts["closed_by"] == "associated"
    assert closing.facts["associated_with"] == "ais:265000002"
