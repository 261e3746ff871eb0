"""When the writer commits (group commit, issue 12), against real PostgreSQL: at once when the
queue runs dry, no more often than `commit_gap_s`, at once when a batch is full and for the
rest of a burst after it; and every record acknowledged only after its commit."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from psycopg_pool import ConnectionPool

from shorewatch.config.site import StoreConfig
from shorewatch.events import Observation, Source
from shorewatch.metrics import Metrics
from shorewatch.store.migrations import series_mode_of
from shorewatch.store.writer import ObservationWriter, Record

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


class RecordingWriter(ObservationWriter):
    """The real writer, noting when each transaction ran and which records it committed."""

    def __init__(self, pool: ConnectionPool, config: StoreConfig, mode: str) -> None:
        super().__init__(pool, config, Metrics(), mode)
        self.commits: list[tuple[float, float, int]] = []  # (began, committed, records)
        self.committed: set[str] = set()
        self._lock = threading.Lock()

    def write_batch(self, batch: Sequence[Record]) -> int:
        began = time.monotonic()
        inserted = super().write_batch(batch)
        with self._lock:
            self.commits.append((began, time.monotonic(), len(batch)))
            self.committed.update(r.target_ref for r in batch if isinstance(r, Observation))
        return inserted

    def was_committed(self, ref: str) -> bool:
        with self._lock:
            return ref in self.committed


@pytest.fixture
def pool(migrated_pool: ConnectionPool) -> ConnectionPool:
    return migrated_pool


def _writer(pool: ConnectionPool, config: StoreConfig) -> RecordingWriter:
    with pool.connection() as conn:
        mode = series_mode_of(conn)
    return RecordingWriter(pool, config, mode)


def _obs(i: int) -> Observation:
    return Observation(
        source=Source.AIS,
        sensor_id="rx",
        target_ref=str(i),
        time=T0 + timedelta(seconds=i),
        lat=58.0,
        lon=11.0,
    )


def _rows(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM observations").fetchone()
    return int(row[0]) if row else 0


def test_a_lone_record_commits_long_before_the_flush_interval(pool: ConnectionPool) -> None:
    """Nothing else waits: the record is committed and acknowledged at once, not after 5 s."""
    writer = _writer(pool, StoreConfig(flush_interval_s=5.0, commit_gap_s=0.05))
    writer.start()
    try:
        durable = threading.Event()
        submitted = time.monotonic()
        writer.submit(_obs(1), on_durable=durable.set)
        assert durable.wait(2.0), "the lone record waited for the flush interval"
        waited = time.monotonic() - submitted
        assert _rows(pool) == 1
    finally:
        writer.stop()
    assert waited < 2.0
    assert len(writer.commits) == 1


def test_a_trickle_commits_no_more_often_than_the_gap(pool: ConnectionPool) -> None:
    """One record every few milliseconds for a second: grouped into commits at least
    `commit_gap_s` apart, every record acknowledged, and only once it is committed."""
    gap = 0.1
    writer = _writer(pool, StoreConfig(flush_interval_s=1.0, commit_gap_s=gap, batch_size=1000))
    writer.start()
    acked: list[str] = []
    early: list[str] = []

    def acker(ref: str) -> Callable[[], None]:
        def on_durable() -> None:
            if not writer.was_committed(ref):
                early.append(ref)
            acked.append(ref)

        return on_durable

    count = 200
    try:
        started = time.monotonic()
        for i in range(count):
            writer.submit(_obs(i), on_durable=acker(str(i)))
            time.sleep(0.005)
        assert writer.wait_idle(10)
        elapsed = time.monotonic() - started
    finally:
        writer.stop()
    assert _rows(pool) == count
    assert sorted(acked, key=int) == [str(i) for i in range(count)]
    assert early == []
    commits = writer.commits
    assert sum(n for _, _, n in commits) == count
    # The gap runs from one commit to the start of the next; a 1 ms allowance for rounding.
    spacing = [b - prev_end for (_, prev_end, _), (b, _, _) in itertools.pairwise(commits)]
    assert min(spacing) >= gap - 0.001, spacing
    assert len(commits) <= elapsed / gap + 1
    assert len(commits) >= 3, "a trickle over a second is grouped by the gap, not the interval"


def test_a_full_batch_is_written_at_once_and_a_trickle_after_it_waits_out_the_gap(
    pool: ConnectionPool,
) -> None:
    """Right after a commit, a full batch still goes at once, and so does the partial batch
    that ends the burst after it (a burst's end is not a trickle); the next partial one waits
    for the gap (here as long as the flush interval) and is then committed without more
    input."""
    writer = _writer(pool, StoreConfig(flush_interval_s=2.0, commit_gap_s=2.0, batch_size=50))
    writer.start()
    try:
        first, second = threading.Event(), threading.Event()
        end_of_burst, trickle = threading.Event(), threading.Event()
        writer.submit_many([_obs(i) for i in range(50)], on_durable=first.set)
        assert first.wait(2.0)
        writer.submit_many([_obs(i) for i in range(50, 100)], on_durable=second.set)
        assert second.wait(1.5), "a full batch waited for the commit gap"
        writer.submit_many([_obs(i) for i in range(100, 110)], on_durable=end_of_burst.set)
        assert end_of_burst.wait(1.5), "the end of a burst waited for the commit gap"
        writer.submit_many([_obs(i) for i in range(110, 115)], on_durable=trickle.set)
        assert not trickle.wait(0.5), "a trickle was committed inside the commit gap"
        assert trickle.wait(5.0)
    finally:
        writer.stop()
    assert _rows(pool) == 115
    assert [n for _, _, n in writer.commits] == [50, 50, 10, 5]
