"""Simulated AIS traffic as a pure function of simulated time: same inputs, same NMEA lines.

Nothing here reads a clock or touches a socket, so tests can replay any window exactly and the
UDP sender only decides *when* to hand over lines, never *what* they contain. Sentences are
encoded by pyais (no hand armouring) and prefixed with an NMEA 4.0 tag block carrying the
simulated event time, as networked receivers do. What a transponder sends is what it claims:
nothing while silent, a shifted position and another name once spoofed.
"""

from __future__ import annotations

import math
from functools import reduce

from pyais import encode_dict

from app.simulator.model import Scenario, SimVessel, Spoof
from app.simulator.motion import VesselFix, offset, position_at

__all__ = [
    "STATIC_EVERY_S",
    "Scenario",
    "SimVessel",
    "VesselFix",
    "position_at",
    "sentences_between",
    "tag_block",
    "ticks",
]

STATIC_EVERY_S = 60.0
MOORED, FISHING = 5, 7


def _tick(offset_s: float, every: float, k: int) -> float:
    """The k-th scheduled instant; one expression everywhere so window splits agree exactly."""
    return offset_s + k * every


def ticks(offset_s: float, every: float, t0: float, t1: float) -> list[float]:
    """Scheduled instants in (t0, t1]; abutting windows partition the schedule exactly."""
    if t1 <= t0:
        return []
    first = max(0, math.floor((t0 - offset_s) / every))
    last = math.floor((t1 - offset_s) / every) + 1
    return [t for k in range(first, last + 1) if t0 < (t := _tick(offset_s, every, k)) <= t1]


def _count_before(offset_s: float, every: float, t: float) -> int:
    """How many scheduled instants fall strictly before t."""
    n = max(0, math.ceil((t - offset_s) / every))
    while n > 0 and _tick(offset_s, every, n - 1) >= t:
        n -= 1
    while _tick(offset_s, every, n) < t:
        n += 1
    return n


def _static_seq_id(vessels: list[SimVessel], index: int, t: float) -> int:
    """Sequential 0-9 message id of a type 5, derived from its rank among all statics in time
    order, so it does not depend on which window asked for it."""
    rank = 0
    for other_index, other in enumerate(vessels):
        if not other.ais:
            continue
        before = _count_before(other.start_offset_s, STATIC_EVERY_S, t)
        rank += before
        if other_index < index and _tick(other.start_offset_s, STATIC_EVERY_S, before) == t:
            rank += 1
    return rank % 10


def tag_block(unix_s: int) -> str:
    r"""NMEA 4.0 tag block `\c:<unix s>*hh\`: XOR checksum of the characters between `\` and `*`."""
    body = f"c:{unix_s}"
    checksum = reduce(lambda acc, ch: acc ^ ord(ch), body, 0)
    return f"\\{body}*{checksum:02X}\\"


def _spoofing(vessel: SimVessel, t: float) -> Spoof | None:
    spoof = vessel.spoof
    return spoof if spoof is not None and t >= spoof.from_s else None


def _claimed(vessel: SimVessel, t: float) -> VesselFix:
    """The position the transponder reports: the true one unless it is being spoofed."""
    fix = position_at(vessel, t)
    spoof = _spoofing(vessel, t)
    if spoof is None:
        return fix
    lat, lon = offset((fix.lat, fix.lon), spoof.north_m, spoof.east_m)
    return VesselFix(lat, lon, fix.sog_kn, fix.cog_deg)


def _position_sentence(vessel: SimVessel, fix: VesselFix, unix_s: int) -> str:
    cog = round(fix.cog_deg, 1) % 360.0  # 360.0 would mean 'not available'
    fields: dict[str, str | int | float | bytes | bool] = {
        "msg_type": 18 if vessel.class_b else 1,
        "mmsi": vessel.mmsi,
        "lat": fix.lat,
        "lon": fix.lon,
        "speed": round(fix.sog_kn, 1),
        "course": cog,
        "heading": round(fix.cog_deg) % 360,
        "second": unix_s % 60,
    }
    if vessel.class_b:
        fields["cs"] = True  # a carrier-sense (SOTDMA-less) class B unit, the common kind
    else:
        status = vessel.nav_status
        if status is None:
            status = FISHING if vessel.ship_type == 30 else 0
        fields.update(status=status, turn=0, maneuver=0)
    (sentence,) = encode_dict(fields, talker_id="AI", sentence_type="VDM", radio_channel="A")
    return sentence


def _static_sentences(vessel: SimVessel, seq_id: int, t: float) -> list[str]:
    bow, port = round(vessel.length_m / 2), round(vessel.beam_m / 2)
    spoof = _spoofing(vessel, t)
    name, callsign = vessel.name, vessel.callsign
    if spoof is not None:
        name, callsign = spoof.name or name, spoof.callsign or callsign
    fields: dict[str, str | int | float | bytes | bool] = {
        "msg_type": 5,
        "mmsi": vessel.mmsi,
        "callsign": callsign,
        "shipname": name,
        "ship_type": vessel.ship_type,
        "epfd": 1,
        "to_bow": min(bow, 511),
        "to_stern": min(round(vessel.length_m) - bow, 511),
        "to_port": min(port, 63),
        "to_starboard": min(round(vessel.beam_m) - port, 63),
    }
    return encode_dict(
        fields, talker_id="AI", sentence_type="VDM", radio_channel="A", seq_id=seq_id
    )


def sentences_between(scenario: Scenario, t0_s: float, t1_s: float) -> list[tuple[float, str]]:
    """Every AIS line due in (t0, t1] as (sim seconds, tag block + sentence), in time order.

    Position reports every report_every_s from start_offset_s; a two-sentence type 5 at the first
    report and every 60 s after, ahead of a position report due at the same instant. Vessels
    without AIS send nothing, and none sends inside its `ais_silent` windows.
    """
    if not (math.isfinite(t0_s) and math.isfinite(t1_s)):
        raise ValueError("window bounds must be finite")
    start = scenario.start.timestamp()
    due: list[tuple[float, int, int, list[str]]] = []
    for index, vessel in enumerate(scenario.vessels):
        if not vessel.ais:
            continue
        first = vessel.start_offset_s
        for t in ticks(first, STATIC_EVERY_S, t0_s, t1_s):
            if vessel.transmits_at(t):
                seq_id = _static_seq_id(scenario.vessels, index, t)
                due.append((t, index, 0, _static_sentences(vessel, seq_id, t)))
        for t in ticks(first, vessel.report_every_s, t0_s, t1_s):
            if vessel.transmits_at(t):
                fix = _claimed(vessel, t)
                sentence = _position_sentence(vessel, fix, math.floor(start + t))
                due.append((t, index, 1, [sentence]))
    due.sort(key=lambda item: item[:3])
    return [
        (t, tag_block(math.floor(start + t)) + sentence)
        for t, _, _, sentences in due
        for sentence in sentences
    ]
