"""The bus against a real broker: typed round trip, refusals counted, last will published."""

from __future__ import annotations

import queue
import time
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from app.embedded import EmbeddedBroker
from shorewatch.bus import BrokerAddress, Bus, BusError
from shorewatch.events import ComponentStatus, Message, Observation, Source
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics

OBS = Observation(
    source=Source.AIS,
    sensor_id="rx",
    target_ref="1",
    time=datetime(2026, 1, 1, tzinfo=UTC),
    lat=58.0,
    lon=11.0,
)


def _sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return value or 0.0


def round_trip(url: str, root: str) -> None:
    metrics = Metrics()
    topics = Topics(root)
    received: queue.Queue[Message] = queue.Queue()
    bus = Bus(url, "test", topics, metrics)
    bus.connect()
    try:
        bus.subscribe(topics.all_obs, received.put)
        time.sleep(0.3)  # let the subscription reach the broker
        raw = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, protocol=bus.address.protocol
        )
        raw.connect(bus.address.host, bus.address.port)
        raw.loop_start()
        obs_topic = topics.obs(Source.AIS, "rx")
        for bad in (b"{not json", b"\xff\xfe\x00", b'{"type": "observation"}', b"[]"):
            raw.publish(obs_topic, bad, qos=1).wait_for_publish(5)
        bus.publish(obs_topic, OBS).wait_for_publish(5)
        assert received.get(timeout=10) == OBS, "good messages still flow after bad ones"
        assert received.empty()
        raw.loop_stop()
        raw.disconnect()
        assert (
            _sample(
                metrics, "shorewatch_bus_rejected_total", topic_kind="obs", reason="invalid_json"
            )
            == 2
        )
        assert (
            _sample(metrics, "shorewatch_bus_rejected_total", topic_kind="obs", reason="schema")
            == 2
        )
    finally:
        bus.close()


def test_round_trip_and_refusals(mqtt_url: str, topic_root: str) -> None:
    round_trip(mqtt_url, topic_root)


def test_every_subscriber_of_one_filter_gets_every_message(mqtt_url: str, topic_root: str) -> None:
    """Recorder and detector share a process and a filter; neither may starve the other, and a
    burst larger than the broker's per-client queue (1,000 on stock Mosquitto) arrives whole."""
    topics = Topics(topic_root)
    recorder: queue.Queue[Message] = queue.Queue()
    detector: queue.Queue[Message] = queue.Queue()
    bus = Bus(mqtt_url, "test", topics, Metrics())
    bus.connect()
    try:
        bus.subscribe(topics.all_obs, recorder.put)
        bus.subscribe(topics.all_obs, detector.put)
        time.sleep(0.3)
        burst = 5000
        for i in range(burst):
            bus.publish(topics.obs(Source.AIS, "rx"), OBS.model_copy(update={"target_ref": str(i)}))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and detector.qsize() + recorder.qsize() < 2 * burst:
            time.sleep(0.1)
        assert recorder.qsize() == burst
        assert detector.qsize() == burst
    finally:
        bus.close()


def test_embedded_amqtt_fallback_works(topic_root: str) -> None:
    """A fresh machine without mosquitto gets the pure-Python broker; it must carry the bus."""
    with EmbeddedBroker(prefer_mosquitto=False) as url:
        assert url.endswith("?version=3.1.1")
        round_trip(url, topic_root)


def test_last_will_marks_component_offline(mqtt_url: str, topic_root: str) -> None:
    topics = Topics(topic_root)
    statuses: queue.Queue[Message] = queue.Queue()
    watcher = Bus(mqtt_url, "watcher", topics, Metrics())
    watcher.connect()
    watcher.subscribe(topics.status("victim"), statuses.put)
    victim = Bus(mqtt_url, "victim", topics, Metrics())
    victim.connect()
    try:
        assert statuses.get(timeout=10) == ComponentStatus(component="victim", online=True)
        sock = victim._client.socket()
        assert sock is not None
        sock.close()  # simulate a crash: no clean disconnect
        assert statuses.get(timeout=90) == ComponentStatus(component="victim", online=False)
    finally:
        victim._client.loop_stop()
        watcher.close()


def test_unreachable_broker_fails_loudly() -> None:
    bus = Bus("mqtt://127.0.0.1:9", "nobody", Topics(), Metrics())
    with pytest.raises(BusError, match="cannot reach MQTT broker"):
        bus.connect(timeout_s=2)


def test_broker_url_parsing() -> None:
    assert BrokerAddress.parse("mqtt://u:p@h:1884").port == 1884
    assert BrokerAddress.parse("mqtt://h?version=3.1.1").protocol == mqtt.MQTTv311
    with pytest.raises(BusError):
        BrokerAddress.parse("http://h")
