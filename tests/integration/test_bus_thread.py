"""Issue 15, defect 5: a slow consumer never blocks paho's network thread, and the store writer
shuts down in bounded time and survives every kind of refusal (real Mosquitto, PostgreSQL)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from psycopg_pool import ConnectionPool

from shorewatch.bus import Bus
from shorewatch.config.site import StoreConfig
from shorewatch.events import Message, Observation, Source
from shorewatch.metrics import Metrics
from shorewatch.store.db import open_pool
from shorewatch.store.migrations import migrate, series_mode_of
from shorewatch.store.writer import ObservationWriter
from shorewatch.topics import Topics

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _obs(ref: int) -> Observation:
    return Observation(
        source=Source.AIS, sensor_id="rx", target_ref=str(ref), time=T0, lat=58.0, lon=11.0
    )


def test_a_stuck_handler_does_not_stall_the_network_thread(mqtt_url: str, topic_root: str) -> None:
    """One subscriber of a filter is stuck (a store that hangs); the other keeps receiving, our
    own publishes are still acknowledged and the connection stays up past its keep-alive."""
    topics = Topics(topic_root)
    stuck = threading.Event()
    fast: queue.Queue[Message] = queue.Queue()
    bus = Bus(mqtt_url, "stuck-test", topics, Metrics(), queue_size=5, keepalive_s=2)
    bus.connect()
    try:

        def hang(_message: Message) -> None:
            stuck.wait(60)

        bus.subscribe(topics.all_obs, hang)
        bus.subscribe(topics.all_obs, fast.put)
        time.sleep(0.3)
        sent = 50
        for i in range(sent):
            bus.publish(topics.obs(Source.AIS, "rx"), _obs(i))
        deadline = time.monotonic() + 15
        while fast.qsize() < sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fast.qsize() == sent, "the other subscriber starved behind the stuck one"
        probe = bus.publish(topics.status("probe"), _obs(-1))
        probe.wait_for_publish(5)
        assert probe.is_published(), "publish acknowledgements stopped"
        time.sleep(5)  # more than two keep-alive periods
        assert bus.connected
    finally:
        stuck.set()
        bus.close()


@pytest.fixture
def pool(dsn: str) -> Iterator[ConnectionPool]:
    pool = open_pool(dsn, timeout_s=2)
    migrate(pool, StoreConfig())
    yield pool
    pool.close()


def test_writer_stop_is_bounded_while_the_store_refuses(pool: ConnectionPool) -> None:
    """The table is gone (the store refuses every write) and the writer's queue is full:
    stop() still returns promptly, leaving the unwritten records unacknowledged."""
    with pool.connection() as conn:
        mode = series_mode_of(conn)
        conn.execute("ALTER TABLE observations RENAME TO observations_away")
    writer = ObservationWriter(
        pool, StoreConfig(flush_interval_s=0.05, batch_size=2), Metrics(), mode, queue_size=2
    )
    writer.start()

    def feed() -> None:
        for i in range(10):
            writer.submit(_obs(i))

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    time.sleep(1)
    stopper = threading.Thread(target=writer.stop)
    started = time.monotonic()
    stopper.start()
    stopper.join(15)
    assert not stopper.is_alive(), "stop() hung while the writer retried"
    assert time.monotonic() - started < 10


def test_writer_counts_refusals_that_are_not_data_errors(pool: ConnectionPool) -> None:
    """A record that breaks a constraint (NOT NULL: an integrity error, not a DataError) is
    counted and written around; its batch-mates and later batches are stored."""
    with pool.connection() as conn:
        mode = series_mode_of(conn)
    metrics = Metrics()
    writer = ObservationWriter(pool, StoreConfig(flush_interval_s=0.05), metrics, mode)
    writer.start()
    try:
        poison = Observation.model_construct(**{**_obs(2).model_dump(), "lat": None})
        for record in (_obs(1), poison, _obs(3)):
            writer.submit(record)
        assert writer.wait_idle(10)
        writer.submit(_obs(4))
        assert writer.wait_idle(10)
    finally:
        writer.stop()
    with pool.connection() as conn:
        refs = [r[0] for r in conn.execute("SELECT target_ref FROM observations ORDER BY 1")]
    assert refs == ["1", "3", "4"]
    assert (
        metrics.registry.get_sample_value(
            "shorewatch_store_rejected_total", {"reason": "NotNullViolation"}
        )
        == 1
    )


def test_a_message_is_acknowledged_after_what_its_handler_published(
    mqtt_url: str, topic_root: str
) -> None:
    """The detector's rule: an observation is acknowledged only once the events its handler
    published are acknowledged by the broker. Here the handler publishes through a second
    connection that is not up yet: the observation stays unacknowledged until it is."""
    topics = Topics(topic_root)
    metrics = Metrics()
    handled = threading.Event()
    inbox = Bus(mqtt_url, "inbox", topics, metrics)
    outbox = Bus(mqtt_url, "outbox", topics, Metrics())

    def handle(message: Message) -> None:
        outbox.publish(topics.status("derived"), message)
        handled.set()

    inbox.subscribe(topics.all_obs, handle)
    inbox.connect()
    try:
        time.sleep(0.3)
        inbox.publish(topics.obs(Source.AIS, "rx"), _obs(1))
        assert handled.wait(10)

        def unacked() -> float:
            value = metrics.registry.get_sample_value(
                "shorewatch_bus_unacked", {"component": "inbox"}
            )
            return value or 0.0

        time.sleep(1)
        assert unacked() == 1, "acknowledged before its handler's publish was"
        outbox.connect()
        deadline = time.monotonic() + 10
        while unacked() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert unacked() == 0
    finally:
        inbox.close()
        outbox.close()
