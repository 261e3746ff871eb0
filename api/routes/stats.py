"""Statistics per jurisdiction for the caller's areas: alert counts by level and outcome, and
median / 90th-percentile time to acknowledge, dispatch and resolve (`shorewatch/store/
stats_repo.py` says how each is measured)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Caller, Connection
from api.params import IsoDateTime
from api.windows import time_window
from shorewatch.store.stats_repo import Stats, alert_stats

router = APIRouter(prefix="/stats", tags=["stats"])
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=366)


@router.get(
    "",
    response_model=Stats,
    responses={422: {"description": "Invalid window (start not before end, or over a year)"}},
)
def get_stats(
    caller: Caller,
    conn: Connection,
    start: Annotated[
        IsoDateTime | None,
        Query(description="Alerts created at or after; default 30 days before end."),
    ] = None,
    end: Annotated[
        IsoDateTime | None, Query(description="Alerts created before; default now.")
    ] = None,
) -> Stats:
    since, until = time_window(
        start, end, now=datetime.now(UTC), default=DEFAULT_WINDOW, longest=MAX_WINDOW
    )
    return alert_stats(conn, since, until, areas=caller.areas)
