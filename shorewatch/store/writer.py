"""Batched, idempotent writes of observations and vessel identities.

Rows are COPYed into a per-connection staging table and moved with ON CONFLICT DO NOTHING on
the natural key, so replaying the same input leaves exactly the same rows. A batch that fails
is retried, never dropped: accepted data is not lost while the database is briefly away.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date

import psycopg
import structlog
from psycopg_pool import ConnectionPool

from shorewatch.config.site import StoreConfig
from shorewatch.events import Observation, VesselStatic
from shorewatch.metrics import Metrics
from shorewatch.store import timeseries

log = structlog.get_logger(__name__)
OBS_COLUMNS = (
    "time",
    "source",
    "sensor_id",
    "target_ref",
    "lat",
    "lon",
    "sog_kn",
    "cog_deg",
    "heading_deg",
    "length_m",
    "label",
    "confidence",
    "bbox",
)
_COLS = ", ".join(OBS_COLUMNS)
VESSEL_UPSERT = """
INSERT INTO vessels (mmsi, imo, name, callsign, ship_type, length_m, beam_m, sensor_id, updated_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (mmsi) DO UPDATE SET
    imo = COALESCE(EXCLUDED.imo, vessels.imo), name = COALESCE(EXCLUDED.name, vessels.name),
    callsign = COALESCE(EXCLUDED.callsign, vessels.callsign),
    ship_type = COALESCE(EXCLUDED.ship_type, vessels.ship_type),
    length_m = COALESCE(EXCLUDED.length_m, vessels.length_m),
    beam_m = COALESCE(EXCLUDED.beam_m, vessels.beam_m),
    sensor_id = EXCLUDED.sensor_id, updated_at = GREATEST(EXCLUDED.updated_at, vessels.updated_at)
"""
Record = Observation | VesselStatic


def _obs_row(o: Observation) -> tuple[object, ...]:
    return (
        o.time,
        o.source.value,
        o.sensor_id,
        o.target_ref,
        o.lat,
        o.lon,
        o.sog_kn,
        o.cog_deg,
        o.heading_deg,
        o.length_m,
        o.label,
        o.confidence,
        list(o.bbox) if o.bbox else None,
    )


def _vessel_row(v: VesselStatic) -> tuple[object, ...]:
    return (
        v.mmsi,
        v.imo,
        v.name,
        v.callsign,
        v.ship_type,
        v.length_m,
        v.beam_m,
        v.sensor_id,
        v.time,
    )


class ObservationWriter:
    def __init__(
        self,
        pool: ConnectionPool,
        config: StoreConfig,
        metrics: Metrics,
        series_mode: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        queue_size: int = 100_000,
    ) -> None:
        self._pool = pool
        self._config = config
        self._metrics = metrics
        self._partitioned = series_mode == timeseries.MODE_PARTITIONED
        self._known_partitions: set[date] = set()
        self._clock = clock
        self._queue: queue.Queue[Record | None] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self.submitted = 0

    def submit(self, record: Record) -> None:
        """Blocks when the queue is full: back-pressure to the bus rather than dropping."""
        self._idle.clear()
        self._queue.put(record)
        self.submitted += 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """True once everything submitted so far is committed."""
        return self._idle.wait(timeout_s)

    def _run(self) -> None:
        batch: list[Record] = []
        deadline = self._clock() + self._config.flush_interval_s
        stopping = False
        while not stopping:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - self._clock()))
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            except queue.Empty:
                pass
            full = len(batch) >= self._config.batch_size
            if batch and (full or stopping or self._clock() >= deadline):
                self._write_with_retry(batch)
                batch = []
            if self._clock() >= deadline or not batch:
                deadline = self._clock() + self._config.flush_interval_s
            if not batch and self._queue.empty():
                self._idle.set()

    def _write_with_retry(self, batch: Sequence[Record]) -> None:
        delay = 0.5
        while True:
            try:
                self.write_batch(batch)
                return
            except psycopg.DataError as exc:
                # Not transient: retrying would stall every later batch behind this one.
                log.warning("batch refused by the database; writing it row by row", error=str(exc))
                self._write_each(batch)
                return
            except psycopg.Error as exc:
                self._known_partitions.clear()  # the failed transaction may not have made them
                log.error("store write failed; retrying", error=str(exc), rows=len(batch))
                time.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _write_each(self, batch: Sequence[Record]) -> None:
        """Keep every record the database accepts; count and log the ones it cannot hold."""
        for record in batch:
            try:
                self.write_batch([record])
            except psycopg.DataError as exc:
                self._metrics.store_rejected.labels(reason=type(exc).__name__).inc()
                log.error("record refused by the database", error=str(exc), record=repr(record))

    def write_batch(self, batch: Sequence[Record]) -> int:
        """Write one batch in one transaction; returns the number of new observation rows."""
        try:
            return self._write(batch)
        except psycopg.errors.CheckViolation:
            # A partition we created was dropped since (retention): forget and create again.
            self._known_partitions.clear()
            return self._write(batch)

    def _write(self, batch: Sequence[Record]) -> int:
        observations = [r for r in batch if isinstance(r, Observation)]
        vessels = [r for r in batch if isinstance(r, VesselStatic)]
        started = time.perf_counter()
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            inserted = 0
            if observations:
                if self._partitioned:
                    self._ensure_partitions(conn, observations)
                cur.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS obs_stage "
                    "(LIKE observations INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
                )
                with cur.copy(f"COPY obs_stage ({_COLS}) FROM STDIN") as copy:
                    for o in observations:
                        copy.write_row(_obs_row(o))
                cur.execute(
                    f"INSERT INTO observations ({_COLS}) SELECT {_COLS} FROM obs_stage "
                    "ON CONFLICT DO NOTHING"
                )
                inserted = max(cur.rowcount, 0)
            if vessels:
                cur.executemany(VESSEL_UPSERT, [_vessel_row(v) for v in vessels])
        self._metrics.store_batch_seconds.observe(time.perf_counter() - started)
        self._metrics.stored.labels(table="observations").inc(inserted)
        self._metrics.stored.labels(table="vessels").inc(len(vessels))
        return inserted

    def _ensure_partitions(
        self, conn: psycopg.Connection[tuple[object, ...]], rows: Sequence[Observation]
    ) -> None:
        days = self._config.partition_days
        starts = {timeseries.partition_start(o.time, days) for o in rows}
        missing = starts - self._known_partitions
        if missing:
            timeseries.ensure_partitions(conn, "observations", missing, days)
            self._known_partitions |= missing
