"""Tracks from the time-series store: observations in a box and a time window, grouped per
target as time-ordered points, capped so one request cannot pull a day of a busy coast."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shorewatch.events import Source
from shorewatch.store.areas import AreaFilter
from shorewatch.store.timeseries import Conn


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


_POINT = ("time", "lat", "lon", "sog_kn", "cog_deg", "sensor_id")


class TrackPoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    time: AwareDatetime
    lat: float
    lon: float
    sog_kn: float | None = None
    cog_deg: float | None = None
    sensor_id: str


class Track(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str
    """`source:reference`, as events and alerts name targets (`ais:265123456`)."""
    source: Source
    points: list[TrackPoint]


class Tracks(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "tracks": [
                        {
                            "target": "ais:265123456",
                            "source": "ais",
                            "points": [
                                {
                                    "time": "2026-11-20T12:00:00Z",
                                    "lat": 58.23,
                                    "lon": 11.42,
                                    "sog_kn": 24.0,
                                    "cog_deg": 0.0,
                                    "sensor_id": "ais-udp-1",
                                },
                                {
                                    "time": "2026-11-20T12:01:00Z",
                                    "lat": 58.236,
                                    "lon": 11.42,
                                    "sog_kn": 24.0,
                                    "cog_deg": 0.0,
                                    "sensor_id": "ais-udp-1",
                                },
                            ],
                        }
                    ],
                    "points": 2,
                    "truncated": False,
                }
            ]
        },
    )

    tracks: list[Track]
    points: int
    truncated: bool
    """True when the window held more points than the cap: the newest ones are returned."""


@dataclass(frozen=True)
class TrackRow:
    source: Source
    target_ref: str
    point: TrackPoint


def track_rows(
    conn: Conn,
    box: BBox,
    start: datetime,
    end: datetime,
    *,
    target: tuple[Source, str] | None = None,
    limit: int,
    offset: int = 0,
    area: AreaFilter | None = None,
) -> list[TrackRow]:
    """Observations in the box and [start, end), newest first; `area`: only those located in
    the caller's areas (None: all)."""
    clauses = ["time >= %s", "time < %s", "lat BETWEEN %s AND %s", "lon BETWEEN %s AND %s"]
    params: list[object] = [start, end, box.min_lat, box.max_lat, box.min_lon, box.max_lon]
    if area is not None:
        clauses.append(area.condition())
        params += area.params
    if target is not None:
        clauses += ["source = %s", "target_ref = %s"]
        params += [target[0].value, target[1]]
    rows = conn.execute(
        "SELECT source, target_ref, time, lat, lon, sog_kn, cog_deg, sensor_id FROM observations "
        f"WHERE {' AND '.join(clauses)} "
        "ORDER BY time DESC, source, target_ref, sensor_id LIMIT %s OFFSET %s",
        (*params, limit, offset),
    ).fetchall()
    return [
        TrackRow(
            Source(str(source)),
            str(ref),
            TrackPoint.model_validate(dict(zip(_POINT, values, strict=True))),
        )
        for source, ref, *values in rows
    ]


def group_tracks(newest_first: list[TrackRow], max_points: int) -> Tracks:
    """The newest `max_points` rows as one time-ordered point list per target."""
    kept = newest_first[:max_points]
    grouped: dict[tuple[Source, str], list[TrackPoint]] = {}
    for row in reversed(kept):
        grouped.setdefault((row.source, row.target_ref), []).append(row.point)
    tracks = [
        Track(target=f"{source.value}:{ref}", source=source, points=points)
        for (source, ref), points in sorted(grouped.items())
    ]
    return Tracks(tracks=tracks, points=len(kept), truncated=len(newest_first) > max_points)
