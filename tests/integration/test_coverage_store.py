"""Learned receiver coverage kept in PostgreSQL (issue 13, item 2): what one detector learned
is flushed in batches and loaded by the next, so coverage survives a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from detectors.coverage_sync import CoverageSync
from shorewatch.config.site import SiteConfig, parse_config
from shorewatch.coverage import Cell, CoverageModel, LearnedCell
from shorewatch.store import coverage_repo
from shorewatch.store.db import open_pool
from shorewatch.store.migrations import migrate
from tests.detection import T0

SITE = """
version: cov-1
coverage:
  learned: {cell_deg: 0.05, min_reports: 3, min_cells: 1, flush_s: 5}
"""


@pytest.fixture
def store(dsn: str) -> Iterator[tuple[ConnectionPool, SiteConfig]]:
    site = parse_config(SITE, "site.yaml", Path())
    pool = open_pool(dsn)
    migrate(pool, site.store)
    try:
        yield pool, site
    finally:
        pool.close()


def test_learned_grid_round_trips_through_the_store(
    store: tuple[ConnectionPool, SiteConfig],
) -> None:
    pool, site = store
    first = CoverageModel(site.coverage)
    sync = CoverageSync(pool, first.grid, site.coverage.learned)
    for i in range(4):
        first.hear("rx-north", 58.11, 11.21, T0 + timedelta(seconds=10 * i))
    first.hear("rx-north", 58.31, 11.21, T0)
    first.hear("rx-south", -33.9, 151.2, T0)  # negative cells
    assert sync.flush() == 3
    assert sync.flush() == 0  # nothing new heard
    for i in range(2):  # more in a known cell: counts add up in the store
        first.hear("rx-north", 58.11, 11.21, T0 + timedelta(minutes=5, seconds=i))
    assert sync.flush() == 1

    restarted = CoverageModel(site.coverage)
    assert CoverageSync(pool, restarted.grid, site.coverage.learned).load() == 3
    by_cell = {
        (c.sensor_id, c.cell): c for r in ("rx-north", "rx-south") for c in restarted.grid.cells(r)
    }
    north = by_cell[("rx-north", Cell.of(58.11, 11.21, 0.05))]
    assert north == LearnedCell(
        "rx-north", Cell(1162, 224), 6, T0, T0 + timedelta(minutes=5, seconds=1)
    )
    assert by_cell[("rx-south", Cell.of(-33.9, 151.2, 0.05))].reports == 1
    assert restarted.receiver_covers("rx-north", 58.11, 11.21)
    assert not restarted.receiver_covers("rx-north", 58.31, 11.21)  # heard once only
    assert restarted.modelled() == ["rx-north"]


def test_other_cell_sizes_stay_apart(store: tuple[ConnectionPool, SiteConfig]) -> None:
    pool, _site = store
    delta = LearnedCell("rx", Cell(1162, 224), 7, T0, T0)
    with pool.connection() as conn:
        coverage_repo.add(conn, 0.05, [delta])
        coverage_repo.add(conn, 0.05, [delta])
    with pool.connection() as conn:
        assert coverage_repo.load(conn, 0.1) == []
        (row,) = coverage_repo.load(conn, 0.05)
    assert row.reports == 14


def test_a_failed_flush_keeps_its_counts(store: tuple[ConnectionPool, SiteConfig]) -> None:
    pool, site = store
    model = CoverageModel(site.coverage)
    sync = CoverageSync(pool, model.grid, site.coverage.learned)
    model.hear("rx", 58.11, 11.21, T0)
    with pool.connection() as conn:
        conn.execute("ALTER TABLE receiver_coverage RENAME TO receiver_coverage_away")
    with pytest.raises(Exception, match="receiver_coverage"):
        sync.flush()
    with pool.connection() as conn:
        conn.execute("ALTER TABLE receiver_coverage_away RENAME TO receiver_coverage")
    assert sync.flush() == 1


def test_the_periodic_flush_and_the_last_one_at_stop(
    store: tuple[ConnectionPool, SiteConfig],
) -> None:
    pool, site = store
    learned = site.coverage.learned.model_copy(update={"flush_s": 0.2})
    model = CoverageModel(site.coverage)
    sync = CoverageSync(pool, model.grid, learned)
    sync.start()
    try:
        model.hear("rx", 58.11, 11.21, T0)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _stored(pool):
            time.sleep(0.05)
        assert _stored(pool) == 1
        model.hear("rx", 58.11, 11.21, T0 + timedelta(seconds=1))
    finally:
        sync.stop()  # what was heard since the last flush is written at stop
    assert _stored(pool) == 2


def _stored(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        rows = coverage_repo.load(conn, 0.05)
    return sum(r.reports for r in rows)
