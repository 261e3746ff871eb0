"""Batched, idempotent writes of observations and vessel identities.

Idempotent on the natural key, so replaying the same input leaves exactly the same rows: a batch
is first COPYed straight into `observations` (in a savepoint); only when a row is already there
(a redelivery, a replay) does the batch go through a per-connection staging table and
ON CONFLICT DO NOTHING, which costs the database about twice as much. Duplicates within a batch
are dropped first, the first kept, as ON CONFLICT DO NOTHING would. A batch that fails is
retried, never dropped, and the bus message that carried it is acknowledged only after its COPY
commits: accepted data is not lost while the database or this process is away.
"""

from __future__ import annotations

import math
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
from shorewatch.store.transient import TRANSIENT

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
OBS_TYPES = (
    "timestamptz",
    "text",
    "text",
    "text",
    "float8",
    "float8",
    "float8",
    "float8",
    "float8",
    "float8",
    "text",
    "float8",
    "float8[]",
)
"""The binary COPY's wire types, column for column (the DDL is in store/timeseries.py)."""
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


def _first_of_each_key(observations: Sequence[Observation]) -> list[tuple[object, ...]]:
    """COPY rows, one per natural key (time, source, sensor, target: the row's first four
    columns), the first seen, as ON CONFLICT DO NOTHING keeps it."""
    rows: dict[tuple[object, ...], tuple[object, ...]] = {}
    for o in observations:
        row = _obs_row(o)
        rows.setdefault(row[:4], row)
    return list(rows.values())


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


Done = Callable[[], None]


