"""encounter: two vessels within distance_m, both slow, for duration_s, away from harbours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shorewatch.events import Observation
from tests.detection import T0, Harness, obs, offset

LAT, LON = 58.10, 11.20
SITE = """
version: v
zones:
  - id: anchorage
    name: Roads
    kind: anchorage
    polygon: [[11.30, 58.20], [11.40, 58.20], [11.40, 58.25], [11.30, 58.25], [11.30, 58.20]]
"""


def pair(
    minutes: float, apart_m: float = 300, sog: float = 1.0, lat: float = LAT, lon: float = LON
) -> list[Observation]:
    out = []
    la, lo = offset(lat, lon, 0, apart_m)
    for i in range(int(minutes) + 1):
        at = T0 + timedelta(minutes=i)
        out.append(obs(265000020, at, lat, lon, sog=sog, cog=0))
        out.append(obs(265000021, at + timedelta(seconds=5), la, lo, sog=sog, cog=0))
    return out


def test_two_hours_alongside_fires_once() -> None:
    h = Harness(SITE)
    h.feed(pair(150))
    (event,) = h.of_kind("encounter")
    assert event.targets == ("ais:265000020", "ais:265000021")
    assert event.facts["distance_m"] == pytest.approx(300, abs=2)
    assert event.facts["together_s"] >= 7200  # type: ignore[operator]


def test_parting_closes_it() -> None:
    h = Harness(SITE)
    h.feed(pair(130))
    end = T0 + timedelta(minutes=131)
    h.feed([obs(265000020, end, LAT, LON, sog=8), obs(265000021, end, LAT + 0.02, LON, sog=8)])
    opened, closing = h.of_kind("encounter")
    assert closing.id == opened.id
    assert closing.facts["closed_by"] == "apart"


@pytest.mark.parametrize(
    ("minutes", "apart_m", "sog", "lat", "lon"),
    [
        (119, 300, 1.0, LAT, LON),  # just under duration_s = 2 h
        (150, 510, 1.0, LAT, LON),  # just beyond distance_m = 500
        (150, 300, 2.1, LAT, LON),  # just above max_speed_kn = 2
        (150, 300, 1.0, 58.22, 11.35),  # inside an anchorage
    ],
)
def test_near_misses(minutes: float, apart_m: float, sog: float, lat: float, lon: float) -> None:
    h = Harness(SITE)
    h.feed(pair(minutes, apart_m, sog, lat, lon))
    assert h.of_kind("encounter") == []
