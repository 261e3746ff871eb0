"""Encounter (possible ship-to-ship transfer): two vessels within `distance_m` of each other,
both slower than `max_speed_kn`, for `duration_s`, away from ports and anchorages.

Pair state lives on the track whose key sorts first, so whichever of the two reports, the same
mark and episode are found. Ends when they are more than `release_m` apart (hysteresis) or one
of them is lost.
"""

from __future__ import annotations

from datetime import datetime

from detectors.rules.base import Rule, RuleContext
from detectors.track import Track, distance_m
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import Event, EventKind, Source

HARBOUR_KINDS = ("port", "anchorage")
PARTNER = "encounter_with:"
MAX_SKEW_S = 600.0  # fixes further apart in time than this say nothing about proximity


def _eligible(track: Track) -> bool:
    """AIS vessels, and radar/camera targets no AIS vessel vouches for (else counted twice)."""
    return not track.ended and (track.source is Source.AIS or track.associated is None)


def _in_harbour(track: Track, ctx: RuleContext) -> bool:
    fix = track.last
    return any(z.contains(fix.lat, fix.lon) for z in ctx.zones_of(HARBOUR_KINDS))


def _slow(track: Track, limit: float) -> bool:
    speed = track.speed_kn
    return speed is not None and speed < limit


def encounter(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    t = ctx.thresholds.encounter
    holds_pairs = any(s.startswith("encounter:") for s in track.episodes) or any(
        m.startswith(("near:", PARTNER)) for m in track.marks
    )
    if not holds_pairs and not _slow(track, t.max_speed_kn):
        return []  # a moving vessel with nothing open: no neighbour search (most traffic)
    events: list[Event] = []
    seen: set[str] = set()
    for other in ctx.neighbours(track, t.release_m):
        seen.add(other.key)
        events += _pair(track, other, ctx)
    # Pairs this track holds whose partner is now out of reach (or gone): close or forget.
    for scope in [s for s in track.episodes if s.startswith("encounter:")]:
        partner_key = scope.removeprefix("encounter:")
        if partner_key not in seen:
            events.append(_close(track, scope, now, "apart"))
    for mark in [m for m in track.marks if m.startswith("near:")]:
        if mark.removeprefix("near:") not in seen:
            del track.marks[mark]
    # Pairs held by the partner (whose key sorts first): close them from this side too.
    for mark in [m for m in track.marks if m.startswith(PARTNER)]:
        holder = ctx.lookup(mark.removeprefix(PARTNER))
        scope = f"encounter:{track.key}"
        if holder is None or scope not in holder.episodes:
            del track.marks[mark]
        elif holder.key not in seen or track.ended:
            events.append(_close(holder, scope, now, "track_lost" if track.ended else "apart"))
            del track.marks[mark]
    if track.ended:
        for scope in [s for s in track.episodes if s.startswith("encounter:")]:
            events.append(_close(track, scope, now, "track_lost"))
    return events


def _pair(a: Track, b: Track, ctx: RuleContext) -> list[Event]:
    first, second = (a, b) if a.key < b.key else (b, a)
    scope, mark = f"encounter:{second.key}", f"near:{second.key}"
    t = ctx.thresholds.encounter
    fa, fb = first.last, second.last
    apart = distance_m(fa.lat, fa.lon, fb.lat, fb.lon)
    open_event = first.episodes.get(scope)
    if open_event is not None:
        if apart > t.release_m or not (_eligible(first) and _eligible(second)):
            return [_close(first, scope, max(fa.time, fb.time), "apart")]
        return []
    skew = abs((fa.time - fb.time).total_seconds())
    close_now = (
        apart <= t.distance_m
        and skew <= MAX_SKEW_S
        and _eligible(first)
        and _eligible(second)
        and first.associated != second.key
        and _slow(first, t.max_speed_kn)
        and _slow(second, t.max_speed_kn)
        and not _in_harbour(first, ctx)
        and not _in_harbour(second, ctx)
    )
    latest = max(fa.time, fb.time)
    if not close_now:
        first.marks.pop(mark, None)
        return []
    since = first.marks.setdefault(mark, latest)
    together_s = (latest - since).total_seconds()
    if together_s < t.duration_s:
        return []
    facts: Facts = {
        "distance_m": round(apart, 1),
        "together_s": round(together_s, 1),
        "sog_kn_a": round(first.speed_kn or 0.0, 1),
        "sog_kn_b": round(second.speed_kn or 0.0, 1),
    }
    event = new_event(
        EventKind.ENCOUNTER,
        (first.key, second.key),
        since,
        (fa.lat + fb.lat) / 2,
        (fa.lon + fb.lon) / 2,
        facts,
        ctx.config_version,
    )
    first.episodes[scope] = event
    second.marks[PARTNER + first.key] = since
    return [event]


def _close(track: Track, scope: str, at: datetime, why: str) -> Event:
    event = track.episodes.pop(scope)
    track.marks.pop(scope.replace("encounter:", "near:", 1), None)
    return closed(event, at, {"closed_by": why})


RULE = Rule("encounter", on_report=encounter, on_tick=encounter)
