"""Vessel type judgement (issue 13, item 3): one case per class on synthetic kinematics, and
how the declaration and the movement combine."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from detectors.track import Fix
from detectors.vessel_type import VesselClass, classify_kinematics, judge, kinematics
from tests.detection import T0, offset


def track(
    speeds: list[float], courses: list[float] | None = None, every_s: float = 10.0
) -> list[Fix]:
    """Fixes sailing the given speed (and course) per step from 58.1 N 11.2 E."""
    lat, lon = 58.1, 11.2
    out = []
    for i, sog in enumerate(speeds):
        cog = courses[i] if courses else 90.0
        out.append(Fix(T0 + timedelta(seconds=every_s * i), lat, lon, sog, cog, "rx"))
        metres = sog * 1852.0 / 3600.0 * every_s
        lat, lon = offset(
            lat, lon, metres * math.cos(math.radians(cog)), metres * math.sin(math.radians(cog))
        )
    return out


SPEEDBOAT = track([0.5, 12, 28, 38, 40, 41, 39, 40, 35, 4, 0.5, 20, 38, 40])
FISHING = track([3.0, 2.5, 3.5, 0.5, 0.3, 3.0, 2.8, 3.2, 2.5, 3.0, 2.9, 3.1],
                [0, 40, 95, 150, 150, 210, 260, 320, 20, 80, 140, 200])  # fmt: skip
CARGO = track([12.0, 12.1, 11.9, 12.0, 12.2, 12.0, 11.8, 12.0, 12.1, 12.0])
FERRY = track([20.0, 20.5, 19.8, 20.2, 20.0, 20.1, 19.9, 20.3, 20.0, 20.0])
PLEASURE = track([6.0, 5.0, 7.0, 6.5, 4.0, 6.0, 8.0, 5.5, 6.0, 7.0],
                 [90, 100, 120, 110, 90, 80, 95, 100, 90, 85])  # fmt: skip


@pytest.mark.parametrize(
    ("fixes", "expected"),
    [
        (SPEEDBOAT, VesselClass.SPEEDBOAT),
        (FISHING, VesselClass.FISHING),
        (CARGO, VesselClass.CARGO_TANKER),
        (FERRY, VesselClass.PASSENGER),
        (PLEASURE, VesselClass.PLEASURE),
        (track([0.0] * 10), VesselClass.UNKNOWN),  # moored: movement says nothing
        (SPEEDBOAT[:4], VesselClass.UNKNOWN),  # too few fixes
    ],
)
def test_each_class_from_kinematics_alone(fixes: list[Fix], expected: VesselClass) -> None:
    found, confidence, evidence = classify_kinematics(kinematics(fixes))
    assert found is expected, evidence
    assert (confidence > 0) is (expected is not VesselClass.UNKNOWN)
    assert evidence


def test_speedboat_features() -> None:
    k = kinematics(SPEEDBOAT)
    assert k is not None
    assert k.stop_and_go
    assert k.p90_kn >= 38
    assert k.accel_kn_per_min >= 60  # 0.5 -> 12 -> 28 kn in 10 s steps


@pytest.mark.parametrize(
    ("fixes", "ship_type", "length", "judged", "contradicted"),
    [
        (FISHING, 30, 14.0, VesselClass.FISHING, False),  # declaration and movement agree
        (SPEEDBOAT, 30, 9.0, VesselClass.SPEEDBOAT, True),  # "fishing" at 40 kn: smuggler
        (SPEEDBOAT, 37, None, VesselClass.SPEEDBOAT, True),  # "pleasure" at 40 kn
        (SPEEDBOAT, 60, 40.0, VesselClass.PASSENGER, False),  # a 40 m fast ferry
        (CARGO, 55, 30.0, VesselClass.LAW_ENFORCEMENT, True),  # declaration stands, noted
        (CARGO, None, None, VesselClass.CARGO_TANKER, False),  # movement alone
        (SPEEDBOAT[:3], 70, 120.0, VesselClass.CARGO_TANKER, False),  # declaration alone
    ],
)
def test_declaration_and_movement_combined(
    fixes: list[Fix],
    ship_type: int | None,
    length: float | None,
    judged: VesselClass,
    contradicted: bool,
) -> None:
    j = judge(fixes, ship_type, length)
    assert j.vessel_class is judged, j.evidence
    assert j.contradicts_declaration is contradicted
    assert 0.0 < j.confidence <= 1.0
    if ship_type is not None:
        assert j.evidence[0].startswith(f"declares type {ship_type}")


def test_agreement_is_more_confident_than_a_declaration_alone() -> None:
    assert judge(FISHING, 30, 14.0).confidence > judge(FISHING[:3], 30, 14.0).confidence
