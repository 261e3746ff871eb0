"""Simulated shore-radar output: an ARPA target sentence per vessel in range, once per scan.

The radar sees where vessels really are, whatever their transponders claim or whether they have
one, so a dark speedboat shows here and nowhere else. Each sentence carries the UTC time of its
scan on the same clock as the AIS tag blocks (the scenario start plus sim time); a target that
leaves range or is beached is reported lost (status L) once, as ARPA does. Sentences are built
by pynmeagps, which also computes their checksums.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from pynmeagps import GET, NMEAMessage

from app.simulator.model import Scenario, SimRadar, SimVessel
from app.simulator.motion import KN_TO_MPS, position_at, range_bearing, route_duration_s
from app.simulator.scenario import ticks

METRES_PER_NM = 1852.0
Status = Literal["T", "L"]


def target_number(scenario: Scenario, mmsi: int) -> int:
    """The ARPA target number the radar gives a vessel: its place in the vessel list, plus one."""
    return next(i for i, v in enumerate(scenario.vessels, 1) if v.mmsi == mmsi)


def in_view(radar: SimRadar, vessel: SimVessel, t_s: float) -> bool:
    """Afloat and within range of the radar at sim time t."""
    if vessel.ashore_at_end and t_s >= vessel.start_offset_s + route_duration_s(vessel):
        return False
    fix = position_at(vessel, t_s)
    distance, _ = range_bearing((radar.lat, radar.lon), (fix.lat, fix.lon))
    return distance <= radar.range_m


def _num(value: float, digits: int) -> float:
    """Rounded for the sentence; `+ 0.0` turns a negative zero into a plain one."""
    return round(value, digits) + 0.0


def _scan_time(start: datetime, t_s: float) -> time:
    """UTC time of day of the scan, to the hundredth of a second NMEA carries."""
    when = (start + timedelta(seconds=t_s)).astimezone(UTC)
    return when.time().replace(microsecond=when.microsecond // 10_000 * 10_000)


def _cpa(
    distance_m: float, bearing_deg: float, sog_kn: float, cog_deg: float
) -> tuple[float, float]:
    """Closest point of approach to the radar (nm) and the time to it (minutes; < 0: past)."""
    east = distance_m * math.sin(math.radians(bearing_deg))
    north = distance_m * math.cos(math.radians(bearing_deg))
    speed = sog_kn * KN_TO_MPS
    v_east, v_north = (
        speed * math.sin(math.radians(cog_deg)),
        speed * math.cos(math.radians(cog_deg)),
    )
    tcpa_s = -(east * v_east + north * v_north) / speed**2 if speed else 0.0
    cpa_m = math.hypot(east + v_east * tcpa_s, north + v_north * tcpa_s)
    return cpa_m / METRES_PER_NM, tcpa_s / 60.0


def target_sentence(
    scenario: Scenario, radar: SimRadar, index: int, t_s: float, status: Status
) -> str:
    """One TTM (range and true bearing from the site) or TLL (position) for vessel `index`."""
    fix = position_at(scenario.vessels[index], t_s)
    common = {
        "targetnum": index + 1,
        "targetname": "",
        "reftarget": "",
        "time": _scan_time(scenario.start, t_s),
    }
    if radar.sentence == "TLL":
        msg = NMEAMessage(
            radar.talker,
            "TLL",
            GET,
            targetlat=abs(fix.lat),
            targetlatNS="N" if fix.lat >= 0 else "S",
            targetlon=abs(fix.lon),
            targetlonEW="E" if fix.lon >= 0 else "W",
            status=status,
            **common,
        )
    else:
        distance, bearing = range_bearing((radar.lat, radar.lon), (fix.lat, fix.lon))
        cpa_nm, tcpa_min = _cpa(distance, bearing, fix.sog_kn, fix.cog_deg)
        msg = NMEAMessage(
            radar.talker,
            "TTM",
            GET,
            targetdist=_num(distance / METRES_PER_NM, 3),
            targetbearing=_num(bearing, 1) % 360.0,
            targetbearingu="T",
            targetspeed=_num(fix.sog_kn, 1),
            targetcourse=_num(fix.cog_deg, 1) % 360.0,
            targetcourseu="T",
            closestapproach=_num(cpa_nm, 3),
            timetoCPA=_num(tcpa_min, 1),
            speedu="N",
            targetstatus=status,
            acquisitiontype="A",
            **common,
        )
    return str(msg.serialize().decode("ascii").strip())


def radar_sentences_between(
    scenario: Scenario, t0_s: float, t1_s: float
) -> list[tuple[float, str]]:
    """Every radar line due in (t0, t1] as (sim seconds, sentence), scan by scan in target order.

    A scan reports each vessel in view; a vessel in view at the previous scan and not at this
    one is reported lost. No radar, no lines.
    """
    radar = scenario.radar
    if radar is None:
        return []
    if not (math.isfinite(t0_s) and math.isfinite(t1_s)):
        raise ValueError("window bounds must be finite")
    lines: list[tuple[float, str]] = []
    for t in ticks(0.0, radar.scan_every_s, t0_s, t1_s):
        previous = t - radar.scan_every_s
        for index, vessel in enumerate(scenario.vessels):
            if in_view(radar, vessel, t):
                lines.append((t, target_sentence(scenario, radar, index, t, "T")))
            elif previous >= 0.0 and in_view(radar, vessel, previous):
                lines.append((t, target_sentence(scenario, radar, index, t, "L")))
    return lines
