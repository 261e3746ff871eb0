"""AIS gap: a vessel inside receiver coverage falls silent for longer than its class and speed
make normal (ITU-R M.1371 reporting intervals x `interval_factor`, at least `min_gap_s`).

Opened by the sweep while the silence lasts (start = its last report); closed when it reports
again, with the distance moved. A gap first seen at the reappearance (no sweep ran in between)
is raised already closed. Silence is counted on the clock of the receiver that last heard the
vessel (the worker passes it as `now`), less the time that receiver was offline: a receiver
outage is one `sensor_offline`, not a gap for every vessel it was hearing.

Coverage (`shorewatch/coverage.py`): where some receiver's coverage is known (configured or
learned), a gap is raised only when the last position and the positions dead-reckoned from it
over the whole gap threshold (every `coverage.dr_step_s`) each lie inside a receiver's
coverage: the vessel, holding its course, stayed where it must have been heard for as long as
its silence is allowed. The facts name the receivers that should have heard it. A vessel last
heard by a satellite receiver is held to the revisit-aware `satellite_min_gap_s`. Where no
receiver's coverage is known, the `coverage` zones decide, as before; they remain a mask
outside which no gap is raised at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from detectors.rules.base import Rule, RuleContext
from detectors.track import Fix, Track, dead_reckon, distance_m
from shorewatch.config.thresholds import AisGapThresholds
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import Event, EventKind, Source

SCOPE = "ais_gap"
UNCOVERED = "ais_gap_uncovered"
"""Mark: the silence that began then was judged outside coverage (judged once per silence)."""
MAX_DR_POINTS = 120


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


@dataclass(frozen=True)
class Judgement:
    """Whether the silence after a fix happened inside coverage, and the facts that say so."""

    covered: bool
    facts: Facts


def gap_threshold_s(fix: Fix, t: AisGapThresholds, satellite: bool = False) -> float:
    floor = t.satellite_min_gap_s if satellite else t.min_gap_s
    return max(floor, t.interval_factor * expected_interval_s(fix.sog_kn))


def _facts(fix: Fix, threshold_s: float) -> Facts:
    facts: Facts = {
        "gap_threshold_s": round(threshold_s, 1),
        "expected_interval_s": expected_interval_s(fix.sog_kn),
        "last_sensor_id": fix.sensor_id,
    }
    if fix.sog_kn is not None:
        facts["last_sog_kn"] = fix.sog_kn
    return facts


def dead_reckoned(fix: Fix, horizon_s: float, step_s: float) -> list[tuple[float, float]]:
    """The last position, then where it would be every `step_s` up to `horizon_s` later."""
    step = max(step_s, horizon_s / MAX_DR_POINTS)
    count = int(horizon_s // step)
    points = [(fix.lat, fix.lon)]
    if fix.sog_kn is None or fix.cog_deg is None or fix.sog_kn <= 0:
        return points
    points += [
        dead_reckon(fix, fix.time + timedelta(seconds=step * k)) for k in range(1, count + 1)
    ]
    if count * step < horizon_s:
        points.append(dead_reckon(fix, fix.time + timedelta(seconds=horizon_s)))
    return points


def judge(fix: Fix, ctx: RuleContext, t: AisGapThresholds) -> Judgement:
    model = ctx.coverage
    satellite = model.is_satellite(fix.sensor_id)
    threshold = gap_threshold_s(fix, t, satellite)
    facts = _facts(fix, threshold)
    if not ctx.covered(fix.lat, fix.lon):
        return Judgement(False, facts)
    positions = dead_reckoned(fix, threshold, model.config.dr_step_s)
    verdict = model.judge(fix.sensor_id, positions)
    if verdict is None:
        return Judgement(True, facts)
    facts["coverage"] = verdict.basis
    facts["dr_checked_s"] = round(threshold, 1)
    if verdict.expected:
        receiver = fix.sensor_id if fix.sensor_id in verdict.expected else verdict.expected[0]
        facts["receiver"] = receiver
        facts["expected_receivers"] = ",".join(verdict.expected)
    return Judgement(verdict.covered, facts)


def on_silence(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    if track.source is not Source.AIS or SCOPE in track.episodes:
        return []
    if track.marks.get(UNCOVERED) == track.last_seen:
        return []
    t = ctx.thresholds.ais_gap
    fix = track.last
    silence = (now - track.last_seen).total_seconds()
    satellite = ctx.coverage.is_satellite(fix.sensor_id)
    threshold = gap_threshold_s(fix, t, satellite)
    if silence <= threshold or silence > (t.satellite_max_gap_s if satellite else t.max_gap_s):
        return []
    if silence - ctx.sensor_silence(track.source, fix.sensor_id, track.last_seen, now) <= threshold:
        return []
    judged = judge(fix, ctx, t)
    if not judged.covered:
        track.marks[UNCOVERED] = track.last_seen
        return []
    event = new_event(
        EventKind.AIS_GAP,
        (track.key,),
        track.last_seen,
        fix.lat,
        fix.lon,
        judged.facts,
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
    track.marks.pop(UNCOVERED, None)
    t = ctx.thresholds.ais_gap
    satellite = ctx.coverage.is_satellite(before.sensor_id)
    threshold = gap_threshold_s(before, t, satellite)
    if gap_s <= threshold or gap_s > (t.satellite_max_gap_s if satellite else t.max_gap_s):
        return []
    offline_s = ctx.sensor_silence(track.source, before.sensor_id, before.time, after.time)
    if gap_s - offline_s <= threshold:
        return []
    judged = judge(before, ctx, t)
    if not judged.covered:
        return []
    event = new_event(
        EventKind.AIS_GAP,
        (track.key,),
        before.time,
        before.lat,
        before.lon,
        judged.facts,
        ctx.config_version,
    )
    return [closed(event, after.time, ending)]


RULE = Rule("ais_gap", on_report=on_report, on_tick=on_silence)
