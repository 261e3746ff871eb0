"""Events as the API searches them: by kind, target, zone, time and the caller's areas, newest
first, paged. The area is a condition of the query (`shorewatch/store/areas.py`), so a page
holds what the caller sees, however many events elsewhere come between."""

from __future__ import annotations

from datetime import datetime

from shorewatch.events import Event, EventKind
from shorewatch.store.areas import AreaFilter
from shorewatch.store.timeseries import Conn

COLUMNS = (
    "id",
    "kind",
    "start",
    "end",
    "lat",
    "lon",
    "targets",
    "zone",
    "facts",
    "config_version",
    "evidence",
)
_SELECT = "SELECT " + ", ".join(f'"{c}"' for c in COLUMNS) + " FROM events"


def search_events(
    conn: Conn,
    *,
    kinds: list[EventKind] | None = None,
    target: str | None = None,
    zone: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    area: AreaFilter | None = None,
) -> list[Event]:
    """Events whose start lies in [since, until); a bounded window lets the store skip whole
    partitions. `area`: only those located in the caller's areas (None: everywhere)."""
    clauses: list[str] = []
    params: list[object] = []
    if area is not None:
        clauses.append(area.condition())
        params.extend(area.params)
    if kinds:
        clauses.append("kind = ANY(%s)")
        params.append([k.value for k in kinds])
    if target is not None:
        clauses.append("%s = ANY(targets)")
        params.append(target)
    if zone is not None:
        clauses.append("zone = %s")
        params.append(zone)
    if since is not None:
        clauses.append("start >= %s")
        params.append(since)
    if until is not None:
        clauses.append("start < %s")
        params.append(until)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(
        f"{_SELECT}{where} ORDER BY start DESC, id LIMIT %s OFFSET %s", (*params, limit, offset)
    ).fetchall()
    return [_event(row) for row in rows]


def _event(row: tuple[object, ...]) -> Event:
    return Event.model_validate(dict(zip(COLUMNS, row, strict=True)))


def events_with_ids(conn: Conn, ids: list[object], area: AreaFilter | None) -> list[Event]:
    """The events with these ids (an alert's evidence) that `area` lets through, oldest first:
    an alert's detail shows a caller the events `/events` would show them."""
    clauses = ["id = ANY(%s)"]
    params: list[object] = [ids]
    if area is not None:
        clauses.append(area.condition())
        params.extend(area.params)
    rows = conn.execute(  # ties in time: in the order they joined the alert
        f"{_SELECT} WHERE {' AND '.join(clauses)} ORDER BY start, array_position(%s, id)",
        (*params, ids),
    ).fetchall()
    return [_event(row) for row in rows]