class ObservationWriter:
    """Records in, committed rows out. `submit(..., on_durable=done)` calls `done` once the
    records are committed (the recorder acknowledges their bus message then). A transient
    failure is retried until the records are in or the writer stops; anything the database
    refuses for other reasons is written around, record by record, and counted. `stop()`
    returns within its timeout whatever the database does: what is not committed by then is
    simply never acknowledged, and the broker delivers it again to the next recorder."""

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
        self._expect_new = True  # the last batch met no stored row: try the straight COPY
        self._clock = clock
        self._queue: queue.Queue[tuple[Sequence[Record], Done | None]] = queue.Queue(
            maxsize=queue_size
        )
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self.submitted = 0

    def submit(self, record: Record, on_durable: Done | None = None) -> None:
        self.submit_many((record,), on_durable)

    def submit_many(self, records: Sequence[Record], on_durable: Done | None = None) -> None:
        """Blocks while the queue is full (back-pressure to the bus worker that calls it, never
        to paho's thread); gives up when the writer stops (`on_durable` is then never called)."""
        self._idle.clear()
        while not self._stopping.is_set():
            try:
                self._queue.put((records, on_durable), timeout=0.2)
            except queue.Full:
                continue
            self.submitted += len(records)
            return

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Writes what it holds if the database takes it at once; bounded either way."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            if self._thread.is_alive():
                log.warning("store writer still busy at shutdown; its records stay unacked")
            self._thread = None

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """True once everything submitted so far is committed."""
        return self._idle.wait(timeout_s)

    def _run(self) -> None:
        """Group commit: a batch is written once full, or once nothing more waits in the queue
        and `commit_gap_s` has passed since the last commit, so the tail of a burst is not left
        waiting out `flush_interval_s` (and its bus messages unacknowledged). The gap keeps a
        trickle of small messages from becoming a commit each; the interval bounds any wait.
        After a full batch the queue running dry is the end of a burst, not a trickle: what is
        left is written at once, and only the next partial batch waits out the gap."""
        batch: list[Record] = []
        dones: list[Done] = []
        interval = self._config.flush_interval_s
        gap = self._config.commit_gap_s
        began = 0.0  # when the batch's first record was taken
        last_commit = -math.inf
        wait_gap = gap  # since the last commit; none after a full batch (a burst's end)
        while not self._stopping.is_set():
            if batch:
                timeout = max(0.0, min(began + interval, last_commit + wait_gap) - self._clock())
            else:
                timeout = interval  # also how soon a stop() is noticed while idle
            try:
                records, done = self._queue.get(timeout=timeout)
            except queue.Empty:
                pass
            else:
                if not batch:
                    began = self._clock()
                batch.extend(records)
                if done is not None:
                    dones.append(done)
            if batch:
                now = self._clock()
                full = len(batch) >= self._config.batch_size
                if (
                    full
                    or now >= began + interval
                    or (now >= last_commit + wait_gap and self._queue.empty())
                ):
                    if not self._write_with_retry(batch):
                        return  # stopping: unacknowledged, redelivered after restart
                    last_commit = self._clock()
                    wait_gap = 0.0 if full else gap
                    for done in dones:
                        done()
                    batch, dones = [], []
            if not batch and self._queue.empty():
                self._idle.set()
        self._final_flush(batch, dones)

    def _final_flush(self, batch: list[Record], dones: list[Done]) -> None:
        """At stop: one attempt, no retries, for what is in hand and queued."""
        while True:
            try:
                records, done = self._queue.get_nowait()
            except queue.Empty:
                break
            batch.extend(records)
            if done is not None:
                dones.append(done)
        if not batch:
            return
        try:
            self.write_batch(batch)
        except Exception as exc:
            log.warning("store write at shutdown failed; left unacknowledged", error=str(exc))
            return
        for done in dones:
            done()

    def _write_with_retry(self, batch: Sequence[Record]) -> bool:
        """True once written (or written around); False when the writer stopped first."""
        delay = 0.5
        while True:
            try:
                self.write_batch(batch)
                return True
            except TRANSIENT as exc:
                self._known_partitions.clear()  # the failed transaction may not have made them
                self._metrics.store_retries.labels(stage="recorder", error=type(exc).__name__).inc()
                log.error("store write failed; retrying", error=str(exc), rows=len(batch))
                if self._stopping.wait(delay):
                    return False
                delay = min(delay * 2, 30.0)
            except Exception as exc:
                # Not transient: retrying would stall every later batch behind this one.
                self._known_partitions.clear()
                log.warning("batch refused by the database; writing it row by row", error=str(exc))
                return self._write_each(batch)

    def _write_each(self, batch: Sequence[Record]) -> bool:
        """Keep every record the database accepts; count and log the ones it cannot hold."""
        for record in batch:
            delay = 0.5
            while True:
                try:
                    self.write_batch([record])
                    break
                except TRANSIENT as exc:
                    self._known_partitions.clear()
                    self._metrics.store_retries.labels(
                        stage="recorder", error=type(exc).__name__
                    ).inc()
                    if self._stopping.wait(delay):
                        return False
                    delay = min(delay * 2, 30.0)
                except Exception as exc:
                    self._metrics.store_rejected.labels(reason=type(exc).__name__).inc()
                    log.error("record refused by the database", error=str(exc), record=repr(record))
                    break
        return True

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
            inserted = duplicates = 0
            if observations:
                if self._partitioned:
                    self._ensure_partitions(conn, observations)
                rows = _first_of_each_key(observations)
                inserted = self._insert_new(conn, cur, rows)
                duplicates = len(observations) - inserted
            if vessels:
                cur.executemany(VESSEL_UPSERT, [_vessel_row(v) for v in vessels])
        self._metrics.store_batch_seconds.observe(time.perf_counter() - started)
        self._metrics.stored.labels(table="observations").inc(inserted)
        self._metrics.store_duplicates.inc(duplicates)
        self._metrics.stored.labels(table="vessels").inc(len(vessels))
        return inserted

    def _insert_new(
        self,
        conn: psycopg.Connection[tuple[object, ...]],
        cur: psycopg.Cursor[tuple[object, ...]],
        rows: Sequence[tuple[object, ...]],
    ) -> int:
        """The rows not stored yet; returns how many. Straight in while batches are new; after a
        conflict, through the staging merge until a batch merges without one (redeliveries and
        replays come in runs: trying the straight path on each would pay for both)."""
        if self._expect_new:
            try:
                with conn.transaction():  # a savepoint: a conflict undoes only this COPY
                    self._copy(cur, "observations", rows)
                return len(rows)
            except psycopg.errors.UniqueViolation:
                self._expect_new = False
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS obs_stage "
            "(LIKE observations INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        self._copy(cur, "obs_stage", rows)
        cur.execute(
            f"INSERT INTO observations ({_COLS}) SELECT {_COLS} FROM obs_stage "
            "ON CONFLICT DO NOTHING"
        )
        inserted = max(cur.rowcount, 0)
        self._expect_new = inserted == len(rows)
        return inserted

    def _copy(
        self,
        cur: psycopg.Cursor[tuple[object, ...]],
        table: str,
        rows: Sequence[tuple[object, ...]],
    ) -> None:
        """Binary COPY: half the client CPU of text (no float and timestamp formatting)."""
        with cur.copy(f"COPY {table} ({_COLS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(OBS_TYPES)
            for row in rows:
                copy.write_row(row)

    def _ensure_partitions(
        self, conn: psycopg.Connection[tuple[object, ...]], rows: Sequence[Observation]
    ) -> None:
        days = self._config.partition_days
        starts = timeseries.partition_starts((o.time for o in rows), days)
        missing = starts - self._known_partitions
        if missing:
            timeseries.ensure_partitions(conn, "observations", missing, days)
            self._known_partitions |= missing
