"""Restricted-zone entry, and approach to shore: one event per episode, not one per report.

`zone_entry` opens when a target's fix falls inside a zone of a watched kind and closes once
it is more than `exit_buffer_m` outside (hysteresis). `approach` opens when a radar or camera
target moving at speed comes closer than `approach_m` to a `coastline` zone while closing in,
and closes when it turns away beyond that distance.
"""

from __future__ import annotations

from datetime import datetime

from detectors.rules.base import Rule, RuleContext
from detectors.track import Track
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import Event, EventKind
from shorewatch.zones import distance_m


def zone_entry(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    t = ctx.thresholds.zone_entry
    fix = track.last
    events: list[Event] = []
    for zone in ctx.zones_of(t.zone_kinds):
        scope = f"zone:{zone.id}"
        open_event = track.episodes.get(scope)
        if open_event is not None and track.vouched_by_ais:
            events.append(closed(open_event, fix.time, {"closed_by": "associated"}))
            del track.episodes[scope]
            continue
        if track.vouched_by_ais:
            continue
        if open_event is None and not track.ended and zone.contains(fix.lat, fix.lon):
            facts: Facts = {"zone_name": zone.name, "zone_kind": zone.kind}
            facts.update(_motion(track))
            event = new_event(
                EventKind.ZONE_ENTRY,
                (track.key,),
                fix.time,
                fix.lat,
                fix.lon,
                facts,
                ctx.config_version,
                zone=zone.id,
            )
            track.episodes[scope] = event
            events.append(event)
        elif open_event is not None and (
            track.ended or not zone.within_buffer(fix.lat, fix.lon, t.exit_buffer_m)
        ):
            events.append(closed(open_event, fix.time if not track.ended else now))
            del track.episodes[scope]
    return events


def approach(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    t = ctx.thresholds.zone_entry
    if track.source.value not in t.approach_sources:
        return []
    if track.vouched_by_ais:
        return _close_all(track, "approach:", now, {"closed_by": "associated"})
    fix, prev = track.last, track.previous
    events: list[Event] = []
    for zone in ctx.zones_of(["coastline"]):
        scope = f"approach:{zone.id}"
        open_event = track.episodes.get(scope)
        here = distance_m(zone.geometry, fix.lat, fix.lon)
        if open_event is None:
            if track.ended or prev is None or here > t.approach_m:
                continue
            before = distance_m(zone.geometry, prev.lat, prev.lon)
            speed = track.speed_kn
            if here >= before or speed is None or speed < t.approach_min_speed_kn:
                continue
            facts: Facts = {
                "zone_name": zone.name,
                "distance_to_shore_m": round(here, 1),
                "closing_m": round(before - here, 1),
            }
            facts.update(_motion(track))
            event = new_event(
                EventKind.ZONE_ENTRY,
                (track.key,),
                fix.time,
                fix.lat,
                fix.lon,
                {**facts, "approach": True},
                ctx.config_version,
                zone=zone.id,
                scope=scope,
            )
            track.episodes[scope] = event
            events.append(event)
        elif track.ended or here > t.approach_m:
            events.append(closed(open_event, now, {"final_distance_m": round(here, 1)}))
            del track.episodes[scope]
    return events


def _close_all(track: Track, prefix: str, at: datetime, extra: Facts) -> list[Event]:
    scopes = [s for s in track.episodes if s.startswith(prefix)]
    return [closed(track.episodes.pop(s), at, extra) for s in scopes]


def _motion(track: Track) -> Facts:
    facts: Facts = {"source": track.source.value, "sensor_id": track.last.sensor_id}
    speed = track.speed_kn
    if speed is not None:
        facts["sog_kn"] = round(speed, 1)
    if track.last.cog_deg is not None:
        facts["cog_deg"] = track.last.cog_deg
    return facts


RULE = Rule("zone_entry", on_report=zone_entry, on_tick=zone_entry)
APPROACH_RULE = Rule("approach", on_report=approach, on_tick=approach)
