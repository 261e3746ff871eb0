"""Track fusion: per-target tracks in event time, radar/camera tracks associated with AIS.

Association gates on position (the AIS fix dead-reckoned to the radar time), speed and course,
and needs `confirm_hits` consecutive matches to form and `break_misses` consecutive misses to
break, so associations do not flap. Track ids are the sensor keys, stable for a track's life;
a fused pair is read through `Track.associated`. A coarse grid finds neighbours in O(1), and
tracks silent for the TTL (event time) are dropped, and the stalest when a new one would pass
`max_tracks`, so memory stays bounded with tens of thousands of targets.

Radars reuse target numbers and camera trackers restart theirs, so a radar or camera track ends
at its sensor's end-of-track, at an impossible jump or after a long silence: the next report
under that number starts a new generation, keyed `radar:site-12-7~2`, `~3`, ... (the first
keeps the plain key), with nothing of the old boat's fixes, marks or episodes. AIS tracks are
named by the MMSI the vessel sends; their jumps are the spoofing rule's business.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Iterator
from datetime import datetime, timedelta

from detectors.track import (
    KNOTS_PER_MPS,
    METRES_PER_NM,
    Fix,
    Track,
    course_difference,
    dead_reckon,
    distance_m,
)
from shorewatch.config.thresholds import FusionConfig
from shorewatch.events import Observation, Source, TrackEnd, VesselStatic

CELL_DEG = 0.02  # about 2.2 km north-south: neighbour searches look at a 3 x 3 block or more


def track_key(source: Source, target_ref: str) -> str:
    """Events and alerts name targets as `source:reference`, e.g. `ais:265123456`."""
    return f"{source.value}:{target_ref}"


def generation_key(base: str, generation: int) -> str:
    """The first generation keeps the plain key, so existing names and alerts stay valid."""
    return base if generation <= 1 else f"{base}~{generation}"


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / CELL_DEG), math.floor(lon / CELL_DEG)


class Fusion:
    def __init__(self, config: FusionConfig, ttl: timedelta, max_tracks: int) -> None:
        self.config = config
        self._ttl = ttl
        self._max = max_tracks
        self._tracks: OrderedDict[str, Track] = OrderedDict()
        self._grid: dict[tuple[int, int], set[str]] = {}
        self._cell_of: dict[str, tuple[int, int]] = {}
        self._statics: OrderedDict[int, VesselStatic] = OrderedDict()
        self._generations: OrderedDict[str, int] = OrderedDict()
        """Radar/camera base key -> its current generation (bounded like the tracks)."""
        self.dropped: list[tuple[Track, str]] = []
        """Tracks removed by `observe` (evicted, or ended by a new generation) with the reason;
        the worker closes their open episodes."""

    def __len__(self) -> int:
        return len(self._tracks)

    def __iter__(self) -> Iterator[Track]:
        return iter(list(self._tracks.values()))

    def get(self, key: str) -> Track | None:
        return self._tracks.get(key)

    def observe(self, obs: Observation) -> Track:
        key = track_key(obs.source, obs.target_ref)
        fix = Fix.from_observation(obs)
        if obs.source is Source.AIS:
            track = self._tracks.get(key)
        else:
            base = key
            generation = self._generations.get(base, 0)
            key = generation_key(base, generation)
            track = self._tracks.get(key) if generation else None
            if track is not None and self._other_boat(track, fix):
                self._remove(key)
                self.dropped.append((track, "track_ended"))
                track = None
            if track is None:
                generation += 1
                self._generations[base] = generation
                self._generations.move_to_end(base)
                while len(self._generations) > self._max:
                    self._generations.popitem(last=False)
                key = generation_key(base, generation)
        if track is None:
            while len(self._tracks) >= self._max:
                stalest = next(iter(self._tracks))
                self.dropped.append((self._tracks[stalest], "evicted"))
                self._remove(stalest)
            track = Track(
                key=key,
                source=obs.source,
                first_seen=obs.time,
                last_seen=obs.time,
                fixes=deque(maxlen=self.config.max_fixes),
            )
            if obs.source is Source.AIS:
                if obs.target_ref.isdigit():
                    track.static = self._statics.get(int(obs.target_ref))
            else:
                track.marks["unassociated"] = obs.time
            self._tracks[key] = track
        else:
            self._tracks.move_to_end(key)
        track.ended = False
        track.add(fix)
        if obs.length_m is not None and obs.source is not Source.AIS:
            track.seen_lengths_m.append(obs.length_m)
        track.trim(fix.time - timedelta(seconds=self.config.history_s))
        self._place(key, fix.lat, fix.lon)
        if obs.source is not Source.AIS:
            self._associate(track, fix)
        return track

    def _other_boat(self, track: Track, fix: Fix) -> bool:
        """The report cannot be the boat this radar/camera track followed: the sensor ended
        it, it was silent too long, or getting here would take an impossible speed."""
        if track.ended:
            return True
        g = self.config.generations
        last = track.last
        dt = (fix.time - last.time).total_seconds()
        if dt > g.silence_s:
            return True
        moved = distance_m(last.lat, last.lon, fix.lat, fix.lon)
        if moved <= g.min_jump_m:
            return False
        return dt <= 0 or moved / dt * KNOTS_PER_MPS > g.max_speed_kn

    def vessel(self, static: VesselStatic) -> Track | None:
        """Record identity; returns the vessel's track when it has one (for identity rules)."""
        merged = static
        known = self._statics.pop(static.mmsi, None)
        if known is not None:
            merged = known.model_copy(
                update={k: v for k, v in static.model_dump().items() if v is not None}
            )
        self._statics[static.mmsi] = merged
        while len(self._statics) > self._max:
            self._statics.popitem(last=False)
        track = self._tracks.get(track_key(Source.AIS, str(static.mmsi)))
        if track is not None:
            track.previous_static, track.static = track.static, merged
        return track

    def end(self, message: TrackEnd) -> Track | None:
        base = track_key(message.source, message.target_ref)
        track = self._tracks.get(generation_key(base, self._generations.get(base, 0)))
        if track is not None:
            track.ended = True
            self._dissociate(track)
        return track

    def neighbours(self, track: Track, radius_m: float) -> list[Track]:
        last = track.last
        reach = max(1, math.ceil(radius_m / (CELL_DEG * 111_320.0 * 0.5)))
        row, col = _cell(last.lat, last.lon)
        # Longitude cells shrink with latitude; widen the search to cover the same metres.
        col_reach = math.ceil(reach / max(0.05, math.cos(math.radians(last.lat))))
        # A box that holds the circle (never less: a degree of latitude is over 110 km, and
        # longitude degrees are taken at the box's poleward edge) spares most candidates the
        # great-circle distance.
        dlat = radius_m / 110_000.0
        dlon = dlat / max(0.05, math.cos(math.radians(min(89.0, abs(last.lat) + dlat))))
        lat0, lon0 = last.lat, last.lon
        grid, tracks = self._grid, self._tracks
        found: list[Track] = []
        for r in range(row - reach, row + reach + 1):
            for c in range(col - col_reach, col + col_reach + 1):
                for key in grid.get((r, c), ()):
                    other = tracks[key]
                    if other is track:
                        continue
                    o = other.last
                    if abs(o.lat - lat0) > dlat or abs(o.lon - lon0) > dlon:
                        continue
                    if distance_m(lat0, lon0, o.lat, o.lon) <= radius_m:
                        found.append(other)
        found.sort(key=lambda t: t.key)  # deterministic order whatever the set order
        return found

    def expire(self, now: datetime) -> list[Track]:
        """Drop tracks silent for the TTL (the least recently seen are first in line)."""
        horizon = now - self._ttl
        gone: list[Track] = []
        while self._tracks:
            key, track = next(iter(self._tracks.items()))
            if len(self._tracks) > self._max or track.last_seen < horizon:
                self._remove(key)
                gone.append(track)
            else:
                break
        return gone

    def _remove(self, key: str) -> None:
        track = self._tracks.pop(key)
        self._dissociate(track)
        cell = self._cell_of.pop(key, None)
        if cell is not None:
            members = self._grid.get(cell)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._grid[cell]

    def _place(self, key: str, lat: float, lon: float) -> None:
        cell = _cell(lat, lon)
        old = self._cell_of.get(key)
        if old == cell:
            return
        if old is not None:
            members = self._grid[old]
            members.discard(key)
            if not members:
                del self._grid[old]
        self._grid.setdefault(cell, set()).add(key)
        self._cell_of[key] = cell

    def _associate(self, track: Track, fix: Fix) -> None:
        best = self._best_ais_match(track, fix)
        if track.associated is not None:
            if best is not None and best.key == track.associated:
                track.counters["misses"] = 0
                return
            track.counters["misses"] = track.counters.get("misses", 0) + 1
            if track.counters["misses"] >= self.config.break_misses:
                self._dissociate(track)
                track.marks["unassociated"] = fix.time
            return
        if best is None:
            track.counters["hits"] = 0
            track.candidate = None
            return
        if track.candidate == best.key:
            track.counters["hits"] = track.counters.get("hits", 0) + 1
        else:
            track.counters["hits"] = 1
            track.candidate = best.key
        if track.counters["hits"] >= self.config.confirm_hits:
            track.associated = best.key
            track.associated_since = fix.time
            best.associated = track.key
            best.associated_since = fix.time
            track.counters["misses"] = 0
            track.candidate = None
            track.marks.pop("unassociated", None)

    def _best_ais_match(self, track: Track, fix: Fix) -> Track | None:
        cfg = self.config
        reach_m = cfg.gate_m + 60.0 * METRES_PER_NM / 3600.0 * cfg.window_s
        best: tuple[float, str, Track] | None = None
        for other in self.neighbours(track, reach_m):
            if other.source is not Source.AIS:
                continue
            ais = other.last
            age = (fix.time - ais.time).total_seconds()
            if abs(age) > cfg.window_s:
                continue
            lat, lon = dead_reckon(ais, fix.time)
            gap = distance_m(lat, lon, fix.lat, fix.lon)
            if gap > cfg.gate_m:
                continue
            if fix.sog_kn is not None and ais.sog_kn is not None:
                if abs(fix.sog_kn - ais.sog_kn) > cfg.gate_kn:
                    continue
                moving = min(fix.sog_kn, ais.sog_kn) >= cfg.moving_kn
                if (
                    moving
                    and fix.cog_deg is not None
                    and ais.cog_deg is not None
                    and course_difference(fix.cog_deg, ais.cog_deg) > cfg.gate_deg
                ):
                    continue
            candidate = (gap, other.key, other)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        return None if best is None else best[2]

    def _dissociate(self, track: Track) -> None:
        partner = self._tracks.get(track.associated) if track.associated else None
        if partner is not None and partner.associated == track.key:
            partner.associated = None
            partner.associated_since = None
        track.associated = None
        track.associated_since = None
        track.counters["hits"] = 0
        track.counters["misses"] = 0
