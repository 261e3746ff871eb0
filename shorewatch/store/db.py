"""Connection pool and the facts about the server that decide how tables are built."""

from __future__ import annotations

import psycopg
from psycopg_pool import ConnectionPool


class StoreError(RuntimeError):
    """The database could not be reached or is not in a usable state."""


def open_pool(
    dsn: str, *, max_size: int = 8, timeout_s: float = 10.0, name: str = "shorewatch"
) -> ConnectionPool:
    """A pool for one role (`name` tells them apart in logs); the service opens one per role
    it runs, sized in the site YAML's `store.pools`."""
    pool = ConnectionPool(
        dsn,
        min_size=1,
        max_size=max_size,
        open=False,
        timeout=timeout_s,
        kwargs={"autocommit": False},
        name=name,
    )
    try:
        pool.open(wait=True, timeout=timeout_s)
    except Exception as exc:
        pool.close()
        raise StoreError(f"cannot connect to PostgreSQL ({_redact(dsn)}): {exc}") from exc
    return pool


def timescale_available(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    return row is not None


def _redact(dsn: str) -> str:
    if "@" in dsn and "://" in dsn:
        scheme, rest = dsn.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return dsn
