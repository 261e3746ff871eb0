"""Periodic retention on plain PostgreSQL (TimescaleDB runs its own policies), and whether its
last run failed: the process reports that in its heartbeat, so health names it as it names a
failing TimescaleDB job."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import structlog
from psycopg_pool import ConnectionPool

from shorewatch.config.site import StoreConfig
from shorewatch.events import ProcessProblem
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
        self._failure: str | None = None

    def run_recorded(self) -> None:
        """One run whose failure is kept (and logged) rather than raised, until one succeeds."""
        try:
            self.run_once()
        except Exception as exc:
            log.exception("retention run failed")
            self._failure = f"{type(exc).__name__}: {exc}"[:500]
        else:
            self._failure = None

    def problems(self) -> list[ProcessProblem]:
        """For the heartbeat: the last run's error while retention is failing."""
        failure = self._failure
        return [] if failure is None else [ProcessProblem(name="retention_job", detail=failure)]

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
            self.run_recorded()
