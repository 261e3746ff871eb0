"""Watch-list sighting: any report from a vessel on the watch list (by MMSI, IMO, name or call
sign). One event per sighting; it ends after `quiet_s` without a report, or when lost."""

from __future__ import annotations

from datetime import datetime

from detectors.rules.base import Rule, RuleContext
from detectors.track import Track
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import Event, EventKind, Source

SCOPE = "watchlist"


def on_report(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    if track.source is not Source.AIS or SCOPE in track.episodes:
        return []
    hit = ctx.watchlist.match(track.mmsi, track.static)
    if hit is None:
        return []
    entry, matched_on = hit
    fix = track.last
    facts: Facts = {
        "watchlist_id": entry.id,
        "matched_on": matched_on,
        "reason": entry.reason,
        "points": entry.points,
    }
    if track.static is not None and track.static.name:
        facts["name"] = track.static.name
    event = new_event(
        EventKind.WATCHLIST_SIGHTING,
        (track.key,),
        fix.time,
        fix.lat,
        fix.lon,
        facts,
        ctx.config_version,
    )
    track.episodes[SCOPE] = event
    return [event]


def on_tick(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    open_event = track.episodes.get(SCOPE)
    if open_event is None:
        return []
    quiet = (now - track.last_seen).total_seconds() >= ctx.thresholds.watchlist.quiet_s
    if not (quiet or track.ended):
        return []
    del track.episodes[SCOPE]
    return [closed(open_event, track.last_seen, {"closed_by": "lost" if track.ended else "quiet"})]


RULE = Rule("watchlist_sighting", on_report=on_report, on_tick=on_tick, on_identity=on_report)
