"""Rows already stored, against real PostgreSQL: the writer COPYs a new batch straight into
`observations` and falls back to the staging merge (ON CONFLICT DO NOTHING) only when a row is
already there. Either way each observation is stored once, the first of a key kept, and the
duplicates counted; after a conflict the merge is used until a batch merges without one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg_pool import ConnectionPool

from shorewatch.config.site import StoreConfig
from shorewatch.events import Observation, Source
from shorewatch.metrics import Metrics
from shorewatch.store.migrations import series_mode_of
from shorewatch.store.writer import ObservationWriter

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


class TableNotingWriter(ObservationWriter):
    """The real writer, noting the table each COPY went to (the path a batch took)."""

    def __init__(self, pool: ConnectionPool, metrics: Metrics) -> None:
        with pool.connection() as conn:
            mode = series_mode_of(conn)
        super().__init__(pool, StoreConfig(), metrics, mode)
        self.copies: list[str] = []

    def _copy(
        self,
        cur: psycopg.Cursor[tuple[object, ...]],
        table: str,
        rows: Sequence[tuple[object, ...]],
    ) -> None:
        self.copies.append(table)
        super()._copy(cur, table, rows)


def _obs(n: int, lat: float = 58.0) -> Observation:
    return Observation(
        source=Source.AIS,
        sensor_id="rx",
        target_ref=str(200_000_000 + n),
        time=T0 + timedelta(seconds=n),
        lat=lat,
        lon=11.0,
    )


def _stored(pool: ConnectionPool) -> dict[str, float]:
    with pool.connection() as conn:
        rows = conn.execute("SELECT target_ref, lat FROM observations").fetchall()
    assert len(rows) == len({ref for ref, _ in rows}), "a key stored twice"
    return {ref: lat for ref, lat in rows}


def test_a_redelivered_batch_mixed_with_new_rows_adds_only_the_new(
    migrated_pool: ConnectionPool,
) -> None:
    metrics = Metrics()
    writer = TableNotingWriter(migrated_pool, metrics)
    first = [_obs(n) for n in range(10)]
    assert writer.write_batch(first) == 10
    # Half of it again (a redelivery after a crash), with other values, and five new ones.
    again = [_obs(n, lat=10.0) for n in range(5, 10)] + [_obs(n) for n in range(10, 15)]
    assert writer.write_batch(again) == 5
    stored = _stored(migrated_pool)
    assert sorted(stored) == sorted({o.target_ref for o in first + again})
    assert all(lat == 58.0 for lat in stored.values()), "a stored row is never overwritten"
    assert metrics.store_duplicates._value.get() == 5
    assert writer.copies == ["observations", "observations", "obs_stage"]


def test_duplicates_within_one_batch_keep_the_first(migrated_pool: ConnectionPool) -> None:
    metrics = Metrics()
    writer = TableNotingWriter(migrated_pool, metrics)
    batch = [_obs(1, lat=1.0), _obs(2), _obs(1, lat=2.0), _obs(3), _obs(1, lat=3.0)]
    assert writer.write_batch(batch) == 3
    assert _stored(migrated_pool)[_obs(1).target_ref] == 1.0
    assert metrics.store_duplicates._value.get() == 2
    assert writer.copies == ["observations"], "in-batch duplicates need no merge"


def test_after_a_conflict_batches_merge_until_one_meets_no_stored_row(
    migrated_pool: ConnectionPool,
) -> None:
    writer = TableNotingWriter(migrated_pool, Metrics())
    writer.write_batch([_obs(n) for n in range(3)])
    writer.write_batch([_obs(n) for n in range(2, 6)])  # one stored: merged
    writer.write_batch([_obs(n) for n in range(5, 8)])  # one stored: merged again
    writer.write_batch([_obs(n) for n in range(8, 10)])  # none stored, merged
    writer.write_batch([_obs(n) for n in range(10, 12)])  # straight in again
    assert writer.copies == [
        "observations",
        "observations",  # refused: a row was there
        "obs_stage",
        "obs_stage",
        "obs_stage",
        "observations",
    ]
    assert sorted(_stored(migrated_pool)) == sorted(_obs(n).target_ref for n in range(12))
