"""`backtest --db`: the store's observations of a window (and an area) as detector input.

Read in time order with a server-side cursor, so a week of a busy coast streams rather than
loads. Each vessel's stored identity (the `vessels` table: latest name, type, size) is given to
the detector right after the vessel's first fix in the window. Radar "lost"
reports are not stored: radar tracks end by the detector's own expiry here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from shorewatch.config.site import SiteConfig
from shorewatch.events import Observation, Source, VesselStatic
from shorewatch.zones import build_zones

_SPAN = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
Input = Observation | VesselStatic


@dataclass(frozen=True)
class Area:
    south: float
    west: float
    north: float
    east: float


def since_of(text: str, now: datetime) -> datetime:
    """`7d`, `12h`, `30m`, `90s` before `now`, or an ISO 8601 time (UTC if no offset)."""
    found = _SPAN.fullmatch(text.strip())
    if found:
        return now - timedelta(seconds=float(found[1]) * _UNIT_S[found[2]])
    stamp = datetime.fromisoformat(text)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def area_of(text: str, site: SiteConfig) -> Area:
    """`S,W,N,E` in degrees, or the id of one of the site's zones (its bounding box)."""
    parts = text.split(",")
    if len(parts) == 4:
        south, west, north, east = (float(p) for p in parts)
        if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
            raise ValueError(f"area {text!r}: need S,W,N,E with S < N and W < E")
        return Area(south, west, north, east)
    for zone in build_zones(site):
        if zone.id == text:
            west, south, east, north = zone.geometry.bounds
            return Area(south, west, north, east)
    raise ValueError(f"area {text!r}: neither S,W,N,E nor a zone id of the site")


_OBSERVATIONS = """
SELECT time, source, sensor_id, target_ref, lat, lon, sog_kn, cog_deg, heading_deg, length_m,
       label, confidence
FROM observations
WHERE time >= %(since)s AND time < %(until)s
  AND (%(south)s::float8 IS NULL OR (lat BETWEEN %(south)s AND %(north)s
                                     AND lon BETWEEN %(west)s AND %(east)s))
ORDER BY time, source, sensor_id, target_ref
"""
_VESSELS = """
SELECT mmsi, imo, name, callsign, ship_type, length_m, beam_m, sensor_id FROM vessels
WHERE mmsi = ANY(%(mmsis)s)
"""


def stored_inputs(dsn: str, since: datetime, until: datetime, area: Area | None) -> Iterator[Input]:
    """Every observation in time order, each AIS vessel's stored identity after its first."""
    box: dict[str, float | None] = {"south": None, "west": None, "north": None, "east": None}
    if area is not None:
        box = {"south": area.south, "west": area.west, "north": area.north, "east": area.east}
    params = {"since": since, "until": until, **box}
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT DISTINCT target_ref FROM observations WHERE source = 'ais' "
            "AND time >= %(since)s AND time < %(until)s",
            params,
        ).fetchall()
        mmsis = [int(r[0]) for r in rows if str(r[0]).isdigit()]
        identities = {
            mmsi: (imo, name, callsign, ship_type, length, beam, sensor)
            for mmsi, imo, name, callsign, ship_type, length, beam, sensor in conn.execute(
                _VESSELS, {"mmsis": mmsis}
            )
        }
        with conn.cursor(name="backtest_observations") as cursor:
            cursor.itersize = 5000
            cursor.execute(_OBSERVATIONS, params)
            for row in cursor:
                when, source, sensor, ref, lat, lon, sog, cog, heading, length, label, conf = row
                yield Observation(
                    source=Source(source), sensor_id=sensor, target_ref=ref, time=when,
                    lat=lat, lon=lon, sog_kn=sog, cog_deg=cog, heading_deg=heading,
                    length_m=length, label=label, confidence=conf,
                )  # fmt: skip
                known = (
                    identities.pop(int(ref), None) if source == "ais" and ref.isdigit() else None
                )
                if known is not None:  # after its first fix: the track exists to take it
                    imo, name, callsign, ship_type, size, beam, by = known
                    yield VesselStatic(
                        sensor_id=by or sensor, time=when, mmsi=int(ref), imo=imo, name=name,
                        callsign=callsign, ship_type=ship_type, length_m=size, beam_m=beam,
                    )  # fmt: skip
