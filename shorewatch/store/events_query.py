"""Events as the API searches them: by kind, target, zone and time, newest first, paged."""

from __future__ import annotations

from datetime import datetime

from shorewatch.events import Event, EventKind
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
) -> list[Event]:
    """Events whose start lies in [since, until); a bounded window lets the store skip whole
    partitions."""
    clauses: list[str] = []
    params: list[object] = []
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
    return [Event.model_validate(dict(zip(COLUMNS, row, strict=True))) for row in rows]
