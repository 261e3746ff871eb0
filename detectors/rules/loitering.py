"""Loitering: slower than `max_speed_kn` for a window outside ports and anchorages. Ends above
`release_speed_kn`, on entering a port or anchorage, or when the track is lost.

The window depends on the setting of the latest fix: inside a `landing` zone
`landing_duration_s` (30 min), within `near_shore_m` of a `coastline` zone
`near_shore_duration_s` (1 h), else `duration_s` (3 h, GFW at sea); never longer than
`duration_s`, so a zone that shortens it still does."""

from __future__ import annotations

from datetime import datetime

from detectors.rules.base import Rule, RuleContext
from detectors.track import Track, distance_m
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import Event, EventKind
from shorewatch.zones import Zone
from shorewatch.zones import distance_m as distance_to_zone_m

SCOPE, MARK = "loitering", "slow"
HARBOUR_KINDS = ("port", "anchorage")


def on_report(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    return _evaluate(track, ctx, reporting=True)


def on_tick(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    return _evaluate(track, ctx, reporting=False)


def _evaluate(track: Track, ctx: RuleContext, *, reporting: bool) -> list[Event]:
    t = ctx.thresholds.loitering
    fix = track.last
    speed = track.speed_kn
    in_harbour = any(z.contains(fix.lat, fix.lon) for z in ctx.zones_of(HARBOUR_KINDS))
    open_event = track.episodes.get(SCOPE)
    if track.vouched_by_ais:
        # The AIS vessel's own track is judged; its radar echo must not double it, and the
        # echo's slow spell restarts if the association ever breaks.
        track.marks.pop(MARK, None)
        track.counters.pop(MARK, None)
        if open_event is None:
            return []
        del track.episodes[SCOPE]
        return [closed(open_event, fix.time, {"closed_by": "associated"})]
    if open_event is not None:
        if track.ended or in_harbour or (speed is not None and speed > t.release_speed_kn):
            del track.episodes[SCOPE]
            track.marks.pop(MARK, None)
            track.counters.pop(MARK, None)
            why = "track_lost" if track.ended else "harbour" if in_harbour else "moving"
            return [closed(open_event, fix.time, {"closed_by": why})]
        return []
    if track.ended or in_harbour or speed is None or speed >= t.max_speed_kn:
        track.marks.pop(MARK, None)
        track.counters.pop(MARK, None)
        return []
    if not reporting:
        return []  # only reports extend the slow spell
    since = track.marks.setdefault(MARK, fix.time)
    reports = track.counters[MARK] = track.counters.get(MARK, 0) + 1
    slow_s = (fix.time - since).total_seconds()
    shortest = min(t.duration_s, t.landing_duration_s, t.near_shore_duration_s)
    if reports < t.min_reports or slow_s < shortest:
        return []  # cheap test first: the shortest window any setting could have
    landing = next((z for z in ctx.zones_of(["landing"]) if z.contains(fix.lat, fix.lon)), None)
    setting, window = _window(fix.lat, fix.lon, landing, ctx)
    if slow_s < window:
        return []
    first = next((f for f in track.fixes if f.time >= since), fix)
    facts: Facts = {
        "slow_for_s": round(slow_s, 1),
        "sog_kn": round(speed, 1),
        "reports": reports,
        "drift_m": round(distance_m(first.lat, first.lon, fix.lat, fix.lon), 1),
        "source": track.source.value,
        "setting": setting,
        "window_s": window,
    }
    if landing is not None:
        facts["landing_point"] = landing.name
    event = new_event(
        EventKind.LOITERING,
        (track.key,),
        since,
        fix.lat,
        fix.lon,
        facts,
        ctx.config_version,
        zone=landing.id if landing else None,
    )
    track.episodes[SCOPE] = event
    return [event]


def _window(lat: float, lon: float, landing: Zone | None, ctx: RuleContext) -> tuple[str, float]:
    """The setting of a fix (landing / near_shore / open_sea) and its loitering window."""
    t = ctx.thresholds.loitering
    if landing is not None:
        return "landing", min(t.duration_s, t.landing_duration_s)
    coast = ctx.zones_of(["coastline"])
    if any(distance_to_zone_m(z.geometry, lat, lon) <= t.near_shore_m for z in coast):
        return "near_shore", min(t.duration_s, t.near_shore_duration_s)
    return "open_sea", t.duration_s


RULE = Rule("loitering", on_report=on_report, on_tick=on_tick)
