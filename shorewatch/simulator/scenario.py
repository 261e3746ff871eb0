"""Simulated AIS traffic as a pure function of simulated time: same inputs, same NMEA lines.

Nothing here reads a clock or touches a socket, so tests can replay any window exactly and the
UDP sender only decides *when* to hand over lines, never *what* they contain. Sentences are
encoded by pyais (no hand armouring) and prefixed with an NMEA 4.0 tag block carrying the
simulated event time, as networked receivers do.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Annotated

from pyais import encode_dict
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shorewatch.events import Latitude, Longitude

STATIC_EVERY_S = 60.0
KN_TO_MPS = 1852.0 / 3600.0
METRES_PER_DEGREE = 111_195.0  # mean Earth radius; equirectangular is exact enough over ~10 km

AisText = Annotated[str, Field(pattern=r"^[ -_]+$")]  # the AIS 6-bit set: space to underscore
Waypoint = tuple[Latitude, Longitude]


class SimVessel(BaseModel):
    """One simulated transponder: identity, a route it sails at constant speed, a report rate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mmsi: int = Field(ge=100_000_000, le=999_999_999)
    name: Annotated[AisText, Field(max_length=20)]
    callsign: Annotated[AisText, Field(max_length=7)]
    ship_type: int = Field(ge=0, le=99)
    length_m: float = Field(gt=0.0, le=1022.0)
    beam_m: float = Field(gt=0.0, le=126.0)
    waypoints: list[Waypoint] = Field(min_length=2)
    speed_kn: float = Field(ge=0.0, le=102.0)
    # >= 1 s keeps consecutive reports in distinct whole tag-block seconds (no duplicate keys).
    report_every_s: float = Field(ge=1.0, le=600.0)
    start_offset_s: float = Field(default=0.0, ge=0.0)
    loop: bool = True
    class_b: bool = False


