"""Ingest's outbox on a real broker: what a dead process left in its spool is published, in
order, by the next one; what is published leaves the spool once the broker acknowledged it."""

from __future__ import annotations

import queue
from datetime import UTC, datetime
from pathlib import Path

from shorewatch.bus import Bus
from shorewatch.events import Message, Observation, ObservationBatch, Source, VesselStatic
from shorewatch.metrics import Metrics
from shorewatch.outbox import Outbox
from shorewatch.spool import Spool
from shorewatch.topics import Topics
from tests.waiting import wait_for


def _batch(i: int) -> ObservationBatch:
    obs = Observation(
        source=Source.AIS,
        sensor_id="rx",
        target_ref="244000001",
        time=datetime.fromtimestamp(1_900_000_000 + i, UTC),
        lat=58.2,
        lon=11.4,
    )
    return ObservationBatch(items=(obs,))


def _spool(path: Path) -> Spool:
    return Spool(path, max_bytes=10_000_000, max_age_s=3600, fsync="never")


def test_a_spool_left_behind_is_published_in_order_then_emptied(
    tmp_path: Path, mqtt_url: str, topic_root: str
) -> None:
    topics = Topics(topic_root)
    topic = topics.obs(Source.AIS, "rx")
    left = _spool(tmp_path)  # a previous ingest accepted these, then died before publishing
    for i in range(50):
        left.append(topic.encode() + b"\n" + _batch(i).model_dump_json().encode())
    left.close()

    received: queue.Queue[Message] = queue.Queue()
    listener = Bus(mqtt_url, "listener", topics, Metrics())
    listener.subscribe(topics.all_obs, received.put)
    listener.connect()
    bus = Bus(mqtt_url, "ingest", topics, Metrics())
    bus.connect()
    spool = _spool(tmp_path)
    outbox = Outbox(bus, spool, Metrics(), inflight=10)
    try:
        outbox.send(topic, _batch(50))  # accepted now: after what was left, not before
        times = [received.get(timeout=10) for _ in range(51)]
        assert [m.time.timestamp() for m in times if isinstance(m, Observation)] == [
            1_900_000_000 + i for i in range(51)
        ]
        wait_for(lambda: spool.stats().records == 0, timeout_s=10)
    finally:
        outbox.close()
        bus.close()
        listener.close()
    assert _spool(tmp_path).stats().records == 0  # acknowledged, so not sent again


def test_a_batch_is_counted_as_the_reports_it_carries(tmp_path: Path, mqtt_url: str) -> None:
    """Per kind, once per batch (not a counter call per report), as `Bus.publish` counts."""
    static = VesselStatic(sensor_id="rx", time=datetime.fromtimestamp(1_900_000_000, UTC), mmsi=1)
    batch = ObservationBatch(items=(*_batch(0).items, *_batch(1).items, static))
    metrics = Metrics()
    bus = Bus(mqtt_url, "ingest", Topics("count"), Metrics())  # never connected: stays spooled
    outbox = Outbox(bus, _spool(tmp_path), metrics, inflight=10)
    try:
        outbox.send("count/obs/ais/rx", batch)
        count = metrics.registry.get_sample_value
        assert count("shorewatch_bus_published_total", {"kind": "observation"}) == 2
        assert count("shorewatch_bus_published_total", {"kind": "vessel_static"}) == 1
    finally:
        outbox.close(drain_s=0)
