"""Per-target state that rules read: recent fixes, identity, association, open episodes.

Held in event time only. A track is one sensor target (`ais:<mmsi>`, `radar:<sensor>-<n>`,
`camera:<camera>-<epoch>-<id>`, and `~2`, `~3`, ... for later generations of a reused number);
fusion links a radar or camera track to the AIS vessel it is.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from shorewatch.events import Event, Observation, Source, VesselStatic

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_NM = 1852.0
KNOTS_PER_MPS = 3600.0 / METRES_PER_NM


@dataclass(frozen=True, slots=True)
class Fix:
    time: datetime
    lat: float
    lon: float
    sog_kn: float | None
    cog_deg: float | None
    sensor_id: str

    @classmethod
    def from_observation(cls, obs: Observation) -> Fix:
        return cls(obs.time, obs.lat, obs.lon, obs.sog_kn, obs.cog_deg, obs.sensor_id)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def dead_reckon(fix: Fix, at: datetime) -> tuple[float, float]:
    """Where `fix` would be at `at` on its reported speed and course (flat-earth, short spans)."""
    if fix.sog_kn is None or fix.cog_deg is None:
        return fix.lat, fix.lon
    dt = (at - fix.time).total_seconds()
    metres = fix.sog_kn * METRES_PER_NM / 3600.0 * dt
    north = metres * math.cos(math.radians(fix.cog_deg))
    east = metres * math.sin(math.radians(fix.cog_deg))
    dlat = math.degrees(north / EARTH_RADIUS_M)
    dlon = math.degrees(east / (EARTH_RADIUS_M * max(1e-6, math.cos(math.radians(fix.lat)))))
    return fix.lat + dlat, fix.lon + dlon


def course_difference(a: float, b: float) -> float:
    diff = abs(a - b) % 360.0
    return 360.0 - diff if diff > 180.0 else diff


@dataclass
class Track:
    key: str
    source: Source
    first_seen: datetime
    last_seen: datetime
    fixes: deque[Fix] = field(default_factory=lambda: deque(maxlen=512))
    static: VesselStatic | None = None
    previous_static: VesselStatic | None = None
    associated: str | None = None
    """Radar/camera track: the AIS key it is fused with. AIS track: the radar key, if any."""
    associated_since: datetime | None = None
    candidate: str | None = None
    """The AIS key that matched the latest reports, before association is confirmed."""
    ended: bool = False
    """The sensor declared the target lost; rules close what they hold open."""
    episodes: dict[str, Event] = field(default_factory=dict)
    """Open episodes by scope, e.g. `dark_target` or `encounter:ais:123`."""
    marks: dict[str, datetime] = field(default_factory=dict)
    """Since when a condition has held (`slow`, `near:ais:123`, `fast`), for duration rules."""
    counters: dict[str, int] = field(default_factory=dict)
    seen_lengths_m: deque[float] = field(default_factory=lambda: deque(maxlen=32))
    """Radar/camera track: the sizes its sensor measured (radar echo, camera box x range)."""

    @property
    def last(self) -> Fix:
        return self.fixes[-1]

    @property
    def previous(self) -> Fix | None:
        return self.fixes[-2] if len(self.fixes) >= 2 else None

    @property
    def vouched_by_ais(self) -> bool:
        """A radar/camera track fused with an AIS vessel: rules judge the vessel, not its echo."""
        return self.source is not Source.AIS and self.associated is not None

    @property
    def mmsi(self) -> int | None:
        if self.source is not Source.AIS:
            return None
        try:
            return int(self.key.split(":", 1)[1])
        except ValueError:
            return None

    @property
    def speed_kn(self) -> float | None:
        """Reported speed, or the speed implied by the last two fixes when none is reported."""
        last = self.last
        if last.sog_kn is not None:
            return last.sog_kn
        prev = self.previous
        if prev is None:
            return None
        dt = (last.time - prev.time).total_seconds()
        if dt <= 0:
            return None
        return distance_m(prev.lat, prev.lon, last.lat, last.lon) / dt * 3600.0 / METRES_PER_NM

    @property
    def length_m(self) -> float | None:
        if self.static is not None and self.static.length_m:
            return self.static.length_m
        return None

    def add(self, fix: Fix) -> None:
        self.fixes.append(fix)
        if fix.time > self.last_seen:
            self.last_seen = fix.time

    def trim(self, horizon: datetime) -> None:
        """Forget fixes older than `horizon`, always keeping the latest two."""
        while len(self.fixes) > 2 and self.fixes[0].time < horizon:
            self.fixes.popleft()
