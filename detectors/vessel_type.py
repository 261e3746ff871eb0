"""Judging what kind of vessel a track is, from what it says and how it moves.

A high-powered smuggling speedboat is not a fishing boat, whatever its AIS says. For every track
a judged class with a confidence and the evidence behind it, from:
- the AIS declaration (ship type of messages 5/19/24, and the dimensions sent with it);
- kinematics over the track's recent fixes: speed distribution, acceleration, turn rate,
  stop-and-go, and whether it runs at night.
Pure functions of fixes and identity; rules call them when they need a judgement, so nothing is
computed per report for tracks nobody asks about.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from detectors.track import Fix, course_difference, distance_m


class VesselClass(StrEnum):
    SPEEDBOAT = "speedboat"
    FISHING = "fishing"
    CARGO_TANKER = "cargo_tanker"
    PASSENGER = "passenger"
    PLEASURE = "pleasure"
    LAW_ENFORCEMENT = "law_enforcement"
    UNKNOWN = "unknown"


MIN_FIXES = 6  # fewer moving reports say nothing about how a hull moves
MAX_STEP_S = 120.0  # consecutive fixes further apart than this are a gap, not a manoeuvre
MOVING_KN = 1.0
RECENT = 64  # fixes judged: the current behaviour, and a bounded cost on long tracks


def declared_class(ship_type: int | None, length_m: float | None = None) -> VesselClass | None:
    """ITU-R M.1371 ship type code -> class; None when it says nothing we can use (0, tugs...).

    High-speed craft (40-49) are fast ferries when longer than 25 m, else fast boats.
    """
    if ship_type is None:
        return None
    if ship_type == 30:
        return VesselClass.FISHING
    if ship_type in (36, 37):
        return VesselClass.PLEASURE
    if ship_type in (35, 51, 55):  # military, search and rescue, law enforcement
        return VesselClass.LAW_ENFORCEMENT
    if 40 <= ship_type <= 49:
        small = length_m is not None and length_m <= 25.0
        return VesselClass.SPEEDBOAT if small else VesselClass.PASSENGER
    if 60 <= ship_type <= 69:
        return VesselClass.PASSENGER
    if 70 <= ship_type <= 89:
        return VesselClass.CARGO_TANKER
    return None


@dataclass(frozen=True)
class Kinematics:
    """How a track moved over its recent fixes (moving fixes only for the speed figures)."""

    fixes: int
    median_kn: float
    p90_kn: float
    max_kn: float
    accel_kn_per_min: float  # 90th percentile of |speed change| per minute
    turn_deg_per_s: float  # median course change rate while moving
    stop_and_go: bool  # both stopped (< 1 kn) and fast (> 8 kn) spells

    @property
    def cv(self) -> float:
        """How steady the speed is: spread relative to the median (cargo ships: small)."""
        return (self.p90_kn - self.median_kn) / max(self.median_kn, 0.1)


def _speeds(fixes: Sequence[Fix]) -> list[float]:
    """Reported speeds, or those implied by the step from the fix before when none is sent."""
    out: list[float] = [fixes[0].sog_kn] if fixes and fixes[0].sog_kn is not None else []
    for prev, fix in itertools.pairwise(fixes):
        if fix.sog_kn is not None:
            out.append(fix.sog_kn)
            continue
        dt = (fix.time - prev.time).total_seconds()
        if 0 < dt <= MAX_STEP_S:
            out.append(distance_m(prev.lat, prev.lon, fix.lat, fix.lon) / dt * 3600.0 / 1852.0)
    return out


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def kinematics(fixes: Sequence[Fix]) -> Kinematics | None:
    """None when there are too few fixes to judge a hull by; only the latest RECENT count."""
    if len(fixes) > RECENT:
        fixes = list(itertools.islice(fixes, len(fixes) - RECENT, None))
    speeds = _speeds(fixes)
    if len(speeds) < MIN_FIXES:
        return None
    accels: list[float] = []
    turns: list[float] = []
    for prev, fix in itertools.pairwise(fixes):
        dt = (fix.time - prev.time).total_seconds()
        if not 0 < dt <= MAX_STEP_S:
            continue
        if prev.sog_kn is not None and fix.sog_kn is not None:
            accels.append(abs(fix.sog_kn - prev.sog_kn) / dt * 60.0)
        moving = (prev.sog_kn or 0.0) > 1.5 and (fix.sog_kn or 0.0) > 1.5  # a trawl is slow
        if moving and prev.cog_deg is not None and fix.cog_deg is not None:
            turns.append(course_difference(prev.cog_deg, fix.cog_deg) / dt)
    moving_speeds = [s for s in speeds if s >= MOVING_KN] or speeds
    stopped = sum(s < 1.0 for s in speeds) / len(speeds)
    fast = sum(s > 8.0 for s in speeds) / len(speeds)
    return Kinematics(
        fixes=len(speeds),
        median_kn=statistics.median(moving_speeds),
        p90_kn=_quantile(moving_speeds, 0.9),
        max_kn=max(speeds),
        accel_kn_per_min=_quantile(accels, 0.9) if accels else 0.0,
        turn_deg_per_s=statistics.median(turns) if turns else 0.0,
        stop_and_go=stopped >= 0.1 and fast >= 0.1,
    )


@dataclass(frozen=True)
class Judgement:
    vessel_class: VesselClass
    confidence: float
    evidence: tuple[str, ...]
    declared: VesselClass | None = None
    kinematic: VesselClass = VesselClass.UNKNOWN

    @property
    def contradicts_declaration(self) -> bool:
        return (
            self.declared is not None
            and self.kinematic is not VesselClass.UNKNOWN
            and self.kinematic is not self.declared
        )


def classify_kinematics(k: Kinematics | None) -> tuple[VesselClass, float, list[str]]:
    """From movement alone: class, confidence and the evidence, in words an operator reads."""
    if k is None:
        return VesselClass.UNKNOWN, 0.0, ["too few fixes to judge by movement"]
    figures = f"median {k.median_kn:.1f} kn, p90 {k.p90_kn:.1f} kn, max {k.max_kn:.1f} kn"
    if k.p90_kn >= 25.0 or (k.max_kn >= 30.0 and k.accel_kn_per_min >= 10.0):
        sure = min(0.95, 0.6 + (k.p90_kn - 25.0) / 25.0 + (0.1 if k.stop_and_go else 0.0))
        return VesselClass.SPEEDBOAT, max(sure, 0.6), [f"speedboat speeds: {figures}"]
    if k.max_kn < MOVING_KN:
        return VesselClass.UNKNOWN, 0.0, [f"stationary: {figures}"]
    if k.median_kn >= 8.0 and k.turn_deg_per_s < 0.5 and k.cv < 0.2:
        if k.median_kn >= 16.0:
            return VesselClass.PASSENGER, 0.5, [f"steady fast passage: {figures}"]
        return VesselClass.CARGO_TANKER, 0.55, [f"steady passage, little turning: {figures}"]
    if k.median_kn < 5.0 and (k.turn_deg_per_s >= 2.0 or (k.stop_and_go and k.max_kn < 12)):
        turning = f"turning {k.turn_deg_per_s:.1f}°/s" + (", stop-and-go" if k.stop_and_go else "")
        return VesselClass.FISHING, 0.5, [f"slow and working: {figures}, {turning}"]
    if k.median_kn < 12.0:
        return VesselClass.PLEASURE, 0.35, [f"moderate, irregular: {figures}"]
    return VesselClass.UNKNOWN, 0.2, [f"no clear pattern: {figures}"]


def _size_class(length_m: float) -> set[VesselClass]:
    """Classes a hull of this length can be (the dimensions AIS sends, or a sensor saw)."""
    if length_m <= 15.0:
        return {VesselClass.SPEEDBOAT, VesselClass.PLEASURE, VesselClass.FISHING,
                VesselClass.LAW_ENFORCEMENT}  # fmt: skip
    if length_m <= 50.0:
        return {VesselClass.FISHING, VesselClass.PASSENGER, VesselClass.PLEASURE,
                VesselClass.LAW_ENFORCEMENT, VesselClass.SPEEDBOAT}  # fmt: skip
    return {VesselClass.CARGO_TANKER, VesselClass.PASSENGER, VesselClass.FISHING,
            VesselClass.LAW_ENFORCEMENT}  # fmt: skip


def judge(
    fixes: Sequence[Fix], ship_type: int | None = None, length_m: float | None = None
) -> Judgement:
    """Declared type and size combined with kinematics.

    Agreement is confident; a declaration alone is taken at its word with moderate confidence;
    movement that contradicts it wins only when it is a confident speedboat (the case that
    matters: a fast boat declared as fishing or pleasure); otherwise the declaration stands with
    lowered confidence and the disagreement in the evidence.
    """
    declared = declared_class(ship_type, length_m)
    kin_class, kin_conf, evidence = classify_kinematics(kinematics(fixes))
    if length_m is not None:
        fits = _size_class(length_m)
        evidence.append(f"length {length_m:.0f} m")
        if kin_class not in (VesselClass.UNKNOWN, *fits):
            evidence.append(f"{kin_class.value} movement but a {length_m:.0f} m hull")
            kin_conf *= 0.5
        if kin_class is VesselClass.SPEEDBOAT and length_m >= 25.0:
            kin_class, kin_conf = VesselClass.PASSENGER, 0.6  # a fast ferry, not a speedboat
            evidence.append("fast and long: a fast ferry")
    if declared is not None:
        evidence.insert(0, f"declares type {ship_type} ({declared.value})")
    if declared is None:
        return Judgement(kin_class, round(kin_conf, 2), tuple(evidence), None, kin_class)
    if kin_class is VesselClass.UNKNOWN or kin_class is declared:
        confidence = 0.9 if kin_class is declared else 0.6
        return Judgement(declared, confidence, tuple(evidence), declared, kin_class)
    if kin_class is VesselClass.SPEEDBOAT and kin_conf >= 0.6:
        evidence.append(f"moves as a speedboat, not as {declared.value}")
        return Judgement(kin_class, round(kin_conf, 2), tuple(evidence), declared, kin_class)
    evidence.append(f"moves more like {kin_class.value}")
    return Judgement(declared, 0.5, tuple(evidence), declared, kin_class)
