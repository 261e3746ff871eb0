"""Events in batches on the bus (real Mosquitto and PostgreSQL): the events that handling one
bus message raised in the detector go out as one `event_batch` per kind on `events/{kind}`, at
most `bus.event_batch_max` each, a lone event as a plain `event`; the observation batch is
acknowledged only after they are. Subscribers get the events one by one, and the alerts worker
makes each event its own alert, a redelivered batch changing nothing."""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest

from app.composition import Service
from shorewatch.bus import Bus
from shorewatch.config.site import parse_config
from shorewatch.events import (
    Event,
    EventBatch,
    EventKind,
    Message,
    Observation,
    ObservationBatch,
    Source,
)
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics
from tests.alerting import site as alerting_site
from tests.waiting import wait_for
from tests.wire import raw_listener

DETECTOR_SITE = """
version: "event-batches"
bus: {event_batch_max: 3}
thresholds: {high_speed: {min_reports: 1}}
zones:
  - {id: restricted-a, name: Restricted A, kind: restricted, points: 30,
     polygon: [[11.40, 58.24], [11.44, 58.24], [11.44, 58.26], [11.40, 58.26], [11.40, 58.24]]}
"""


def _event(n: int, kind: EventKind = EventKind.FIELD_REPORT) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=kind,
        start=datetime.now(UTC),
        lat=58.2,
        lon=11.3,
        targets=(f"report:{n}",),
        config_version="test-event-batches",
    )


def test_an_event_batch_reaches_subscribers_event_by_event(mqtt_url: str, topic_root: str) -> None:
    """On the wire one `event_batch`; to `Bus.subscribe` its events in order, then a single
    `event` as before (older publishers); counted as the events it carries."""
    topics = Topics(topic_root)
    got: queue.Queue[Message] = queue.Queue()
    subscriber = Bus(mqtt_url, "subscriber", topics, Metrics())
    subscriber.subscribe(topics.all_events, got.put)
    subscriber.connect()
    metrics = Metrics()
    sender = Bus(mqtt_url, "sender", topics, metrics)
    sender.connect()
    raw, seen = raw_listener(mqtt_url, topics.all_events)
    try:
        time.sleep(0.3)
        events = [_event(n) for n in range(4)]
        batch = EventBatch(items=tuple(events))
        sender.publish(topics.event(EventKind.FIELD_REPORT), batch).wait_for_publish(5)
        single = _event(99)
        sender.publish(topics.event(EventKind.FIELD_REPORT), single).wait_for_publish(5)
        assert [got.get(timeout=10) for _ in range(5)] == [*events, single]
        assert got.empty()
        topic, body = seen.get(timeout=10)
        assert topic == topics.event(EventKind.FIELD_REPORT)
        assert body["type"] == "event_batch"
        assert [item["id"] for item in body["items"]] == [str(e.id) for e in events]
        assert seen.get(timeout=10)[1]["type"] == "event"
        published = metrics.registry.get_sample_value(
            "shorewatch_bus_published_total", {"kind": "event"}
        )
        assert published == 5, "a batch counts as the events it carries"
    finally:
        raw.loop_stop()
        raw.disconnect()
        sender.close()
        subscriber.close()


def _fast_in_zone(n: int, at: datetime) -> Observation:
    """A 40-kn vessel inside the restricted zone: one `zone_entry` and one `high_speed`."""
    return Observation(
        source=Source.AIS,
        sensor_id="rx",
        target_ref=str(265_100_000 + n),
        time=at + timedelta(milliseconds=n),
        lat=58.25,
        lon=11.41 + n * 0.002,
        sog_kn=40.0,
        cog_deg=90.0,
    )


