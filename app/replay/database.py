"""`replay --db`: the replayed observations and events into the store, as the live run would.

Uses the recorder's writer and the events repository unchanged: both are idempotent on their
natural keys (observation key, event id), so replaying the same data again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType

from shorewatch.config.site import SiteConfig
from shorewatch.events import Event, Observation, VesselStatic
from shorewatch.metrics import Metrics
from shorewatch.store.db import open_pool
from shorewatch.store.events_repo import EventsRepo
from shorewatch.store.migrations import migrate, series_mode_of
from shorewatch.store.writer import ObservationWriter

Record = Observation | VesselStatic


class ReplayStore:
    """Migrates on open; observations go in batches of `store.batch_size`, events at the end."""

    def __init__(self, dsn: str, site: SiteConfig) -> None:
        self._pool = open_pool(dsn, max_size=2)
        try:
            migrate(self._pool, site.store)
            with self._pool.connection() as conn:
                mode = series_mode_of(conn)
        except BaseException:
            self._pool.close()
            raise
        self._writer = ObservationWriter(self._pool, site.store, Metrics(), mode)
        self._events = EventsRepo(site.store, mode)
        self._batch: list[Record] = []
        self._batch_size = max(site.store.batch_size, 1000)
        self.observations_written = 0
        self.events_written = 0

    def record(self, message: object) -> None:
        if isinstance(message, Observation | VesselStatic):
            self._batch.append(message)
            if len(self._batch) >= self._batch_size:
                self.flush()

    def flush(self) -> None:
        if self._batch:
            self.observations_written += self._writer.write_batch(self._batch)
            self._batch = []

    def store_events(self, events: Iterable[Event]) -> None:
        """One transaction: a replay's events land together or not at all."""
        self.flush()
        with self._pool.connection() as conn, conn.transaction():
            for event in events:
                self._events.upsert(conn, event)
                self.events_written += 1

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> ReplayStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
