"""Cue geometry: from a PTZ camera's pose and a target's track to pan, tilt and zoom.

Pure functions, no I/O, so the alerts stage (which camera can see it), the ONVIF driver (where
to move) and the camera pipeline (where the camera now looks) share one answer. The target is
dead-reckoned to the moment the move completes, because a 40-kn boat runs 20 m a second and a
long lens at full zoom sees only a few hundred metres across. Distances and bearings are on a
sphere (`geocal.LocalPlane`); tilt includes the earth's curvature (no refraction): only 0.05°
at 12 km, but it decides whether a hull is below the horizon.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shorewatch.config.ptz import PtzCamera
from shorewatch.geocal import EARTH_RADIUS_M, LocalPlane

KN_TO_MPS = 1852.0 / 3600.0
LEAD_ITERATIONS = 3


class RefusalReason(StrEnum):
    OUT_OF_RANGE = "out_of_range"
    PAN_LIMITS = "pan_limits"
    TILT_LIMITS = "tilt_limits"
    BELOW_HORIZON = "below_horizon"


@dataclass(frozen=True)
class Refusal:
    """Why this camera cannot look at this target, in words for the alert's audit."""

    reason: RefusalReason
    detail: str


@dataclass(frozen=True)
class TargetFix:
    """The target's last known position and motion (a radar, AIS or fused track)."""

    lat: float
    lon: float
    time: datetime
    sog_kn: float | None = None
    cog_deg: float | None = None
    length_m: float | None = None


@dataclass(frozen=True)
class Aim:
    pan_deg: float
    tilt_deg: float
    zoom: float
    hfov_deg: float
    bearing_deg: float
    range_m: float
    lat: float
    lon: float
    """Where the camera will point: the target dead-reckoned to `at`."""
    at: datetime
    move_s: float


def dead_reckon(fix: TargetFix, at: datetime) -> tuple[float, float]:
    """Straight line at constant speed from the fix to `at` (no course or speed: stays put)."""
    if not fix.sog_kn or fix.cog_deg is None:
        return fix.lat, fix.lon
    run = fix.sog_kn * KN_TO_MPS * (at - fix.time).total_seconds()
    course = math.radians(fix.cog_deg)
    return LocalPlane(fix.lat, fix.lon).to_latlon(run * math.sin(course), run * math.cos(course))


def bearing_range(camera: PtzCamera, lat: float, lon: float) -> tuple[float, float]:
    """True bearing (0-360) and great-circle distance from the camera's foot."""
    east, north = LocalPlane(camera.lat, camera.lon).to_en(lat, lon)
    return math.degrees(math.atan2(east, north)) % 360.0, math.hypot(east, north)


def elevation_deg(height_m: float, range_m: float, target_height_m: float = 0.0) -> float:
    """Angle above the camera's horizontal plane to a point `range_m` away (arc) on a sphere,
    `target_height_m` above the sea: negative looking down."""
    theta = range_m / EARTH_RADIUS_M
    horizontal = (EARTH_RADIUS_M + target_height_m) * math.sin(theta)
    vertical = (EARTH_RADIUS_M + target_height_m) * math.cos(theta) - (EARTH_RADIUS_M + height_m)
    return math.degrees(math.atan2(vertical, horizontal))


def horizon_m(height_m: float) -> float:
    """Geometric distance to the horizon from `height_m` above the sea."""
    return math.sqrt(2 * EARTH_RADIUS_M * height_m + height_m**2)


def hfov_at(camera: PtzCamera, zoom: float) -> float:
    """Horizontal field of view at an ONVIF zoom position (linear between lens steps)."""
    steps = camera.zoom_steps
    if zoom <= steps[0].zoom:
        return steps[0].hfov_deg
    for low, high in itertools.pairwise(steps):
        if zoom <= high.zoom:
            share = (zoom - low.zoom) / (high.zoom - low.zoom)
            return low.hfov_deg + share * (high.hfov_deg - low.hfov_deg)
    return steps[-1].hfov_deg


def zoom_for(camera: PtzCamera, hfov_deg: float) -> float:
    """The zoom position giving `hfov_deg`, clamped to the lens's range."""
    steps = camera.zoom_steps
    if hfov_deg >= steps[0].hfov_deg:
        return steps[0].zoom
    for low, high in itertools.pairwise(steps):
        if hfov_deg >= high.hfov_deg:
            share = (low.hfov_deg - hfov_deg) / (low.hfov_deg - high.hfov_deg)
            return low.zoom + share * (high.zoom - low.zoom)
    return steps[-1].zoom


