"""Events: what the detectors (and field reports) found, searchable by kind, target, zone and
time. A restricted caller sees the events located in their areas (`api/visibility.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Caller, Connection, Context
from api.params import PRINTABLE, TARGET, IsoDateTime
from api.visibility import position_filter, visible_page
from api.windows import ordered
from shorewatch.events import Event, EventKind
from shorewatch.store.events_query import search_events

router = APIRouter(prefix="/events", tags=["events"])

_EXAMPLE = {
    "type": "event",
    "schema_version": 1,
    "id": "0b6f3c1e-8a52-5d43-b1f0-6c2b1e7a9d44",
    "kind": "zone_entry",
    "start": "2026-11-20T12:02:00Z",
    "end": None,
    "lat": 58.242,
    "lon": 11.42,
    "targets": ["ais:265123456"],
    "zone": "lysekil-restricted",
    "facts": {"sog_kn": 24.0},
    "config_version": "default-2026.11",
    "evidence": [],
}


@router.get(
    "",
    response_model=list[Event],
    responses={
        200: {"content": {"application/json": {"example": [_EXAMPLE]}}},
        422: {"description": "Invalid filter, or start not before end"},
    },
)
def list_events(
    caller: Caller,
    conn: Connection,
    context: Context,
    kind: Annotated[list[EventKind] | None, Query(description="Any of these kinds.")] = None,
    target: Annotated[
        str | None,
        Query(max_length=80, pattern=TARGET, description="`source:reference`: ais:265123456"),
    ] = None,
    zone: Annotated[str | None, Query(max_length=64, pattern=PRINTABLE)] = None,
    start: Annotated[IsoDateTime | None, Query(description="Events starting at or after.")] = None,
    end: Annotated[IsoDateTime | None, Query(description="Events starting before.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Event]:
    """Newest first."""
    ordered(start, end)
    visible = position_filter(caller, context.jurisdictions)
    return visible_page(
        lambda n, skip: search_events(
            conn, kinds=kind, target=target, zone=zone, since=start, until=end, limit=n, offset=skip
        ),
        (lambda e: visible(e.lat, e.lon)) if visible else None,
        limit=limit,
        offset=offset,
    )
