"""spoofing: impossible movement, invalid MMSI, identity change; one episode per vessel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from detectors.rules.spoofing import mmsi_problem
from tests.detection import T0, Harness, obs, offset, static

LAT, LON = 58.10, 11.20


def test_impossible_jump_fires_once_with_facts() -> None:
    h = Harness()
    la, lo = offset(LAT, LON, 5000, 0)
    h.feed(
        [
            obs(265000050, T0, LAT, LON, sog=10),
            obs(265000050, T0 + timedelta(seconds=60), la, lo, sog=10),
            obs(265000050, T0 + timedelta(seconds=120), LAT, LON, sog=10),
        ]
    )
    (event,) = h.of_kind("spoofing")
    assert event.facts["impossible_move_m"] == pytest.approx(5000, abs=5)
    assert event.facts["implied_speed_kn"] == pytest.approx(162, abs=1)


def test_two_receivers_same_mmsi_two_places_at_once() -> None:
    h = Harness()
    la, lo = offset(LAT, LON, 20_000, 0)
    h.feed(
        [obs(265000051, T0, LAT, LON, sensor="north"), obs(265000051, T0, la, lo, sensor="south")]
    )
    (event,) = h.of_kind("spoofing")
    assert event.facts["sensors"] == "north,south"


@pytest.mark.parametrize(
    ("jump_m", "seconds"),
    [
        (1900, 10),  # under min_jump_m = 2000: GPS noise, not spoofing
        (5000, 230),  # 5 km in 230 s = 42 kn: fast, but possible
    ],
)
def test_movement_near_misses(jump_m: float, seconds: float) -> None:
    h = Harness()
    la, lo = offset(LAT, LON, jump_m, 0)
    h.feed([obs(265000052, T0, LAT, LON), obs(265000052, T0 + timedelta(seconds=seconds), la, lo)])
    assert h.of_kind("spoofing") == []


@pytest.mark.parametrize(
    ("mmsi", "problem"),
    [
        (123456789, "no maritime identity starts with 1"),
        (111111111, "unallocated MID 111"),
        (999999999, "unallocated MID 999"),
        (12345, "5 digits, not 9"),
        (265123456, None),
        (970123456, None),
        (992651234, None),
        (2651234, "7 digits, not 9"),
    ],
)
def test_mmsi_validity(mmsi: int, problem: str | None) -> None:
    assert mmsi_problem(mmsi) == problem


def test_invalid_mmsi_raises_once_not_per_report() -> None:
    h = Harness()
    h.feed([obs(123456789, T0 + timedelta(seconds=10 * i), LAT, LON) for i in range(5)])
    (event,) = h.of_kind("spoofing")
    assert event.facts["invalid_mmsi"] == "no maritime identity starts with 1"


def test_identity_change_on_one_mmsi() -> None:
    h = Harness()
    h.feed(
        [
            static(265000053, T0, name="NORDIC STAR", callsign="SABC"),
            obs(265000053, T0 + timedelta(seconds=1), LAT, LON),
            static(265000053, T0 + timedelta(seconds=60), name="BLUE MOON", callsign="SABC"),
        ]
    )
    (event,) = h.of_kind("spoofing")
    assert event.facts["name_was"] == "NORDIC STAR"
    assert event.facts["name_now"] == "BLUE MOON"
    assert "callsign_was" not in event.facts


def test_same_identity_padded_differently_is_no_change() -> None:
    h = Harness()
    h.feed(
        [
            static(265000054, T0, name="NORDIC STAR@@@@"),
            obs(265000054, T0 + timedelta(seconds=1), LAT, LON),
            static(265000054, T0 + timedelta(seconds=60), name="nordic  star"),
        ]
    )
    assert h.of_kind("spoofing") == []


def test_episode_closes_after_quiet_period() -> None:
    h = Harness()
    la, lo = offset(LAT, LON, 5000, 0)
    reports = [obs(265000055, T0, LAT, LON), obs(265000055, T0 + timedelta(seconds=60), la, lo)]
    reports += [obs(265000055, T0 + timedelta(seconds=60 + 30 * i), la, lo) for i in range(1, 130)]
    h.feed(reports)
    opened, closing = h.of_kind("spoofing")
    assert closing.id == opened.id
    assert closing.facts["anomalies"] == 1


# Issue 13: identity faults (misconfiguration) apart from deception, each its own episode.
def test_invalid_mmsi_is_an_identity_fault_and_a_jump_is_deception() -> None:
    h = Harness()
    la, lo = offset(LAT, LON, 5000, 0)
    h.feed([obs(123456789, T0, LAT, LON, sog=10)])
    h.feed([obs(265000057, T0 + timedelta(seconds=30 * i), LAT, LON, sog=10) for i in range(2)])
    h.feed([obs(265000057, T0 + timedelta(seconds=90), la, lo, sog=10)])
    (fault,) = h.of_kind("spoofing")[:1]
    assert fault.targets == ("ais:123456789",)
    assert fault.facts["category"] == "identity_fault"
    (deception,) = [e for e in h.of_kind("spoofing") if e.targets == ("ais:265000057",)]
    assert deception.facts["category"] == "deception"
    assert "invalid_mmsi" not in deception.facts


def test_identity_change_is_deception() -> None:
    h = Harness()
    h.feed(
        [
            static(265000056, T0, name="NORDIC STAR"),
            obs(265000056, T0 + timedelta(seconds=1), LAT, LON),
            static(265000056, T0 + timedelta(seconds=60), name="BLUE MOON"),
        ]
    )
    (event,) = h.of_kind("spoofing")
    assert event.facts["category"] == "deception"


def test_a_default_mmsi_in_two_places_is_one_shared_identity_fault() -> None:
    """MMSI 0 / 111111111 on a national network: many misconfigured units, not one deceiver."""
    h = Harness()
    la, lo = offset(LAT, LON, 20_000, 0)
    reports = [obs(111111111, T0, LAT, LON, sensor="north"), obs(111111111, T0, la, lo)]
    reports += [obs(111111111, T0 + timedelta(seconds=30 * i), LAT, LON) for i in range(1, 140)]
    h.feed(reports)
    opened, closing = h.of_kind("spoofing")
    assert opened.id == closing.id
    assert opened.facts["category"] == "identity_fault"
    assert closing.facts["shared_identity"] is True
    assert closing.facts["anomalies"] == 3  # the invalid MMSI, the jump there and back