def pan_for(camera: PtzCamera, bearing_deg: float, current_pan: float) -> float | None:
    """Pan reaching `bearing_deg` within the limits, the nearest to `current_pan` when the
    range allows more than one turn; None when none does."""
    base = (bearing_deg - camera.pan_zero_deg + 180.0) % 360.0 - 180.0
    candidates = [
        base + turn
        for turn in (-720.0, -360.0, 0.0, 360.0, 720.0)
        if camera.pan_min_deg <= base + turn <= camera.pan_max_deg
    ]
    return min(candidates, key=lambda p: abs(p - current_pan)) if candidates else None


def aim(
    camera: PtzCamera,
    fix: TargetFix,
    now: datetime,
    *,
    current_pan: float = 0.0,
    boat_length_m: float = 10.0,
    boat_height_m: float = 2.0,
    frame_fill: float = 0.25,
) -> Aim | Refusal:
    """Pan, tilt and zoom onto the target as it will be when the move completes, or why not.

    The move's duration (slew at `pan_speed_dps` plus `settle_s`) and the lead depend on each
    other; a few fixed-point rounds settle it (the lead moves the aim by a fraction of a
    degree, which changes the duration by milliseconds)."""
    move_s = camera.settle_s
    result: Aim | Refusal = Refusal(RefusalReason.OUT_OF_RANGE, "not computed")
    for _ in range(LEAD_ITERATIONS):
        at = now + timedelta(seconds=move_s)
        lat, lon = dead_reckon(fix, at)
        result = _aim_at(
            camera,
            lat,
            lon,
            at,
            move_s,
            current_pan,
            fix.length_m or boat_length_m,
            boat_height_m,
            frame_fill,
        )
        if isinstance(result, Refusal):
            return result
        move_s = abs(result.pan_deg - current_pan) / camera.pan_speed_dps + camera.settle_s
    return result


def _aim_at(
    camera: PtzCamera,
    lat: float,
    lon: float,
    at: datetime,
    move_s: float,
    current_pan: float,
    length_m: float,
    boat_height_m: float,
    frame_fill: float,
) -> Aim | Refusal:
    bearing, range_m = bearing_range(camera, lat, lon)
    if range_m > camera.max_range_m:
        return Refusal(
            RefusalReason.OUT_OF_RANGE,
            f"{range_m:.0f} m is beyond the camera's range of {camera.max_range_m:.0f} m",
        )
    visible = horizon_m(camera.height_m) + horizon_m(boat_height_m)
    if range_m > visible:
        return Refusal(
            RefusalReason.BELOW_HORIZON,
            f"{range_m:.0f} m: a {boat_height_m:g}-m hull is below the horizon beyond "
            f"{visible:.0f} m from {camera.height_m:g} m up",
        )
    pan = pan_for(camera, bearing, current_pan)
    if pan is None:
        return Refusal(
            RefusalReason.PAN_LIMITS,
            f"bearing {bearing:.1f}° is outside pan limits "
            f"{camera.pan_min_deg:g}°..{camera.pan_max_deg:g}° (pan zero at "
            f"{camera.pan_zero_deg:g}°)",
        )
    tilt = elevation_deg(camera.height_m, range_m)
    if not camera.tilt_min_deg <= tilt <= camera.tilt_max_deg:
        return Refusal(
            RefusalReason.TILT_LIMITS,
            f"tilt {tilt:.2f}° is outside limits "
            f"{camera.tilt_min_deg:g}°..{camera.tilt_max_deg:g}°",
        )
    angular = 2 * math.degrees(math.atan(length_m / (2 * max(range_m, 1.0))))
    zoom = zoom_for(camera, angular / frame_fill)
    return Aim(pan, tilt, zoom, hfov_at(camera, zoom), bearing, range_m, lat, lon, at, move_s)


def to_onvif(camera: PtzCamera, pan_deg: float, tilt_deg: float) -> tuple[float, float]:
    """Degrees to ONVIF's generic position space (x, y in -1..1)."""
    return _scale(pan_deg, camera.onvif_pan_deg), _scale(tilt_deg, camera.onvif_tilt_deg)


def from_onvif(camera: PtzCamera, x: float, y: float) -> tuple[float, float]:
    """ONVIF's generic position space back to pan and tilt degrees."""
    (p0, p1), (t0, t1) = camera.onvif_pan_deg, camera.onvif_tilt_deg
    return p0 + (x + 1) / 2 * (p1 - p0), t0 + (y + 1) / 2 * (t1 - t0)


def true_heading(camera: PtzCamera, pan_deg: float) -> float:
    """The true bearing of the optical axis at `pan_deg`."""
    return (camera.pan_zero_deg + pan_deg) % 360.0


def _scale(value: float, span: tuple[float, float]) -> float:
    low, high = span
    return max(-1.0, min(1.0, -1.0 + 2.0 * (value - low) / (high - low)))
