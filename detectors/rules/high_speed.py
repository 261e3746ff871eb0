"""High-speed craft: a small or unidentified target above `min_speed_kn` for `min_reports`
consecutive reports (smuggling speedboats run 30-60 kn). Ends below `release_speed_kn`.

Known hulls longer than `max_length_m` (fast ferries) are exempt; without a known length, a
vessel judged (detectors/vessel_type.py) one of `exempt_types` — a declared SAR or police boat,
say — is too. A radar or camera track that an AIS vessel vouches for is judged through that
vessel. The facts carry the judged type, which scoring uses when no type is declared, and say
whether it was heading for the shore (closing on a `coastline` zone) and how far it was from it.
"""

from __future__ import annotations

from datetime import datetime

from detectors.rules.base import Rule, RuleContext
from detectors.track import Track
from detectors.vessel_type import judge
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import Event, EventKind, Source
from shorewatch.zones import distance_m as distance_to_zone_m

SCOPE, COUNT = "high_speed", "fast_reports"


def on_report(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    t = ctx.thresholds.high_speed
    if track.source is not Source.AIS and track.associated is not None:
        return _end(track, "associated")
    length = track.length_m
    if length is not None and length > t.max_length_m:
        return _end(track, "large_vessel")
    speed = track.speed_kn
    open_event = track.episodes.get(SCOPE)
    if speed is None or speed < t.min_speed_kn:
        track.counters.pop(COUNT, None)
        if open_event is not None and (speed is None or speed < t.release_speed_kn):
            return _end(track, "slowed")
        return []
    track.counters[COUNT] = track.counters.get(COUNT, 0) + 1
    track.counters["max_sog_x10"] = max(track.counters.get("max_sog_x10", 0), round(speed * 10))
    if open_event is not None or track.counters[COUNT] < t.min_reports:
        return []
    ship_type = track.static.ship_type if track.static is not None else None
    judged = judge(track.fixes, ship_type, length)
    exempt = judged.vessel_class.value in t.exempt_types
    if length is None and exempt and judged.confidence >= t.exempt_confidence:
        return []
    fix = track.last
    facts: Facts = {
        "sog_kn": round(speed, 1),
        "source": track.source.value,
        "identified": track.source is Source.AIS,
        "length_m": length if length is not None else "unknown",
        "judged_type": judged.vessel_class.value,
        "judged_confidence": judged.confidence,
    }
    facts.update(_shore(track, ctx))
    event = new_event(
        EventKind.HIGH_SPEED, (track.key,), fix.time, fix.lat, fix.lon, facts, ctx.config_version
    )
    track.episodes[SCOPE] = event
    return [event]


def on_tick(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    return _end(track, "track_lost") if track.ended else []


def _end(track: Track, why: str) -> list[Event]:
    track.counters.pop(COUNT, None)
    open_event = track.episodes.pop(SCOPE, None)
    max_x10 = track.counters.pop("max_sog_x10", 0)
    if open_event is None:
        return []
    return [closed(open_event, track.last_seen, {"closed_by": why, "max_sog_kn": max_x10 / 10})]


def _shore(track: Track, ctx: RuleContext) -> Facts:
    coast = ctx.zones_of(["coastline"])
    prev = track.previous
    if not coast or prev is None:
        return {}
    fix = track.last
    now_m = min(distance_to_zone_m(z.geometry, fix.lat, fix.lon) for z in coast)
    before_m = min(distance_to_zone_m(z.geometry, prev.lat, prev.lon) for z in coast)
    return {"distance_to_shore_m": round(now_m, 1), "heading_to_shore": now_m < before_m}


RULE = Rule("high_speed", on_report=on_report, on_tick=on_tick)
