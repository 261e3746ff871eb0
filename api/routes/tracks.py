"""Tracks: where targets went inside a box during a time window, from the time-series store.

Bounded three ways, so one request cannot read a day of a busy coast: the box (at most
`MAX_SPAN_DEG` a side), the window (at most `MAX_WINDOW`) and the points (`limit`, newest kept).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from api.deps import Caller, Connection, Context
from api.errors import unprocessable
from api.params import TARGET, IsoDateTime
from api.visibility import area_of
from api.windows import time_window
from shorewatch.events import Source
from shorewatch.store.tracks_repo import BBox, Tracks, group_tracks, track_rows

router = APIRouter(prefix="/tracks", tags=["tracks"])
MAX_SPAN_DEG = 5.0
DEFAULT_WINDOW = timedelta(hours=1)
MAX_WINDOW = timedelta(hours=24)


def parse_bbox(text: str, max_span_deg: float = MAX_SPAN_DEG) -> BBox:
    """`minlon,minlat,maxlon,maxlat` (WGS 84 degrees); a box across the antimeridian is refused."""
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise _invalid("bbox must be four numbers: minlon,minlat,maxlon,maxlat", text)
    box = BBox(*values)
    if not (-180 <= box.min_lon < box.max_lon <= 180 and -90 <= box.min_lat < box.max_lat <= 90):
        raise _invalid(
            "bbox needs -180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90", text
        )
    if box.max_lon - box.min_lon > max_span_deg or box.max_lat - box.min_lat > max_span_deg:
        raise _invalid(f"bbox larger than {max_span_deg:g} degrees a side", text)
    return box


def _invalid(message: str, text: str) -> RequestValidationError:
    return unprocessable(("query", "bbox"), message, text)


@router.get(
    "",
    response_model=Tracks,
    responses={422: {"description": "Invalid box, window or target, with the reason"}},
)
def get_tracks(
    caller: Caller,
    conn: Connection,
    context: Context,
    bbox: Annotated[
        str,
        Query(
            max_length=200,
            description=f"minlon,minlat,maxlon,maxlat; at most {MAX_SPAN_DEG:g} degrees a side",
            examples=["11.30,58.20,11.50,58.30"],
        ),
    ],
    start: Annotated[IsoDateTime | None, Query(description="Default: one hour before end.")] = None,
    end: Annotated[IsoDateTime | None, Query(description="Default: now.")] = None,
    target: Annotated[
        str | None, Query(max_length=80, pattern=TARGET, description="Only this target.")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=20_000, description="Most points returned (the newest).")
    ] = 5_000,
) -> Tracks:
    """One time-ordered point list per target (`source:reference`); at most 24 hours."""
    box = parse_bbox(bbox)
    since, until = time_window(
        start, end, now=datetime.now(UTC), default=DEFAULT_WINDOW, longest=MAX_WINDOW
    )
    wanted = None
    if target is not None:
        source, ref = target.split(":", 1)
        try:
            wanted = (Source(source), ref)
        except ValueError:
            message = f"unknown source {source!r}: one of {', '.join(Source)}"
            raise unprocessable(("query", "target"), message, target) from None
    area = area_of(caller, context.jurisdictions)
    rows = track_rows(conn, box, since, until, target=wanted, limit=limit + 1, area=area)
    return group_tracks(rows, limit)
