"""AIS gap: a vessel inside receiver coverage falls silent for longer than its class and speed
make normal (ITU-R M.1371 reporting intervals x `interval_factor`, at least `min_gap_s`).

Opened by the sweep while the silence lasts (start = its last report); closed when it reports
again, with the distance moved. A gap first seen at the reappearance (no sweep ran in between)
is raised already closed. Silence is counted on the clock of the receiver that last heard the
vessel (the worker passes it as `now`), less the time that receiver was offline: a receiver
outage is one `sensor_offline`, not a gap for every vessel it was hearing.
"""

from __future__ import annotations

from datetime import datetime

from detectors.rules.base import Rule, RuleContext
from detectors.track import Fix, Track, distance_m
from shorewatch.config.thresholds import AisGapThresholds
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import Event, EventKind, Source

SCOPE = "ais_gap"


def expected_interval_s(sog_kn: float | None) -> float:
    """Nominal reporting interval: Class A at anchor / slow 180 s; moving, the slower Class B
    rate (30 s) up to 14 kn, then 15 s and 5 s, so a Class B unit is never held to A's."""
    if sog_kn is None or sog_kn < 2.0:
        return 180.0
    if sog_kn < 14.0:
        return 30.0
    if sog_kn < 23.0:
        return 15.0
    return 5.0


def gap_threshold_s(fix: Fix, t: AisGapThresholds) -> float:
    return max(t.min_gap_s, t.interval_factor * expected_interval_s(fix.sog_kn))


def _facts(fix: Fix, threshold_s: float) -> Facts:
    facts: Facts = {
        "gap_threshold_s": round(threshold_s, 1),
        "expected_interval_s": expected_interval_s(fix.sog_kn),
        "last_sensor_id": fix.sensor_id,
    }
    if fix.sog_kn is not None:
        facts["last_sog_kn"] = fix.sog_kn
    return facts


def on_silence(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    if track.source is not Source.AIS or SCOPE in track.episodes:
        return []
    t = ctx.thresholds.ais_gap
    fix = track.last
    silence = (now - track.last_seen).total_seconds()
    threshold = gap_threshold_s(fix, t)
    if silence <= threshold or silence > t.max_gap_s or not ctx.covered(fix.lat, fix.lon):
        return []
    if silence - ctx.sensor_silence(track.source, fix.sensor_id, track.last_seen, now) <= threshold:
        return []
    event = new_event(
        EventKind.AIS_GAP,
        (track.key,),
        track.last_seen,
        fix.lat,
        fix.lon,
        _facts(fix, threshold),
        ctx.config_version,
    )
    track.episodes[SCOPE] = event
    return [event]


def on_report(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    if track.source is not Source.AIS or track.previous is None:
        return []
    before, after = track.previous, track.last
    gap_s = (after.time - before.time).total_seconds()
    moved = distance_m(before.lat, before.lon, after.lat, after.lon)
    ending: Facts = {"gap_s": round(gap_s, 1), "distance_moved_m": round(moved, 1)}
    if gap_s > 0:
        ending["implied_speed_kn"] = round(moved / gap_s * 3600.0 / 1852.0, 1)
    open_event = track.episodes.pop(SCOPE, None)
    if open_event is not None:
        return [closed(open_event, after.time, ending)]
    t = ctx.thresholds.ais_gap
    threshold = gap_threshold_s(before, t)
    if gap_s <= threshold or gap_s > t.max_gap_s or not ctx.covered(before.lat, before.lon):
        return []
    offline_s = ctx.sensor_silence(track.source, before.sensor_id, before.time, after.time)
    if gap_s - offline_s <= threshold:
        return []
    event = new_event(
        EventKind.AIS_GAP,
        (track.key,),
        before.time,
        before.lat,
        before.lon,
        _facts(before, threshold),
        ctx.config_version,
    )
    return [closed(event, after.time, ending)]


RULE = Rule("ais_gap", on_report=on_report, on_tick=on_silence)
