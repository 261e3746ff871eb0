"""Where a simulated vessel is at any simulated instant: a pure function of its route and time.

Legs are sailed at their own speeds (an approach at 10 kn, a drift at 0.5 kn, a departure), so
one route can carry a whole manoeuvre. Positions use a local equirectangular projection, exact
enough over the ~20 km of a coastal scene; ranges and bearings for the radar use the sphere the
radar decoder places targets on, so a simulated TTM decodes back onto the vessel.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from app.simulator.model import SimVessel, Waypoint

KN_TO_MPS = 1852.0 / 3600.0
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180.0  # 111,195 m


@dataclass(frozen=True, slots=True)
class VesselFix:
    lat: float
    lon: float
    sog_kn: float
    cog_deg: float


def _leg(a: Waypoint, b: Waypoint) -> tuple[float, float]:
    """(north, east) metres from a to b on a local equirectangular projection."""
    cos_lat = math.cos(math.radians((a[0] + b[0]) / 2.0))
    return (b[0] - a[0]) * METRES_PER_DEGREE, (b[1] - a[1]) * METRES_PER_DEGREE * cos_lat


def _bearing(north: float, east: float) -> float:
    return math.degrees(math.atan2(east, north)) % 360.0


def offset(point: Waypoint, north_m: float, east_m: float) -> Waypoint:
    """The point `north_m` / `east_m` metres from `point` (same projection as the routes)."""
    lat = point[0] + north_m / METRES_PER_DEGREE
    cos_lat = math.cos(math.radians((point[0] + lat) / 2.0))
    return lat, point[1] + east_m / (METRES_PER_DEGREE * cos_lat)


def range_bearing(origin: Waypoint, target: Waypoint) -> tuple[float, float]:
    """Great-circle distance (m) and initial true bearing (deg) from origin to target."""
    p1, p2 = math.radians(origin[0]), math.radians(target[0])
    dl = math.radians(target[1] - origin[1])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    distance = 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return distance, math.degrees(math.atan2(y, x)) % 360.0


@dataclass(frozen=True, slots=True)
class _Route:
    points: list[Waypoint]
    headings: list[float]
    durations: list[float]
    speeds: list[float]

    @property
    def total_s(self) -> float:
        return sum(self.durations)


def _route(vessel: SimVessel) -> _Route:
    legs = [_leg(a, b) for a, b in itertools.pairwise(vessel.waypoints)]
    lengths = [math.hypot(north, east) for north, east in legs]
    speeds = vessel.speeds_kn()
    durations = [
        length / (speed * KN_TO_MPS) if length and speed else 0.0
        for length, speed in zip(lengths, speeds, strict=True)
    ]
    headings = [_bearing(*leg) for leg in legs]
    return _Route(list(vessel.waypoints), headings, durations, speeds)


def route_duration_s(vessel: SimVessel) -> float:
    """Time from start_offset_s to the end of the route, sailed once."""
    return _route(vessel).total_s


def position_at(vessel: SimVessel, t_s: float) -> VesselFix:
    """Where the vessel is at sim time t: idle at its first waypoint until start_offset_s, then
    sailing the route (ping-pong when `loop`, else stopping at the end)."""
    route = _route(vessel)
    points, total = route.points, route.total_s
    moving = [i for i, d in enumerate(route.durations) if d]
    elapsed = t_s - vessel.start_offset_s
    if elapsed < 0.0 or not moving:
        cog = route.headings[moving[0]] if moving else 0.0
        return VesselFix(points[0][0], points[0][1], 0.0, cog)
    backward = False
    if vessel.loop:
        elapsed %= 2.0 * total
        backward = elapsed > total
        if backward:
            elapsed = 2.0 * total - elapsed
    elif elapsed >= total:
        return VesselFix(points[-1][0], points[-1][1], 0.0, route.headings[moving[-1]])
    for index in moving:
        duration = route.durations[index]
        if elapsed <= duration or index == moving[-1]:  # float slack at the far end stays on
            frac = min(elapsed / duration, 1.0)
            (lat0, lon0), (lat1, lon1) = points[index], points[index + 1]
            cog = route.headings[index]
            if backward:
                cog = (cog + 180.0) % 360.0
            return VesselFix(
                lat0 + (lat1 - lat0) * frac,
                lon0 + (lon1 - lon0) * frac,
                route.speeds[index],
                cog,
            )
        elapsed -= duration
    raise AssertionError("unreachable: the route has a moving leg")  # pragma: no cover
