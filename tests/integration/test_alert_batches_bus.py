"""Alerts in batches on the bus (issue 12, acceptance 2): what one transaction changed goes out
as one `alert_batch` per level on `alerts/{level}`, at most `bus.alert_batch_max` each, and
ShoreWatch's subscribers get the alerts one by one as before; a batch with a bad alert is
refused whole, counted and logged, like any bad message."""

from __future__ import annotations

import json
import queue
import time
from pathlib import Path

from app.composition import Service
from shorewatch.bus import Bus
from shorewatch.config.site import parse_config
from shorewatch.events import Alert, AlertBatch, Level, Message
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics
from tests.unit.test_bus_batches import alert
from tests.wire import raw_listener

SITE = 'version: "alert-batches"\nbus: {alert_batch_max: 3}\n'


def test_a_transactions_alerts_travel_as_one_message_per_level(
    dsn: str, mqtt_url: str, topic_root: str
) -> None:
    service = Service(
        parse_config(SITE, "site.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("alerts",),
        topic_root=topic_root,
    )
    service.start()
    raw, seen = raw_listener(mqtt_url, service.topics.all_alerts)
    singly: queue.Queue[Message] = queue.Queue()
    subscriber = Bus(mqtt_url, "subscriber", service.topics, Metrics())
    subscriber.subscribe(service.topics.all_alerts, singly.put)
    subscriber.connect()
    try:
        time.sleep(0.5)  # both subscriptions at the broker
        alerts = [alert(Level.YELLOW if n % 2 else Level.RED, n) for n in range(9)]
        service.publish_alerts(alerts)  # red 5 (3 + 2), yellow 4 (3 + 1)
        lone = alert(Level.ORANGE, 99)
        service.publish_alerts([lone])
        messages = [seen.get(timeout=10) for _ in range(5)]
        got = [singly.get(timeout=10) for _ in range(10)]
    finally:
        raw.loop_stop()
        raw.disconnect()
        subscriber.close()
        service.stop()
    shapes = sorted(
        (topic.rsplit("/", 1)[1], body["type"], len(body.get("items", [body])))
        for topic, body in messages
    )
    assert shapes == [
        ("orange", "alert", 1),
        ("red", "alert_batch", 2),
        ("red", "alert_batch", 3),
        ("yellow", "alert", 1),
        ("yellow", "alert_batch", 3),
    ]
    for topic, body in messages:  # each alert on its own level's topic
        for item in body.get("items", [body]):
            assert topic.endswith("/" + item["level"])
    singles = [m for m in got if isinstance(m, Alert)]
    assert len(singles) == len(got), "subscribers get alerts, not batches"
    assert sorted(str(a.id) for a in singles) == sorted(str(a.id) for a in [*alerts, lone])
    red = [a for a in singles if a.level is Level.RED]
    assert red == [a for a in alerts if a.level is Level.RED], "order kept within a level"


def test_a_batch_with_a_bad_alert_is_refused_and_counted(mqtt_url: str, topic_root: str) -> None:
    topics = Topics(topic_root)
    metrics = Metrics()
    got: queue.Queue[Message] = queue.Queue()
    bus = Bus(mqtt_url, "subscriber", topics, metrics)
    bus.subscribe(topics.all_alerts, got.put)
    bus.connect()
    sender = Bus(mqtt_url, "sender", topics, Metrics())
    sender.connect()
    try:
        time.sleep(0.3)
        good = AlertBatch(items=(alert(Level.RED, 1), alert(Level.RED, 2)))
        body = json.loads(good.model_dump_json())
        body["items"][1]["score"] = 250  # out of range: the whole message is refused
        sender.publish_raw(topics.alert(Level.RED), json.dumps(body).encode()).wait_for_publish(5)
        sender.publish(topics.alert(Level.RED), good).wait_for_publish(5)
        assert got.get(timeout=10) == good.items[0], "good messages still flow after a bad one"
        assert got.get(timeout=10) == good.items[1]
        assert got.empty()
        refused = metrics.registry.get_sample_value(
            "shorewatch_bus_rejected_total", {"topic_kind": "alerts", "reason": "schema"}
        )
        assert refused == 1
    finally:
        sender.close()
        bus.close()