@pytest.fixture
def detector(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    svc = Service(
        parse_config(DETECTOR_SITE, "site.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("detector",),
        topic_root=topic_root,
    )
    svc.start()
    yield svc
    svc.stop()


def test_the_detector_publishes_what_one_batch_raised_per_kind_then_acknowledges_it(
    detector: Service, mqtt_url: str
) -> None:
    """Five vessels in one observation batch raise five `zone_entry` and five `high_speed`:
    with `event_batch_max` 3 that is two messages per kind (3 + 2), in the vessels' order. The
    detector publishes through a connection that is not up yet: the observation batch stays
    unacknowledged until its events are acknowledged by the broker."""
    topics = detector.topics
    held = Bus(mqtt_url, "held-publisher", topics, Metrics())
    connected = detector.bus
    detector.bus = held  # what the detector publishes waits in paho until `held` connects
    raw, seen = raw_listener(mqtt_url, topics.all_events)
    sender = Bus(mqtt_url, "sensor", topics, Metrics())
    sender.connect()

    def unacked() -> float:
        value = detector.metrics.registry.get_sample_value(
            "shorewatch_bus_unacked", {"component": "shorewatch-detector-consumer"}
        )
        return value or 0.0

    def raised() -> float:
        return sum(
            detector.metrics.registry.get_sample_value("shorewatch_events_total", {"kind": k})
            or 0.0
            for k in ("zone_entry", "high_speed")
        )

    try:
        time.sleep(0.3)
        at = datetime.now(UTC) - timedelta(seconds=5)
        batch = ObservationBatch(items=tuple(_fast_in_zone(n, at) for n in range(5)))
        sender.publish(topics.obs(Source.AIS, "rx"), batch).wait_for_publish(5)
        wait_for(lambda: raised() == 10)
        time.sleep(1)
        assert unacked() == 1, "acknowledged before the events it raised were"
        assert seen.empty()
        held.connect()
        wait_for(lambda: unacked() == 0)
        messages = [seen.get(timeout=10) for _ in range(4)]
        # A lone observation raises one event of each kind: plain `event` messages.
        lone = _fast_in_zone(5, at + timedelta(seconds=1))
        sender.publish(topics.obs(Source.AIS, "rx"), lone).wait_for_publish(5)
        singles = [seen.get(timeout=10) for _ in range(2)]
        time.sleep(0.5)
        assert seen.empty()
    finally:
        detector.bus = connected
        raw.loop_stop()
        raw.disconnect()
        sender.close()
        held.close()
    shapes = [
        (topic.rsplit("/", 1)[1], body["type"], [i["targets"][0] for i in body.get("items", [])])
        for topic, body in messages
    ]
    vessels = [f"ais:{265_100_000 + n}" for n in range(5)]
    for kind in ("zone_entry", "high_speed"):
        assert [s[1:] for s in shapes if s[0] == kind] == [
            ("event_batch", vessels[:3]),
            ("event_batch", vessels[3:]),
        ], "at most 3 a message, in the order raised"
    for topic, body in messages:
        assert {item["kind"] for item in body["items"]} == {topic.rsplit("/", 1)[1]}
    assert sorted((t.rsplit("/", 1)[1], b["type"]) for t, b in singles) == [
        ("high_speed", "event"),
        ("zone_entry", "event"),
    ]


def _alerts_of(dsn: str, events: list[Event]) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT event_ids, event_count FROM alerts WHERE event_ids && %s::uuid[]",
            ([e.id for e in events],),
        ).fetchall()


def test_the_alerts_worker_makes_each_event_of_a_batch_its_alert_and_redelivery_is_harmless(
    dsn: str, mqtt_url: str, topic_root: str
) -> None:
    svc = Service(
        alerting_site(), dsn=dsn, mqtt_url=mqtt_url, roles=("alerts",), topic_root=topic_root
    )
    svc.start()
    try:
        events = [_event(n) for n in range(4)]
        svc.publish_events(events)  # one event_batch (event_batch_max 100)
        alerts = wait_for(lambda: len(_alerts_of(dsn, events)) == 4 and _alerts_of(dsn, events))
        assert sorted(row[0] for row in alerts) == sorted([e.id] for e in events)
        svc.publish_events(events)  # the same batch again: a redelivery after a restart
        marker = _event(100)
        svc.publish_events([marker])  # handled after the redelivery: one worker, in order
        wait_for(partial(_alerts_of, dsn, [marker]))
        with psycopg.connect(dsn) as conn:
            stored = conn.execute(
                "SELECT count(*) FROM events WHERE id = ANY(%s)", ([e.id for e in events],)
            ).fetchone()
            audit = conn.execute(
                "SELECT count(*) FROM alert_history h JOIN alerts a ON a.id = h.alert_id "
                "WHERE a.event_ids && %s::uuid[]",
                ([e.id for e in events],),
            ).fetchone()
        assert stored == (4,)
        assert sorted(_alerts_of(dsn, events)) == sorted(alerts), "each alert unchanged"
        assert {row[1] for row in alerts} == {1}
        assert audit == (4,), "one `created` line per alert, none for the redelivery"
    finally:
        svc.stop()
