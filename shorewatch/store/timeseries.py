"""Time-series tables: hypertables with TimescaleDB, native range partitions without it.

Both layouts keep the same columns, keys and retention, so the rest of the code never asks
which one it is talking to; only this module and the maintenance job do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg
import structlog
from psycopg import sql

from shorewatch.config.site import StoreConfig

Conn = psycopg.Connection[tuple[object, ...]]
MODE_TIMESCALE = "timescale"
MODE_PARTITIONED = "partitioned"


@dataclass(frozen=True)
class SeriesTable:
    name: str
    time_column: str
    columns: str
    key: str
    segment_by: str


SERIES_TABLES = (
    SeriesTable(
        "observations",
        "time",
        """time timestamptz NOT NULL, source text NOT NULL, sensor_id text NOT NULL,
        target_ref text NOT NULL, lat double precision NOT NULL, lon double precision NOT NULL,
        sog_kn double precision, cog_deg double precision, heading_deg double precision,
        length_m double precision, label text, confidence double precision,
        bbox double precision[], received_at timestamptz NOT NULL DEFAULT now()""",
        "source, sensor_id, target_ref, time",
        "source, sensor_id, target_ref",
    ),
    SeriesTable(
        "events",
        "start",
        """id uuid NOT NULL, kind text NOT NULL, start timestamptz NOT NULL, "end" timestamptz,
        lat double precision NOT NULL, lon double precision NOT NULL, targets text[] NOT NULL,
        zone text, facts jsonb NOT NULL, config_version text NOT NULL,
        evidence text[] NOT NULL DEFAULT '{}', recorded_at timestamptz NOT NULL DEFAULT now()""",
        "id, start",
        "kind",
    ),
    SeriesTable(
        "unit_positions",
        "time",
        """time timestamptz NOT NULL, unit_id text NOT NULL, lat double precision NOT NULL,
        lon double precision NOT NULL, sog_kn double precision, cog_deg double precision""",
        "unit_id, time",
        "unit_id",
    ),
)
log = structlog.get_logger(__name__)
TABLES_BY_NAME = {t.name: t for t in SERIES_TABLES}


def try_enable_timescale(conn: Conn) -> bool:
    """Create the extension if the server offers it; a server without it is not an error."""
    available = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    if available is None:
        return False
    preload = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()
    if preload is None or "timescaledb" not in str(preload[0]):
        # Installed but not preloaded: CREATE EXTENSION would end the session with a FATAL.
        log.warning(
            "timescaledb is installed but not in shared_preload_libraries; using plain partitions"
        )
        return False
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except psycopg.Error:
        return False  # offered but not preloaded (shared_preload_libraries): run without it
    return True


def create_series_tables(conn: Conn, timescale: bool, config: StoreConfig) -> None:
    for table in SERIES_TABLES:
        ident = sql.Identifier(table.name)
        body = sql.SQL(table.columns + ", PRIMARY KEY (" + table.key + ")")
        if timescale:
            conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(ident, body))
            conn.execute(
                "SELECT create_hypertable(%s, %s, chunk_time_interval => %s, "
                "if_not_exists => TRUE)",
                (table.name, table.time_column, timedelta(days=config.partition_days)),
            )
            conn.execute(
                sql.SQL(
                    "ALTER TABLE {} SET (timescaledb.compress, "
                    "timescaledb.compress_segmentby = {}, timescaledb.compress_orderby = {})"
                ).format(
                    ident, sql.Literal(table.segment_by), sql.Literal(f"{table.time_column} DESC")
                )
            )
        else:
            conn.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} ({}) PARTITION BY RANGE ({})").format(
                    ident, body, sql.Identifier(table.time_column)
                )
            )
    if timescale:
        conn.execute("""
            CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_hourly
            WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
            SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, source,
                   floor(lat * 10) / 10 AS cell_lat, floor(lon * 10) / 10 AS cell_lon,
                   count(*) AS reports, count(DISTINCT target_ref) AS targets
            FROM observations GROUP BY 1, 2, 3, 4 WITH NO DATA""")


def apply_timescale_policies(conn: Conn, config: StoreConfig) -> None:
    """Re-applied at every start, so a changed retention in YAML takes effect."""
    for table in SERIES_TABLES:
        conn.execute("SELECT remove_compression_policy(%s, if_exists => TRUE)", (table.name,))
        conn.execute("SELECT remove_retention_policy(%s, if_exists => TRUE)", (table.name,))
        conn.execute(
            "SELECT add_compression_policy(%s, %s)",
            (table.name, timedelta(days=config.compress_after_days)),
        )
        conn.execute(
            "SELECT add_retention_policy(%s, %s)",
            (table.name, timedelta(days=config.retention_days)),
        )
    conn.execute("SELECT remove_continuous_aggregate_policy('traffic_hourly', if_exists => TRUE)")
    conn.execute(
        "SELECT add_continuous_aggregate_policy('traffic_hourly', start_offset => %s, "
        "end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes')",
        (timedelta(days=config.compress_after_days),),
    )


def partition_name(table: str, day: date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def partition_start(moment: datetime, partition_days: int) -> date:
    """Partitions are aligned on multiples of `partition_days` since the Unix epoch."""
    return _aligned(moment.astimezone(UTC).date(), partition_days)


def partition_starts(moments: Iterable[datetime], partition_days: int) -> set[date]:
    """`partition_start` of each, for a batch of rows: their distinct moments first (rows come
    many to a second: hashing one is a fifth of converting it), then their distinct UTC days,
    then the arithmetic once per day rather than once per row."""
    days = {m.astimezone(UTC).date() for m in set(moments)}
    return {_aligned(day, partition_days) for day in days}


def _aligned(day: date, partition_days: int) -> date:
    days = (day - date(1970, 1, 1)).days
    return date(1970, 1, 1) + timedelta(days=days - days % partition_days)


def ensure_partitions(conn: Conn, table: str, starts: set[date], partition_days: int) -> None:
    """Create missing partitions; concurrent writers serialise on an advisory lock."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('shorewatch.partitions'))")
    for start in sorted(starts):
        end = start + timedelta(days=partition_days)
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})"
            ).format(
                sql.Identifier(partition_name(table, start)),
                sql.Identifier(table),
                sql.Literal(f"{start.isoformat()} 00:00:00+00"),
                sql.Literal(f"{end.isoformat()} 00:00:00+00"),
            )
        )


def list_partitions(conn: Conn, table: str) -> list[tuple[str, date]]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY c.relname",
        (table,),
    ).fetchall()
    found = []
    for (name,) in rows:
        stamp = str(name).rsplit("_p", 1)[-1]
        if len(stamp) == 8 and stamp.isdigit():
            found.append((str(name), date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))))
    return found


def drop_expired_partitions(conn: Conn, config: StoreConfig, now: datetime) -> list[str]:
    """Retention without TimescaleDB: drop whole partitions that end before the horizon."""
    horizon = now.astimezone(UTC).date() - timedelta(days=config.retention_days)
    dropped = []
    for table in SERIES_TABLES:
        for name, start in list_partitions(conn, table.name):
            if start + timedelta(days=config.partition_days) <= horizon:
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
                dropped.append(name)
    return dropped
