"""The detector's learned coverage grid and the store: loaded at start, flushed in batches.

At start the detector loads every receiver's stored cells (of the configured cell size) before
it rebuilds or subscribes, so coverage learned over weeks is in force from the first message.
Every `coverage.learned.flush_s` (and at stop) what it heard since the last flush goes to the
store as one statement; a flush the database refuses is kept pending for the next one. Counts
are a measure of reception, not an audit: a message the broker redelivers after a crash may be
counted twice, which only makes its cell look a little better heard.
"""

from __future__ import annotations

import structlog
from psycopg_pool import ConnectionPool

from shorewatch.config.coverage import LearnedCoverageConfig
from shorewatch.coverage import LearnedGrid
from shorewatch.periodic import Periodic
from shorewatch.store import coverage_repo

log = structlog.get_logger(__name__)


class CoverageSync:
    def __init__(self, pool: ConnectionPool, grid: LearnedGrid, config: LearnedCoverageConfig):
        self._pool = pool
        self._grid = grid
        self._config = config
        self._job = Periodic("coverage-flush", config.flush_s, self.flush)

    def load(self) -> int:
        """The stored grid into the detector's; returns the number of cells loaded."""
        with self._pool.connection() as conn:
            rows = coverage_repo.load(conn, self._grid.cell_deg)
        loaded = self._grid.load(rows)
        log.info("receiver coverage loaded", cells=loaded, receivers=len(self._grid.receivers()))
        return loaded

    def flush(self) -> int:
        """Store what was heard since the last flush; returns the number of cells written."""
        deltas = self._grid.drain()
        if not deltas:
            return 0
        try:
            with self._pool.connection() as conn:
                coverage_repo.add(conn, self._grid.cell_deg, deltas)
        except Exception:
            self._grid.restore(deltas)
            raise
        return len(deltas)

    def start(self) -> None:
        if self._config.enabled:
            self._job.start()

    def stop(self) -> None:
        self._job.stop()
        try:
            self.flush()
        except Exception:
            log.exception("receiver coverage not flushed at stop")
