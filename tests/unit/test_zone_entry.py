"""The zone-entry rule: one event per episode, closed on leaving beyond the buffer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from detectors.rules.zone_entry import ZoneMembership, zone_entry
from detectors.state import TargetStates
from shorewatch.config import ZoneEntryThresholds, load_config
from shorewatch.events import EventKind, Observation, Source
from shorewatch.zones import build_zones

ZONES = build_zones(load_config())
T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


def run(lats: list[float], buffer_m: float = 100.0) -> list[tuple[str, float | None]]:
    state = ZoneMembership()
    out: list[tuple[str, float | None]] = []
    for i, lat in enumerate(lats):
        obs = Observation(
            source=Source.AIS,
            sensor_id="rx",
            target_ref="1",
            time=T0 + timedelta(seconds=10 * i),
            lat=lat,
            lon=11.42,
            sog_kn=20,
        )
        for event in zone_entry(
            state, "ais:1", obs, ZONES, ZoneEntryThresholds(exit_buffer_m=buffer_m), "v1"
        ):
            assert event.kind is EventKind.ZONE_ENTRY
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
        state = ZoneMembership()
        obs = Observation(
            source=Source.AIS, sensor_id="rx", target_ref="1", time=T0, lat=58.25, lon=11.42
        )
        return [
            str(e.id) for e in zone_entry(state, "ais:1", obs, ZONES, ZoneEntryThresholds(), "v1")
        ]

    assert ids() == ids()


def test_target_states_expire_in_event_time_and_by_count() -> None:
    states: TargetStates[list[int]] = TargetStates(list, ttl=timedelta(minutes=10), max_targets=3)
    states.touch("a", T0)
    states.touch("b", T0 + timedelta(minutes=5))
    states.touch("c", T0 + timedelta(minutes=11))  # "a" is now 11 min silent
    assert "a" not in states
    assert "b" in states
    for name in "defg":
        states.touch(name, T0 + timedelta(minutes=12))
    assert len(states) == 3
