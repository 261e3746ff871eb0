"""Events as stored: upserted by id, so a closing re-publication updates its episode row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from psycopg.types.json import Jsonb

from shorewatch.config.site import StoreConfig
from shorewatch.events import Event
from shorewatch.store import timeseries
from shorewatch.store.timeseries import Conn

# Insert-or-update in two statements: `RETURNING xmax` cannot tell them apart on a partitioned
# table (PostgreSQL refuses system columns there).
INSERT = """
INSERT INTO events
    (id, kind, start, "end", lat, lon, targets, zone, facts, config_version, evidence)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id, start) DO NOTHING
RETURNING id
"""
UPDATE = """
UPDATE events SET "end" = %s, lat = %s, lon = %s, facts = %s, evidence = %s
WHERE id = %s AND start = %s
"""
# A batch of events as one JSON document (`jsonb_to_recordset`): one parameter whatever its
# size, so the statement's text (and its plan) is the same every time.
_RECORD = """id uuid, kind text, start timestamptz, "end" timestamptz, lat float8, lon float8,
    targets text[], zone text, facts jsonb, config_version text, evidence text[]"""
INSERT_MANY = f"""
INSERT INTO events (id, kind, start, "end", lat, lon, targets, zone, facts, config_version,
    evidence)
SELECT id, kind, start, "end", lat, lon, targets, zone, facts, config_version, evidence
FROM jsonb_to_recordset(%s) AS r ({_RECORD})
ON CONFLICT (id, start) DO NOTHING
RETURNING id, start
"""
UPDATE_MANY = f"""
UPDATE events e SET "end" = r."end", lat = r.lat, lon = r.lon, facts = r.facts,
    evidence = r.evidence
FROM jsonb_to_recordset(%s) AS r ({_RECORD})
WHERE e.id = r.id AND e.start = r.start
"""


class EventsRepo:
    def __init__(self, config: StoreConfig, series_mode: str) -> None:
        self._config = config
        self._partitioned = series_mode == timeseries.MODE_PARTITIONED

    def upsert(self, conn: Conn, event: Event) -> bool:
        """Returns True when the event is new, False when it updated a stored one."""
        if self._partitioned:
            start = timeseries.partition_start(event.start, self._config.partition_days)
            timeseries.ensure_partitions(conn, "events", {start}, self._config.partition_days)
        inserted = conn.execute(
            INSERT,
            (
                event.id,
                event.kind.value,
                event.start,
                event.end,
                event.lat,
                event.lon,
                list(event.targets),
                event.zone,
                Jsonb(event.facts),
                event.config_version,
                list(event.evidence),
            ),
        ).fetchone()
        if inserted:
            return True
        conn.execute(
            UPDATE,
            (
                event.end,
                event.lat,
                event.lon,
                Jsonb(event.facts),
                list(event.evidence),
                event.id,
                event.start,
            ),
        )
        return False

    def upsert_many(self, conn: Conn, events: Sequence[Event]) -> list[bool]:
        """`upsert` for each event in order, in two statements (one when all are new): per
        event, True when it made a new row. A repeat of an event id within the batch updates
        the row its first made, as it would one by one."""
        if not events:
            return []
        if self._partitioned:
            starts = timeseries.partition_starts(
                (e.start for e in events), self._config.partition_days
            )
            timeseries.ensure_partitions(conn, "events", starts, self._config.partition_days)
        first: dict[tuple[object, datetime], int] = {}
        for n, event in enumerate(events):
            first.setdefault((event.id, event.start), n)
        unique = [events[n] for n in first.values()]
        rows = conn.execute(INSERT_MANY, (Jsonb([_json_row(e) for e in unique]),)).fetchall()
        inserted = {(i, s) for i, s in rows}
        fresh = [
            first[(e.id, e.start)] == n and (e.id, e.start) in inserted
            for n, e in enumerate(events)
        ]
        latest: dict[tuple[object, datetime], Event] = {}
        for event, new in zip(events, fresh, strict=True):
            if not new:
                latest[(event.id, event.start)] = event  # the last update of a row wins
        if latest:
            conn.execute(UPDATE_MANY, (Jsonb([_json_row(e) for e in latest.values()]),))
        return fresh

    def list_for_alert(self, conn: Conn, event_ids: list[object]) -> list[Event]:
        rows = conn.execute(
            'SELECT id, kind, start, "end", lat, lon, targets, zone, facts, config_version, '
            "evidence FROM events WHERE id = ANY(%s) ORDER BY start",
            (event_ids,),
            prepare=False,  # planned per batch, as AlertsRepo.open_for_targets (why: there)
        ).fetchall()
        return [_event(r) for r in rows]

    def recent(self, conn: Conn, since: datetime, limit: int) -> list[Event]:
        rows = conn.execute(
            'SELECT id, kind, start, "end", lat, lon, targets, zone, facts, config_version, '
            "evidence FROM events WHERE start >= %s ORDER BY start DESC LIMIT %s",
            (since, limit),
        ).fetchall()
        return [_event(r) for r in rows]


def _json_row(event: Event) -> dict[str, object]:
    return event.model_dump(mode="json", exclude={"type", "schema_version"})


def _event(row: tuple[object, ...]) -> Event:
    keys = (
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
    return Event.model_validate(dict(zip(keys, row, strict=True)))


# The latest `sensor_offline` episode of each sensor: its `facts.sensor`, else the target
# `sensor:<id>` it names.
LATEST_OUTAGES = """
SELECT DISTINCT ON (sensor) sensor, start, "end" FROM (
    SELECT COALESCE(facts->>'sensor', substring(targets[1] from '^sensor:(.+)$')) AS sensor,
           start, "end"
    FROM events WHERE kind = 'sensor_offline'
) outages
WHERE sensor IS NOT NULL
ORDER BY sensor, start DESC
"""


def latest_outages(conn: Conn) -> dict[str, tuple[datetime, datetime | None]]:
    """Per sensor id, its latest outage (start, end); end None while it lasts."""
    found: dict[str, tuple[datetime, datetime | None]] = {}
    for sensor, start, end in conn.execute(LATEST_OUTAGES).fetchall():
        if isinstance(start, datetime):
            found[str(sensor)] = (start, end if isinstance(end, datetime) else None)
    return found
