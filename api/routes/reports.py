"""Field reports: sightings from grid members and volunteers (position, time, description,
optional photo). Each becomes a `field_report` event on the bus, which the alerts role scores
and can raise as an alert like any detector's finding.

Operators and dispatchers submit (the reporter is the authenticated caller); every role reads,
within its areas.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from api.deps import Caller, Connection, Context, allow
from api.errors import unprocessable
from api.field_reports import NewFieldReport, submit
from api.params import IsoDateTime
from api.principal import Principal, Role
from api.windows import ordered
from shorewatch.store.photos import suffix
from shorewatch.store.reports_repo import FieldReport, ReportsRepo
from shorewatch.store.timeseries import Conn

router = APIRouter(prefix="/reports", tags=["field reports"])
_repo = ReportsRepo()
Reporter = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.DISPATCHER))]
CLOCK_SKEW = timedelta(minutes=5)
OLDEST = timedelta(days=30)


@router.post(
    "",
    response_model=FieldReport,
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"description": "Needs role operator or dispatcher"},
        422: {"description": "Invalid report or photo, with the reason"},
    },
)
def create_report(
    body: NewFieldReport, caller: Reporter, conn: Connection, context: Context
) -> FieldReport:
    now = datetime.now(UTC)
    if body.time > now + CLOCK_SKEW:
        raise unprocessable(("body", "time"), "time is in the future", body.time.isoformat())
    if body.time < now - OLDEST:
        message = f"time is more than {OLDEST.days} days ago"
        raise unprocessable(("body", "time"), message, body.time.isoformat())
    return submit(
        conn,
        context.reports,
        body,
        reporter=caller.name,
        zones=context.zones,
        jurisdiction=context.jurisdictions.locate(body.lat, body.lon),
        now=now,
    )


@router.get("", response_model=list[FieldReport])
def list_reports(
    caller: Caller,
    conn: Connection,
    start: Annotated[IsoDateTime | None, Query(description="Seen at or after.")] = None,
    end: Annotated[IsoDateTime | None, Query(description="Seen before.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FieldReport]:
    """Newest sighting first."""
    ordered(start, end)
    return _repo.search(
        conn, areas=caller.areas, since=start, until=end, limit=limit, offset=offset
    )


def _visible_report(report_id: uuid.UUID, caller: Principal, conn: Conn) -> FieldReport:
    report = _repo.get(conn, report_id)
    if report is None or not caller.sees(report.jurisdiction):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no field report {report_id}")
    return report


@router.get(
    "/{report_id}",
    response_model=FieldReport,
    responses={404: {"description": "No such report in the caller's areas"}},
)
def get_report(report_id: uuid.UUID, caller: Caller, conn: Connection) -> FieldReport:
    return _visible_report(report_id, caller, conn)


@router.get(
    "/{report_id}/photo",
    response_class=Response,
    responses={
        200: {
            "description": "The photo as sent (type sniffed from its bytes)",
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        404: {"description": "No such report, no photo, or the photo is past retention"},
    },
)
def get_photo(report_id: uuid.UUID, caller: Caller, conn: Connection, context: Context) -> Response:
    report = _visible_report(report_id, caller, conn)
    kind = report.photo_type
    data = context.reports.photos.read(report.id, kind) if kind is not None else None
    if kind is None or data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no photo for field report {report_id}")
    return Response(
        data,
        media_type=kind,
        headers={
            "Content-Disposition": f'inline; filename="report-{report.id}{suffix(kind)}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )
