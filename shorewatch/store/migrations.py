"""Versioned schema migrations, applied by `shorewatch migrate` and at every start.

Each migration runs once, in its own transaction, under an advisory lock so that several
processes starting together do not race. The storage layout (TimescaleDB or native partitions)
is chosen once, when the time-series tables are created, and recorded in `store_meta`.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from psycopg_pool import ConnectionPool

from shorewatch.config.site import StoreConfig
from shorewatch.store import timeseries
from shorewatch.store.timeseries import Conn

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Conn, StoreConfig], None]


def _sql_file(filename: str) -> Callable[[Conn, StoreConfig], None]:
    def apply(conn: Conn, _config: StoreConfig) -> None:
        text = (
            importlib.resources.files("shorewatch.store")
            .joinpath(f"migrations/{filename}")
            .read_text(encoding="utf-8")
        )
        conn.execute(text.encode())

    return apply


def _series_tables(conn: Conn, config: StoreConfig) -> None:
    timescale = timeseries.try_enable_timescale(conn)
    timeseries.create_series_tables(conn, timescale, config)
    mode = timeseries.MODE_TIMESCALE if timescale else timeseries.MODE_PARTITIONED
    conn.execute(
        "INSERT INTO store_meta (key, value) VALUES ('series_mode', %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (mode,),
    )


MIGRATIONS = (
    Migration(1, "relational tables and audit trail", _sql_file("0001_relational.sql")),
    Migration(2, "time-series tables", _series_tables),
    Migration(3, "watch list", _sql_file("0003_watchlist.sql")),
    Migration(4, "users and API keys", _sql_file("0004_auth.sql")),
    Migration(5, "patrol units and assignments", _sql_file("0005_units.sql")),
    Migration(6, "alert times, escalation, silences", _sql_file("0006_alert_noise.sql")),
    Migration(7, "field reports", _sql_file("0007_field_reports.sql")),
    Migration(12, "alert jurisdictions, silence lifts", _sql_file("0012_access_alert_areas.sql")),
    Migration(13, "learned receiver coverage", _sql_file("0013_receiver_coverage.sql")),
)


def migrate(pool: ConnectionPool, config: StoreConfig) -> list[int]:
    """Apply pending migrations; returns the versions applied now (empty when up to date)."""
    applied_now: list[int] = []
    with pool.connection() as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('shorewatch.migrate'))")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            conn.commit()
            done = {int(str(r[0])) for r in conn.execute("SELECT version FROM schema_migrations")}
            for migration in MIGRATIONS:
                if migration.version in done:
                    continue
                with conn.transaction():
                    migration.apply(conn, config)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
                applied_now.append(migration.version)
                log.info("migration applied", version=migration.version, name=migration.name)
            if series_mode_of(conn) == timeseries.MODE_TIMESCALE:
                with conn.transaction():
                    timeseries.apply_timescale_policies(conn, config)
            conn.commit()
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('shorewatch.migrate'))")
            conn.commit()
    return applied_now


def series_mode_of(conn: Conn) -> str:
    row = conn.execute("SELECT value FROM store_meta WHERE key = 'series_mode'").fetchone()
    return str(row[0]) if row else timeseries.MODE_PARTITIONED
