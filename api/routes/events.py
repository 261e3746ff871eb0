"""Events: what the detectors (and field reports) found, searchable by kind, target, zone and
time, and a camera event's evidence snapshot. A restricted caller sees the events located in
their areas (`api/visibility.py`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status

from api.context import ApiContext
from api.deps import Caller, Connection, Context
from api.params import PRINTABLE, TARGET, IsoDateTime
from api.principal import Principal
from api.visibility import area_of, position_filter
from api.windows import ordered
from shorewatch.events import Event, EventKind
from shorewatch.store.events_query import search_events
from shorewatch.store.timeseries import Conn

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
    return search_events(
        conn,
        kinds=kind,
        target=target,
        zone=zone,
        since=start,
        until=end,
        limit=limit,
        offset=offset,
        area=area_of(caller, context.jurisdictions),
    )


def _visible_event(
    event_id: uuid.UUID, caller: Principal, conn: Conn, context: ApiContext
) -> Event:
    """The event when it lies in the caller's areas; outside them a 404, the same as no event,
    so that its existence is not told."""
    found = context.events.list_for_alert(conn, [event_id])
    visible = position_filter(caller, context.jurisdictions)
    if not found or (visible is not None and not visible(found[0].lat, found[0].lon)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no event {event_id}")
    return found[0]


@router.get(
    "/{event_id}/snapshot",
    response_class=Response,
    responses={
        200: {
            "description": "The camera frame that raised the event, its box drawn (JPEG)",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        },
        404: {"description": "No such event in the caller's areas, no snapshot, or past retention"},
    },
)
def get_snapshot(
    event_id: uuid.UUID, caller: Caller, conn: Connection, context: Context
) -> Response:
    """A camera event's evidence (the URL in its `evidence`). Keyed by event id, which a closing
    re-publication keeps: one snapshot per episode, never rewritten, so cacheable for a day."""
    event = _visible_event(event_id, caller, conn, context)
    data = context.snapshots.read(event.id, "image/jpeg")
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no snapshot for event {event_id}")
    return Response(
        data,
        media_type="image/jpeg",
        headers={
            "Content-Disposition": f'inline; filename="event-{event.id}.jpg"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=86400",
        },
    )
