"""Periodic retention on plain PostgreSQL (TimescaleDB runs its own policies)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import structlog
from psycopg_pool import ConnectionPool

from shorewatch.config.site import StoreConfig
from shorewatch.store import timeseries

log = structlog.get_logger(__name__)


class RetentionJob:
    def __init__(
        self,
        pool: ConnectionPool,
        config: StoreConfig,
        clock: Callable[[], datetime],
        interval_s: float = 3600.0,
    ) -> None:
        self._pool = pool
        self._config = config
        self._clock = clock
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)

    def run_once(self) -> list[str]:
        with self._pool.connection() as conn, conn.transaction():
            dropped = timeseries.drop_expired_partitions(conn, self._config, self._clock())
        if dropped:
            log.info("retention dropped partitions", partitions=dropped)
        return dropped

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.run_once()
            except Exception:
                log.exception("retention run failed")
