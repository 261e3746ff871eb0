"""The zone-entry rule: one event per episode, closed on leaving beyond the buffer; and the
approach-to-shore extension."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shorewatch.events import Source
from tests.detection import T0, Harness, obs, run_straight

SITE = """
version: v1
zones:
  - id: restricted-a
    name: Restricted A
    kind: restricted
    polygon: [[11.40, 58.24], [11.44, 58.24], [11.44, 58.26], [11.40, 58.26], [11.40, 58.24]]
  - id: shore
    name: Shore
    kind: coastline
    polygon: [[11.50, 58.30], [11.60, 58.30], [11.60, 58.40], [11.50, 58.40], [11.50, 58.30]]
thresholds:
  zone_entry: {exit_buffer_m: BUFFER}
"""


def run(lats: list[float], buffer_m: float = 100.0) -> list[tuple[str, float | None]]:
    harness = Harness(SITE.replace("BUFFER", str(buffer_m)))
    reports = [
        obs(265000001, T0 + timedelta(seconds=10 * i), lat, 11.42, sog=20)
        for i, lat in enumerate(lats)
    ]
    out: list[tuple[str, float | None]] = []
    for event in harness.feed(reports):
        if event.kind.value != "zone_entry":
            continue  # a 5 km jump in 10 s is also (rightly) spoofing
        assert event.zone == "restricted-a"
        duration = event.facts.get("duration_s")
        assert duration is None or isinstance(duration, float | int)
        out.append(("open" if event.end is None else "close", duration))
    return out


@pytest.mark.parametrize(
    ("lats", "expected"),
    [
        ([58.23, 58.235, 58.239], []),  # approaches but never enters
        ([58.23, 58.245, 58.25, 58.255], [("open", None)]),  # one event, not one per report
        ([58.23, 58.245, 58.23], [("open", None), ("close", 10.0)]),
        # 58.2395 is ~55 m outside the boundary at 58.24: inside the 100 m buffer, still in.
        ([58.245, 58.2395, 58.245], [("open", None)]),
        ([58.245, 58.2395, 58.245, 58.2], [("open", None), ("close", 30.0)]),
    ],
)
def test_episodes(lats: list[float], expected: list[tuple[str, float | None]]) -> None:
    assert run(lats) == expected


def test_without_buffer_a_wobble_reopens() -> None:
    assert run([58.245, 58.2395, 58.245], buffer_m=0) == [
        ("open", None),
        ("close", 10.0),
        ("open", None),
    ]


def test_event_ids_are_deterministic() -> None:
    def ids() -> list[str]:
        harness = Harness(SITE.replace("BUFFER", "100"))
        return [str(e.id) for e in harness.feed([obs(265000001, T0, 58.25, 11.42)])]

    assert ids() == ids()
    assert len(ids()) == 1


def _run_to_shore(sog: float, stop_m: float, source: Source = Source.RADAR) -> Harness:
    """A target heading east at `sog` towards the coastline at lon 11.50, from 5 km out."""
    harness = Harness(SITE.replace("BUFFER", "100"))
    lat, lon = 58.35, 11.50 - 5000 / (111_320 * 0.5240)  # cos(58.35 deg) ~ 0.524
    seconds = (5000 - stop_m) / (sog * 1852 / 3600)
    count = int(seconds // 10) + 1
    harness.feed(
        run_straight(
            "navico-7",
            T0,
            lat,
            lon,
            sog=sog,
            cog=90,
            every_s=10,
            count=count,
            source=source,
            sensor="radar1",
        )
    )
    return harness


def test_fast_radar_target_closing_on_shore_raises_one_approach() -> None:
    harness = _run_to_shore(40, stop_m=300)
    (event,) = harness.of_kind("zone_entry")
    assert event.facts["approach"] is True
    assert event.zone == "shore"
    assert isinstance(event.facts["distance_to_shore_m"], float)
    assert event.facts["distance_to_shore_m"] <= 1500
    assert event.targets == ("radar:navico-7",)


@pytest.mark.parametrize(
    ("sog", "stop_m", "source"),
    [
        (4.9, 300, Source.RADAR),  # just under the speed that counts
        (40, 1600, Source.RADAR),  # stops just outside approach_m
        (40, 300, Source.AIS),  # identified AIS traffic berths every day
    ],
)
def test_approach_near_misses(sog: float, stop_m: float, source: Source) -> None:
    assert _run_to_shore(sog, stop_m, source).of_kind("zone_entry") == []
