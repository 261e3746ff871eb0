"""Spoofing: signs that an AIS identity is not what it claims.

- impossible movement: consecutive positions further apart than `min_jump_m` that would need
  more than `max_implied_speed_kn` (also what one MMSI reported in two places at once gives);
- an invalid MMSI: not nine digits, or a maritime identity digit pattern / MID that ITU-R M.585
  does not allocate;
- identity change: name, call sign or ship type changes on one MMSI.

Two categories, each its own episode per vessel (fact `category`), because an operator treats
them apart: an invalid MMSI is an `identity_fault` (almost always a misconfigured transponder:
an IMO number or a test number sent as MMSI), graded low by scoring; movement and identity
changes are `deception`. An episode collects every anomaly of its category and closes after
`quiet_s` without another. On an MMSI that is itself invalid, jumps and identity changes are what
several misconfigured units sharing a factory default (0, 111111111, 123456789) look like on
real networks: they join the identity-fault episode (fact `shared_identity`), not deception.
"""

from __future__ import annotations

from datetime import datetime

from detectors.rules.base import Rule, RuleContext
from detectors.track import Track, distance_m
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import Event, EventKind, Source, VesselStatic

SCOPE, LAST = "spoofing", "spoof_last"  # deception
FAULT_SCOPE, FAULT_LAST = "identity_fault", "identity_fault_last"
IDENTITY_FAULT, DECEPTION = "identity_fault", "deception"
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
    out: list[Event] = []
    mmsi = track.mmsi
    fix = track.last
    if t.check_mmsi and mmsi is not None and "mmsi_checked" not in track.counters:
        track.counters["mmsi_checked"] = 1
        problem = mmsi_problem(mmsi)
        if problem is not None:
            track.counters["mmsi_invalid"] = 1
            out += _raise(track, fix.time, {"invalid_mmsi": problem}, ctx, IDENTITY_FAULT)
    found: Facts = {}
    prev = track.previous
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
    return out + (_raise(track, fix.time, found, ctx, _category(track)) if found else [])


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
    return _raise(track, now, found, ctx, _category(track)) if found else []


def on_tick(track: Track, now: datetime, ctx: RuleContext) -> list[Event]:
    out: list[Event] = []
    for scope, last_mark in ((FAULT_SCOPE, FAULT_LAST), (SCOPE, LAST)):
        open_event = track.episodes.get(scope)
        last = track.marks.get(last_mark)
        if open_event is None or last is None:
            continue
        quiet = (now - last).total_seconds() >= ctx.thresholds.spoofing.quiet_s
        if not (quiet or track.ended):
            continue
        del track.episodes[scope]
        extra: Facts = {"anomalies": track.counters.pop(f"{scope}_anomalies", 1)}
        if scope == FAULT_SCOPE and track.counters.pop("shared_identity", 0):
            extra["shared_identity"] = True
        out.append(closed(open_event, last, extra))
    return out


def _category(track: Track) -> str:
    """A jump or identity change on an invalid MMSI: several units sharing a default number."""
    return IDENTITY_FAULT if track.counters.get("mmsi_invalid") else DECEPTION


def _raise(
    track: Track, at: datetime, found: Facts, ctx: RuleContext, category: str
) -> list[Event]:
    scope, last_mark = (FAULT_SCOPE, FAULT_LAST) if category == IDENTITY_FAULT else (SCOPE, LAST)
    counter = f"{scope}_anomalies"
    track.marks[last_mark] = at
    if scope in track.episodes:
        track.counters[counter] = track.counters.get(counter, 1) + 1
        if category == IDENTITY_FAULT and "invalid_mmsi" not in found:
            track.counters["shared_identity"] = 1
        return []
    track.counters[counter] = 1
    fix = track.last
    facts: Facts = {"category": category, **found}
    event = new_event(
        EventKind.SPOOFING,
        (track.key,),
        at,
        fix.lat,
        fix.lon,
        facts,
        ctx.config_version,
        scope="" if scope == SCOPE else scope,  # deception keeps the ids it always had
    )
    track.episodes[scope] = event
    return [event]


def _field(static: VesselStatic, name: str) -> str | int | None:
    value = getattr(static, name, None)
    if isinstance(value, str):
        return " ".join(value.replace("@", " ").split()).upper() or None
    return value if isinstance(value, int) else None


RULE = Rule("spoofing", on_report=on_report, on_tick=on_tick, on_identity=on_identity)