class Scenario(BaseModel):
    """A set of vessels and the wall-clock instant that simulated t=0 stands for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    start: AwareDatetime
    vessels: list[SimVessel]

    @model_validator(mode="after")
    def _unique_mmsi(self) -> Scenario:
        mmsis = [vessel.mmsi for vessel in self.vessels]
        if len(set(mmsis)) != len(mmsis):
            raise ValueError("vessel MMSIs must be unique")
        return self


@dataclass(frozen=True, slots=True)
class VesselFix:
    lat: float
    lon: float
    sog_kn: float
    cog_deg: float


def _leg(a: Waypoint, b: Waypoint) -> tuple[float, float]:
    """(north, east) metres from a to b on a local equirectangular projection."""
    cos_lat = math.cos(math.radians((a[0] + b[0]) / 2.0))
    return (b[0] - a[0]) * METRES_PER_DEGREE, (b[1] - a[1]) * METRES_PER_DEGREE * cos_lat


def _bearing(north: float, east: float) -> float:
    return math.degrees(math.atan2(east, north)) % 360.0


def position_at(vessel: SimVessel, t_s: float) -> VesselFix:
    """Where the vessel is at sim time t: idle at its first waypoint until start_offset_s, then
    sailing the route (ping-pong when `loop`, else stopping at the end)."""
    points = vessel.waypoints
    legs = [_leg(a, b) for a, b in itertools.pairwise(points)]
    lengths = [math.hypot(north, east) for north, east in legs]
    total = sum(lengths)
    first_cog = next((_bearing(*leg) for leg, n in zip(legs, lengths, strict=True) if n), 0.0)
    elapsed = t_s - vessel.start_offset_s
    if elapsed < 0.0 or total == 0.0 or vessel.speed_kn == 0.0:
        return VesselFix(points[0][0], points[0][1], 0.0, first_cog)
    travelled = vessel.speed_kn * KN_TO_MPS * elapsed
    backward = False
    if vessel.loop:
        travelled %= 2.0 * total
        backward = travelled > total
        if backward:
            travelled = 2.0 * total - travelled
    elif travelled >= total:
        last_cog = next(
            _bearing(*leg) for leg, n in zip(legs[::-1], lengths[::-1], strict=True) if n
        )
        return VesselFix(points[-1][0], points[-1][1], 0.0, last_cog)
    last = max(index for index, length in enumerate(lengths) if length)
    for index, length in enumerate(lengths):
        if length == 0.0:
            continue
        if travelled <= length or index == last:  # float slack at the far end stays on-route
            frac = min(travelled / length, 1.0)
            (lat0, lon0), (lat1, lon1) = points[index], points[index + 1]
            cog = _bearing(*legs[index])
            if backward:
                cog = (cog + 180.0) % 360.0
            return VesselFix(
                lat0 + (lat1 - lat0) * frac, lon0 + (lon1 - lon0) * frac, vessel.speed_kn, cog
            )
        travelled -= length
    raise AssertionError("unreachable: route has a non-zero leg")  # pragma: no cover


def _tick(offset: float, every: float, k: int) -> float:
    """The k-th scheduled instant; one expression everywhere so window splits agree exactly."""
    return offset + k * every


def _ticks(offset: float, every: float, t0: float, t1: float) -> list[float]:
    """Scheduled instants in (t0, t1]; abutting windows partition the schedule exactly."""
    if t1 <= t0:
        return []
    first = max(0, math.floor((t0 - offset) / every))
    last = math.floor((t1 - offset) / every) + 1
    return [t for k in range(first, last + 1) if t0 < (t := _tick(offset, every, k)) <= t1]


def _count_before(offset: float, every: float, t: float) -> int:
    """How many scheduled instants fall strictly before t."""
    n = max(0, math.ceil((t - offset) / every))
    while n > 0 and _tick(offset, every, n - 1) >= t:
        n -= 1
    while _tick(offset, every, n) < t:
        n += 1
    return n


def _static_seq_id(vessels: list[SimVessel], index: int, t: float) -> int:
    """Sequential 0-9 message id of a type 5, derived from its rank among all statics in time
    order, so it does not depend on which window asked for it."""
    rank = 0
    for other_index, other in enumerate(vessels):
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
        fields.update(status=7 if vessel.ship_type == 30 else 0, turn=0, maneuver=0)
    (sentence,) = encode_dict(fields, talker_id="AI", sentence_type="VDM", radio_channel="A")
    return sentence


def _static_sentences(vessel: SimVessel, seq_id: int) -> list[str]:
    bow, port = round(vessel.length_m / 2), round(vessel.beam_m / 2)
    fields: dict[str, str | int | float | bytes | bool] = {
        "msg_type": 5,
        "mmsi": vessel.mmsi,
        "callsign": vessel.callsign,
        "shipname": vessel.name,
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
    """Every line due in (t0, t1] as (sim seconds, tag block + sentence), in time order.

    Position reports every report_every_s from start_offset_s; a two-sentence type 5 at the first
    report and every 60 s after, ahead of a position report due at the same instant.
    """
    if not (math.isfinite(t0_s) and math.isfinite(t1_s)):
        raise ValueError("window bounds must be finite")
    start = scenario.start.timestamp()
    due: list[tuple[float, int, int, list[str]]] = []
    for index, vessel in enumerate(scenario.vessels):
        offset = vessel.start_offset_s
        for t in _ticks(offset, STATIC_EVERY_S, t0_s, t1_s):
            seq_id = _static_seq_id(scenario.vessels, index, t)
            due.append((t, index, 0, _static_sentences(vessel, seq_id)))
        for t in _ticks(offset, vessel.report_every_s, t0_s, t1_s):
            fix = position_at(vessel, t)
            due.append((t, index, 1, [_position_sentence(vessel, fix, math.floor(start + t))]))
    due.sort(key=lambda item: item[:3])
    return [
        (t, tag_block(math.floor(start + t)) + sentence)
        for t, _, _, sentences in due
        for sentence in sentences
    ]


def demo_scenario(start: datetime) -> Scenario:
    """Traffic off Lysekil for `shorewatch demo`: five lawful vessels that keep clear of the
    restricted zone (lon 11.40-11.44, lat 58.24-58.26) and SILVER SHADOW, which runs into it
    from the west about 30 s after start (from ~380 m outside), leaves and returns."""
    return Scenario(
        name="lysekil-demo",
        start=start,
        vessels=[
            SimVessel(
                mmsi=265547230,
                name="GULLMARN EXPRESS",
                callsign="SFKB",
                ship_type=60,
                length_m=35.0,
                beam_m=9.0,
                speed_kn=11.0,
                report_every_s=6.0,
                start_offset_s=0.3,
                waypoints=[(58.2738, 11.4372), (58.2722, 11.4520), (58.2690, 11.4660)],
            ),
            SimVessel(
                mmsi=266232610,
                name="NORDIC TRADER",
                callsign="SKPQ",
                ship_type=70,
                length_m=118.0,
                beam_m=17.0,
                speed_kn=12.5,
                report_every_s=10.0,
                start_offset_s=1.1,
                waypoints=[(58.1200, 11.3050), (58.2500, 11.3000), (58.4000, 11.2800)],
            ),
            SimVessel(
                mmsi=265874120,
                name="BALTIC STAR",
                callsign="SLRX",
                ship_type=70,
                length_m=89.0,
                beam_m=13.5,
                speed_kn=10.5,
                report_every_s=10.0,
                start_offset_s=2.7,
                waypoints=[(58.4200, 11.2400), (58.2700, 11.2550), (58.1200, 11.2600)],
            ),
            SimVessel(
                mmsi=265619840,
                name="LYSEKIL FISK",
                callsign="SGTF",
                ship_type=30,
                length_m=18.0,
                beam_m=6.0,
                speed_kn=5.0,
                report_every_s=10.0,
                start_offset_s=4.2,
                waypoints=[
                    (58.2200, 11.3300),
                    (58.2300, 11.3500),
                    (58.2100, 11.3600),
                    (58.2000, 11.3400),
                ],
            ),
            SimVessel(
                mmsi=265903170,
                name="SJOSTJARNAN",
                callsign="SH2837",
                ship_type=37,
                length_m=10.0,
                beam_m=3.5,
                speed_kn=6.5,
                report_every_s=10.0,
                start_offset_s=5.6,
                class_b=True,
                waypoints=[(58.2850, 11.4000), (58.3000, 11.3800), (58.3200, 11.3900)],
            ),
            SimVessel(
                mmsi=265123456,
                name="SILVER SHADOW",
                callsign="SD4711",
                ship_type=37,
                length_m=12.0,
                beam_m=3.5,
                speed_kn=25.0,
                report_every_s=2.0,
                waypoints=[(58.2500, 11.3935), (58.2500, 11.4300), (58.2620, 11.3720)],
            ),
        ],
    )
