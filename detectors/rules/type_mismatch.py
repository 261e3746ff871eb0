"""Type mismatch: a vessel whose AIS declares it a fishing boat or pleasure craft (by default)
but which moves as a speedboat (detectors/vessel_type.py) faster than its declared class ever
runs (`declared`: fishing 20 kn, pleasure 35 kn at the 90th percentile). Smugglers' fast boats
sail under a harmless declared type; a real fishing boat does not hold 25 kn.

Judged only on reports faster than both `check_above_kn` and the declared class's limit, from
the track's recent fixes and its declared type and size. One episode per vessel; it closes
after `quiet_s` without another speedboat judgement, or when the track is lost.

Size evidence (fact `category: size`, an episode of its own): the vessel declares a length
(AIS dimensions) and the radar or camera track fused with it measures a hull at least
`size_ratio` times and `size_min_diff_m` longer (the median of its latest measurements, at
least `size_min_samples`): "declared 12 m but seen 40 m". Only "seen longer" counts: a camera's
box spans the hull's length only broadside (less from any other aspect), so a shorter
measurement says nothing.
"""

from __future__ import annotations

import statistics
from datetime import datetime

from detectors.rules.base import Rule, RuleContext
from detectors.track import Track
from detectors.vessel_type import VesselClass, declared_class, judge, kinematics
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import Event, EventKind, Source

SCOPE, LAST, COUNT = "type_mismatch", "type_mismatch_last", "type_checks"
SIZE_SCOPE, SIZE_LAST = "type_mismatch:size", "type_mismatch_size_last"
EVERY = 5  # fast reports between judgements: the hull does not change between two reports


def on_report(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    return _by_size(track, ctx) + _by_movement(track, ctx)


def _by_size(track: Track, ctx: RuleContext) -> list[Event]:
    static = track.static
    if track.source is not Source.AIS or track.associated is None or static is None:
        return []
    declared = static.length_m
    echo = ctx.lookup(track.associated)
    t = ctx.thresholds.type_mismatch
    if not declared or echo is None or len(echo.seen_lengths_m) < t.size_min_samples:
        return []
    recent = list(echo.seen_lengths_m)[-t.size_min_samples * 3 :]
    seen = statistics.median(recent)
    if seen < declared * t.size_ratio or seen - declared < t.size_min_diff_m:
        return []
    fix = track.last
    track.marks[SIZE_LAST] = fix.time
    if SIZE_SCOPE in track.episodes:
        return []
    facts: Facts = {
        "category": "size",
        "declared_length_m": declared,
        "seen_length_m": round(seen, 1),
        "seen_max_m": round(max(recent), 1),
        "seen_by": echo.key,
        "measurements": len(recent),
        "evidence": f"declared {declared:.0f} m but seen {seen:.0f} m by {echo.source.value}",
        "source": track.source.value,
    }
    if static.ship_type is not None:
        facts["declared_type"] = static.ship_type
    event = new_event(
        EventKind.TYPE_MISMATCH, (track.key,), fix.time, fix.lat, fix.lon, facts, ctx.config_version
    )
    track.episodes[SIZE_SCOPE] = event
    return [event]


def _by_movement(track: Track, ctx: RuleContext) -> list[Event]:
    t = ctx.thresholds.type_mismatch
    static = track.static
    speed = track.speed_kn
    if track.source is not Source.AIS or static is None or static.ship_type is None:
        return []
    declared = declared_class(static.ship_type, static.length_m)
    limit = None if declared is None else t.declared.get(declared.value)
    if limit is None or speed is None or speed < max(t.check_above_kn, limit):
        return []  # only a report past its class's limit can be the evidence: cheap gate
    if SCOPE in track.episodes:
        track.marks[LAST] = track.last.time  # still fast under its declared type
        return []
    checks = track.counters[COUNT] = track.counters.get(COUNT, 0) + 1
    if checks % EVERY != 1 and EVERY > 1:
        return []  # judged on the first fast report and every EVERY-th after
    moved = kinematics(track.fixes)
    if declared is None or moved is None or moved.p90_kn < limit:
        return []
    judgement = judge(track.fixes, static.ship_type, static.length_m)
    if (
        judgement.vessel_class is not VesselClass.SPEEDBOAT
        or judgement.confidence < t.min_confidence
    ):
        return []
    fix = track.last
    track.marks[LAST] = fix.time
    facts: Facts = {
        "category": "movement",
        "declared_type": static.ship_type,
        "declared_class": declared.value,
        "judged_type": judgement.vessel_class.value,
        "judged_confidence": judgement.confidence,
        "evidence": "; ".join(judgement.evidence)[:500],
        "sog_kn": round(speed, 1),
        "p90_sog_kn": round(moved.p90_kn, 1),
        "source": track.source.value,
    }
    if static.length_m is not None:
        facts["declared_length_m"] = static.length_m
    event = new_event(
        EventKind.TYPE_MISMATCH, (track.key,), fix.time, fix.lat, fix.lon, facts, ctx.config_version
    )
    track.episodes[SCOPE] = event
    return [event]


def on_tick(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    events: list[Event] = []
    for scope, mark in ((SIZE_SCOPE, SIZE_LAST), (SCOPE, LAST)):
        open_event = track.episodes.get(scope)
        last = track.marks.get(mark)
        if open_event is None or last is None:
            continue
        lately = (now - last).total_seconds() < ctx.thresholds.type_mismatch.quiet_s
        if lately and not track.ended:
            continue
        del track.episodes[scope]
        events.append(closed(open_event, last))
    return events


RULE = Rule("type_mismatch", on_report=on_report, on_tick=on_tick)
