"""A detector that restarts warm (issue 12, item 6), on a real PostgreSQL: recent tracks and
open episodes are rebuilt from the store, so a restart neither forgets a vessel's history nor
re-raises or drops an episode."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from detectors.warm_start import warm_start
from detectors.worker import DetectorWorker
from shorewatch.config.site import SiteConfig, parse_config
from shorewatch.events import Event, Observation
from shorewatch.metrics import Metrics
from shorewatch.store.db import open_pool
from shorewatch.store.events_repo import EventsRepo
from shorewatch.store.migrations import migrate, series_mode_of
from shorewatch.store.writer import ObservationWriter
from shorewatch.zones import build_zones
from tests.detection import T0, run_straight

SITE = """
version: warm-1
zones:
  - id: restricted-a
    name: Restricted A
    kind: restricted
    polygon: [[11.40, 58.24], [11.44, 58.24], [11.44, 58.26], [11.40, 58.26], [11.40, 58.24]]
"""


@pytest.fixture
def store(dsn: str) -> Iterator[tuple[ConnectionPool, SiteConfig, str]]:
    site = parse_config(SITE, "site.yaml", Path())
    pool = open_pool(dsn)
    migrate(pool, site.store)
    with pool.connection() as conn:
        mode = series_mode_of(conn)
    yield pool, site, mode
    pool.close()


def crossing(mmsi: int, start_s: float, count: int) -> list[Observation]:
    """North through the zone at 22 kn from 58.233 (in at ~1.5 min, out past 58.263)."""
    return run_straight(
        mmsi,
        T0 + timedelta(seconds=start_s),
        58.233,
        11.42,
        sog=22,
        cog=0,
        every_s=30,
        count=count,
    )


def worker(site: SiteConfig, published: list[Event]) -> DetectorWorker:
    return DetectorWorker(site, build_zones(site), published.extend, Metrics())


def test_restart_rebuilds_tracks_and_neither_re_raises_nor_drops(
    store: tuple[ConnectionPool, SiteConfig, str],
) -> None:
    pool, site, mode = store
    repo = EventsRepo(site.store, mode)
    writer = ObservationWriter(pool, site.store, Metrics(), mode)
    # Before the crash: A crosses the zone (in and out); B is inside it. The recorder stored
    # every observation; the alerts role stored every event but A's close (lost in the crash).
    a, b = crossing(265000001, 0, 14), crossing(265000002, 60, 6)
    before = sorted([*a, *b], key=lambda o: o.time)
    first: list[Event] = []
    run = worker(site, first)
    for o in before:
        run.process_message(o)
    writer.write_batch(before)
    opened = [e for e in first if e.end is None]
    (lost_close,) = [e for e in first if e.end is not None]
    with pool.connection() as conn:
        for event in opened:
            repo.upsert(conn, event)
    assert {e.targets for e in opened} == {("ais:265000001",), ("ais:265000002",)}

    published: list[Event] = []
    restarted = worker(site, published)
    replayed = warm_start(restarted, pool, site.detectors, published.extend)
    assert replayed == len(before)
    assert published == [lost_close], "only what the store lacked is published again"
    b_track = restarted.fusion.get("ais:265000002")
    assert b_track is not None
    assert len(b_track.fixes) == 6, "the vessel's history is back"

    # B sails on out of the zone: its stored episode is closed under the same id, not re-raised.
    rest = crossing(265000002, 60, 14)[6:]
    for o in rest:
        restarted.process_message(o)
    b_events = [e for e in published[1:] if e.targets == ("ais:265000002",)]
    b_open = next(e for e in opened if e.targets == ("ais:265000002",))
    assert [(e.id, e.end is not None) for e in b_events] == [(b_open.id, True)]


def test_empty_store_starts_cold(store: tuple[ConnectionPool, SiteConfig, str]) -> None:
    pool, site, _ = store
    published: list[Event] = []
    assert warm_start(worker(site, published), pool, site.detectors, published.extend) == 0
    assert published == []
