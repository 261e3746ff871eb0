"""The store against real PostgreSQL: migrations, layout, idempotent writes, retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from shorewatch.config.site import StoreConfig
from shorewatch.events import Observation, Source, VesselStatic
from shorewatch.metrics import Metrics
from shorewatch.store import timeseries
from shorewatch.store.db import open_pool
from shorewatch.store.migrations import MIGRATIONS, migrate, series_mode_of
from shorewatch.store.writer import ObservationWriter, Record


@pytest.fixture
def pool(dsn: str) -> Iterator[ConnectionPool]:
    pool = open_pool(dsn)
    yield pool
    pool.close()


def _obs(mmsi: int, when: datetime, lat: float = 58.0) -> Observation:
    return Observation(
        source=Source.AIS,
        sensor_id="rx1",
        target_ref=str(mmsi),
        time=when,
        lat=lat,
        lon=11.5,
        sog_kn=12.5,
    )


def test_migrations_run_twice_and_record_versions(pool: ConnectionPool) -> None:
    assert migrate(pool, StoreConfig()) == [m.version for m in MIGRATIONS]
    assert migrate(pool, StoreConfig()) == []
    with pool.connection() as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
        mode = series_mode_of(conn)
        timescale = conn.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"
        ).fetchone()
    assert versions == [m.version for m in MIGRATIONS]
    assert mode == (timeseries.MODE_TIMESCALE if timescale else timeseries.MODE_PARTITIONED)
    print(f"store layout on this server: {mode}")


def test_writer_is_idempotent_and_partitions_follow_the_data(pool: ConnectionPool) -> None:
    migrate(pool, StoreConfig())
    with pool.connection() as conn:
        mode = series_mode_of(conn)
    writer = ObservationWriter(pool, StoreConfig(), Metrics(), mode)
    t0 = datetime(2010, 6, 11, 11, 46, tzinfo=UTC)
    batch: list[Record] = [_obs(100 + i, t0 + timedelta(hours=10 * i)) for i in range(6)]
    batch.append(VesselStatic(sensor_id="rx1", time=t0, mmsi=100, name="FIRST"))
    assert writer.write_batch(batch) == 6
    assert writer.write_batch(batch) == 0, "the same input twice must add no rows"
    later = VesselStatic(sensor_id="rx1", time=t0 + timedelta(minutes=1), mmsi=100, callsign="SABC")
    writer.write_batch([later])
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM observations").fetchone() == (6,)
        assert conn.execute("SELECT name, callsign FROM vessels WHERE mmsi = 100").fetchone() == (
            "FIRST",
            "SABC",
        ), "partial static reports merge, they do not erase"
        if mode == timeseries.MODE_PARTITIONED:
            names = [n for n, _ in timeseries.list_partitions(conn, "observations")]
            # 6 reports 10 h apart span 2010-06-11 11:46 .. 2010-06-13 13:46: three days.
            assert names == [
                "observations_p20100611",
                "observations_p20100612",
                "observations_p20100613",
            ]


def test_partition_retention_drops_only_expired(pool: ConnectionPool) -> None:
    migrate(pool, StoreConfig())
    with pool.connection() as conn:
        if series_mode_of(conn) != timeseries.MODE_PARTITIONED:
            pytest.skip(
                "this server has TimescaleDB: retention is its policy "
                "(test_timescale_hypertables_compression_and_retention covers it)"
            )
    config = StoreConfig(retention_days=30)
    writer = ObservationWriter(pool, config, Metrics(), timeseries.MODE_PARTITIONED)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    writer.write_batch(
        [
            _obs(1, now - timedelta(days=45)),
            _obs(2, now - timedelta(days=31)),
            _obs(3, now - timedelta(days=29)),
            _obs(4, now),
        ]
    )
    with pool.connection() as conn, conn.transaction():
        dropped = timeseries.drop_expired_partitions(conn, config, now)
    assert sorted(dropped) == ["observations_p20261009", "observations_p20261023"]
    with pool.connection() as conn:
        left = [
            r[0] for r in conn.execute("SELECT target_ref FROM observations ORDER BY target_ref")
        ]
    assert left == ["3", "4"]
    writer.write_batch([_obs(5, now - timedelta(days=31))])  # a late report re-creates its day


@pytest.mark.timescale
def test_timescale_hypertables_compression_and_retention(pool: ConnectionPool) -> None:
    """Runs where the server offers TimescaleDB (preloaded); says so where it does not."""
    config = StoreConfig(retention_days=30, compress_after_days=7)
    migrate(pool, config)
    with pool.connection() as conn:
        if series_mode_of(conn) != timeseries.MODE_TIMESCALE:
            pytest.skip("TimescaleDB is not available on this server: plain partitions in use")
    writer = ObservationWriter(pool, config, Metrics(), timeseries.MODE_TIMESCALE)
    now = datetime.now(UTC)
    batch: list[Record] = [_obs(i, now - timedelta(days=d)) for i, d in enumerate((45, 31, 8, 0))]
    assert writer.write_batch(batch) == 4
    assert writer.write_batch(batch) == 0, "idempotent on a hypertable too"
    with pool.connection() as conn:
        hypertables = {
            r[0]
            for r in conn.execute(
                "SELECT hypertable_name FROM timescaledb_information.hypertables "
                "WHERE compression_enabled"
            )
        }
        assert {t.name for t in timeseries.SERIES_TABLES} <= hypertables
        jobs = {
            (r[0], r[1], str(r[2]))
            for r in conn.execute(
                "SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs "
                "WHERE hypertable_name = 'observations'"
            )
        }
        assert any(j[0] == "policy_retention" and "30 days" in j[2] for j in jobs)
        assert any(j[0] == "policy_compression" and "7 days" in j[2] for j in jobs)
        job = conn.execute(
            "SELECT job_id FROM timescaledb_information.jobs "
            "WHERE proc_name = 'policy_retention' AND hypertable_name = 'observations'"
        ).fetchone()
        assert job is not None
        conn.execute("CALL run_job(%s)", (job[0],))
        conn.commit()
        left = [r[0] for r in conn.execute("SELECT target_ref FROM observations ORDER BY 1")]
        assert left == ["2", "3"], "the retention policy drops chunks past 30 days"
    print("store layout: timescale (hypertables, compression and retention policies verified)")


def test_audit_trail_refuses_edits(pool: ConnectionPool) -> None:
    migrate(pool, StoreConfig())
    with pool.connection() as conn:
        conn.execute("""INSERT INTO alerts VALUES ('00000000-0000-0000-0000-000000000001',
            'zone_entry', 'ais:1', 50, 'yellow', '[]', 'new', 58, 11, NULL, NULL,
            ARRAY['00000000-0000-0000-0000-000000000002']::uuid[], 1, now(), now(), NULL)""")
        conn.execute(
            "INSERT INTO alert_history (alert_id, actor, action, to_state) VALUES "
            "('00000000-0000-0000-0000-000000000001', 'system', 'created', 'new')"
        )
        conn.commit()
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("UPDATE alert_history SET note = 'rewritten'")
        conn.rollback()
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("DELETE FROM alert_history")


def test_a_record_the_database_refuses_does_not_stall_the_writer(pool: ConnectionPool) -> None:
    """A value PostgreSQL cannot hold (NUL in text) is counted and logged; its batch-mates and
    every later batch are stored, instead of the batch being retried forever."""
    migrate(pool, StoreConfig())
    with pool.connection() as conn:
        mode = series_mode_of(conn)
    metrics = Metrics()
    writer = ObservationWriter(pool, StoreConfig(flush_interval_s=0.05), metrics, mode)
    writer.start()
    try:
        t0 = datetime(2026, 11, 20, 12, tzinfo=UTC)
        poison = _obs(2, t0).model_copy(update={"label": "bad\x00label"})
        for record in (_obs(1, t0), poison, _obs(3, t0)):
            writer.submit(record)
        assert writer.wait_idle(10)
        writer.submit(_obs(4, t0))
        assert writer.wait_idle(10)
    finally:
        writer.stop()
    with pool.connection() as conn:
        refs = [r[0] for r in conn.execute("SELECT target_ref FROM observations ORDER BY 1")]
    assert refs == ["1", "3", "4"]
    # Binary COPY: the server refuses the NUL (a DataError), not psycopg's text escaping.
    assert (
        metrics.registry.get_sample_value(
            "shorewatch_store_rejected_total", {"reason": "CharacterNotInRepertoire"}
        )
        == 1
    )
