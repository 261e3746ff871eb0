"""Events as stored: upserted by id, so a closing re-publication updates its episode row."""

from __future__ import annotations

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

    def list_for_alert(self, conn: Conn, event_ids: list[object]) -> list[Event]:
        rows = conn.execute(
            'SELECT id, kind, start, "end", lat, lon, targets, zone, facts, config_version, '
            "evidence FROM events WHERE id = ANY(%s) ORDER BY start",
            (event_ids,),
        ).fetchall()
        return [_event(r) for r in rows]

    def recent(self, conn: Conn, since: datetime, limit: int) -> list[Event]:
        rows = conn.execute(
            'SELECT id, kind, start, "end", lat, lon, targets, zone, facts, config_version, '
            "evidence FROM events WHERE start >= %s ORDER BY start DESC LIMIT %s",
            (since, limit),
        ).fetchall()
        return [_event(r) for r in rows]


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
