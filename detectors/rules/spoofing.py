"""Spoofing: signs that an AIS identity is not what it claims.

- impossible movement: consecutive positions further apart than `min_jump_m` that would need
  more than `max_implied_speed_kn` (also what one MMSI reported in two places at once gives);
- an invalid MMSI: not nine digits, or a maritime identity digit pattern / MID that ITU-R M.585
  does not allocate;
- identity change: name, call sign or ship type changes on one MMSI.
One episode per vessel collects every anomaly; it closes after `quiet_s` without another.
"""

from __future__ import annotations

from datetime import datetime

from detectors.rules.base import Rule, RuleContext
from detectors.track import Track, distance_m
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import Event, EventKind, Source, VesselStatic

SCOPE, LAST = "spoofing", "spoof_last"
MID_RANGE = range(201, 776)  # ITU maritime identification digits are allocated in 201..775
SPECIAL_PREFIXES = ("970", "972", "974")  # AIS-SART, man overboard, EPIRB-AIS


def mmsi_problem(mmsi: int) -> str | None:
    """Why an MMSI cannot be a real station identity (ITU-R M.585), or None if it can."""
    text = str(mmsi)
    if len(text) != 9:
        return f"{len(text)} digits, not 9" if mmsi else "zero"
    if text.startswith(SPECIAL_PREFIXES):
        return None
    if text.startswith("111"):
        mid = text[3:6]  # SAR aircraft 111MIDxxx
    elif text.startswith(("98", "99", "00")):
        mid = text[2:5]  # craft of a parent ship, aid to navigation, coast station
    elif text[0] in "08":
        mid = text[1:4]  # group call, handheld VHF
    elif text[0] in "234567":
        mid = text[:3]  # ship station
    else:
        return f"no maritime identity starts with {text[0]}"
    return None if int(mid) in MID_RANGE else f"unallocated MID {mid}"


def on_report(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    if track.source is not Source.AIS:
        return []
    t = ctx.thresholds.spoofing
    found: Facts = {}
    mmsi = track.mmsi
    if t.check_mmsi and mmsi is not None and "mmsi_checked" not in track.counters:
        track.counters["mmsi_checked"] = 1
        problem = mmsi_problem(mmsi)
        if problem is not None:
            found["invalid_mmsi"] = problem
    prev, fix = track.previous, track.last
    if prev is not None:
        jump = distance_m(prev.lat, prev.lon, fix.lat, fix.lon)
        dt = max(1.0, abs((fix.time - prev.time).total_seconds()))
        implied = jump / dt * 3600.0 / 1852.0
        if jump > t.min_jump_m and implied > t.max_implied_speed_kn:
            found.update(
                impossible_move_m=round(jump, 1),
                implied_speed_kn=round(implied, 1),
                interval_s=round(dt, 1),
                sensors=f"{prev.sensor_id},{fix.sensor_id}",
            )
    return _raise(track, fix.time, found, ctx) if found else []


def on_identity(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    before, after = track.previous_static, track.static
    if before is None or after is None:
        return []
    found: Facts = {}
    for field in ctx.thresholds.spoofing.identity_fields:
        old, new = _field(before, field), _field(after, field)
        if old is not None and new is not None and old != new:
            found[f"{field}_was"] = old
            found[f"{field}_now"] = new
    return _raise(track, now, found, ctx) if found else []


def on_tick(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    open_event = track.episodes.get(SCOPE)
    last = track.marks.get(LAST)
    if open_event is None or last is None:
        return []
    quiet = (now - last).total_seconds() >= ctx.thresholds.spoofing.quiet_s
    if not (quiet or track.ended):
        return []
    del track.episodes[SCOPE]
    count = track.counters.pop("spoof_anomalies", 1)
    return [closed(open_event, last, {"anomalies": count})]


def _raise(track: Track, at: datetime, found: Facts, ctx: RuleContext) -> list[Event]:
    track.marks[LAST] = at
    if SCOPE in track.episodes:
        track.counters["spoof_anomalies"] = track.counters.get("spoof_anomalies", 1) + 1
        return []
    track.counters["spoof_anomalies"] = 1
    fix = track.last
    event = new_event(
        EventKind.SPOOFING, (track.key,), at, fix.lat, fix.lon, found, ctx.config_version
    )
    track.episodes[SCOPE] = event
    return [event]


def _field(static: VesselStatic, name: str) -> str | int | None:
    value = getattr(static, name, None)
    if isinstance(value, str):
        return " ".join(value.replace("@", " ").split()).upper() or None
    return value if isinstance(value, int) else None


RULE = Rule("spoofing", on_report=on_report, on_tick=on_tick, on_identity=on_identity)
