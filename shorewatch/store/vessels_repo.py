"""Vessels as the API shows them: AIS identity (the `vessels` table) and the last position
heard from each, looked up in the time-series store."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shorewatch.store.areas import AreaFilter
from shorewatch.store.timeseries import Conn

_IDENTITY = ("mmsi", "imo", "name", "callsign", "ship_type", "length_m", "beam_m", "updated_at")
_POSITION = ("time", "lat", "lon", "sog_kn", "cog_deg", "sensor_id")
_LAST_POSITION = """
SELECT time, lat, lon, sog_kn, cog_deg, sensor_id FROM observations o
WHERE o.source = 'ais' AND o.target_ref = {mmsi}::text ORDER BY time DESC LIMIT 1
"""
_LIST = f"""
SELECT {", ".join("v." + c for c in _IDENTITY)}, {", ".join("p." + c for c in _POSITION)}
FROM vessels v LEFT JOIN LATERAL ({_LAST_POSITION.format(mmsi="v.mmsi")}) p ON true
"""


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    time: AwareDatetime
    lat: float
    lon: float
    sog_kn: float | None = None
    cog_deg: float | None = None
    sensor_id: str


class Vessel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "mmsi": 265123456,
                    "imo": 9074729,
                    "name": "SILVER SHADOW",
                    "callsign": "SFAB",
                    "ship_type": 37,
                    "length_m": 12.0,
                    "beam_m": 3.5,
                    "updated_at": "2026-11-20T11:58:00Z",
                    "last_position": {
                        "time": "2026-11-20T12:04:00Z",
                        "lat": 58.248,
                        "lon": 11.42,
                        "sog_kn": 24.0,
                        "cog_deg": 0.0,
                        "sensor_id": "ais-udp-1",
                    },
                }
            ]
        },
    )

    mmsi: int
    imo: int | None = None
    name: str | None = None
    callsign: str | None = None
    ship_type: int | None = None
    length_m: float | None = None
    beam_m: float | None = None
    updated_at: AwareDatetime | None = None
    """When the identity was last broadcast; None for a vessel only heard by position."""
    last_position: Position | None = None


def _vessel(row: tuple[object, ...]) -> Vessel:
    identity = dict(zip(_IDENTITY, row[: len(_IDENTITY)], strict=True))
    position = dict(zip(_POSITION, row[len(_IDENTITY) :], strict=True))
    last = Position.model_validate(position) if position["time"] is not None else None
    return Vessel.model_validate({**identity, "last_position": last})


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class VesselsRepo:
    def search(
        self,
        conn: Conn,
        *,
        name: str | None = None,
        limit: int = 100,
        offset: int = 0,
        area: AreaFilter | None = None,
    ) -> list[Vessel]:
        """By MMSI; `name` matches part of the name or call sign, ignoring case; `area`: only
        vessels whose last position lies in the caller's areas (None: all)."""
        clauses: list[str] = []
        params: list[object] = []
        if name:
            clauses.append("(v.name ILIKE %s OR v.callsign ILIKE %s)")
            params += [_like(name), _like(name)]
        if area is not None:
            clauses.append(area.condition("p.lat", "p.lon"))
            params += area.params
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = conn.execute(
            f"{_LIST}{where} ORDER BY v.mmsi LIMIT %s OFFSET %s", (*params, limit, offset)
        ).fetchall()
        return [_vessel(r) for r in rows]

    def get(self, conn: Conn, mmsi: int) -> Vessel | None:
        """A vessel heard only by position (no identity broadcast yet) is still returned."""
        row = conn.execute(f"{_LIST} WHERE v.mmsi = %s", (mmsi,)).fetchone()
        if row is not None:
            return _vessel(row)
        last = conn.execute(_LAST_POSITION.format(mmsi="%s"), (mmsi,)).fetchone()
        if last is None:
            return None
        position = Position.model_validate(dict(zip(_POSITION, last, strict=True)))
        return Vessel(mmsi=mmsi, last_position=position)
