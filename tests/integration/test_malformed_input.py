"""Acceptance: malformed input is counted and logged, and the service keeps serving."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from app.composition import Service
from shorewatch.config.site import parse_config
from shorewatch.events import Source
from tests.nmea import position_report

SITE = """
version: "test-malformed"
ingest:
  max_datagram_bytes: 1024
  ais:
    - {id: udp-in, transport: udp, host: 127.0.0.1, port: 0}
    - {id: mqtt-in, transport: mqtt}
"""
GOOD = position_report(265000001, 58.1, 11.3, datetime(2026, 11, 20, 12, tzinfo=UTC))


def _flip_checksum(line: str) -> str:
    body, checksum = line.rsplit("*", 1)
    return f"{body}*{int(checksum, 16) ^ 0xFF:02X}"


def _truncate(line: str) -> str:
    _tag, sentence = line.rsplit("\\", 1)
    fields = sentence.split(",")
    return ",".join(fields[:4])  # cut before the payload


@pytest.fixture
def service(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    svc = Service(
        parse_config(SITE, "t.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("ingest", "recorder"),
        topic_root=topic_root,
    )
    svc.start()
    yield svc
    svc.stop()


def _outcomes(svc: Service, sensor: str) -> dict[str, float]:
    found = {}
    for metric in svc.metrics.registry.collect():
        for sample in metric.samples:
            if sample.name == "shorewatch_ingest_lines_total" and sample.labels["sensor"] == sensor:
                found[sample.labels["outcome"]] = sample.value
    return found


def _wait_rows(svc: Service, expected: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with svc.pool.connection() as conn:
            row = conn.execute("SELECT count(*) FROM observations").fetchone()
        if row and row[0] == expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"expected {expected} observation rows, found {row}")


def test_bad_udp_input_is_counted_and_service_keeps_serving(service: Service) -> None:
    port = service.udp_ports["udp-in"]
    bad_datagrams = [
        _flip_checksum(GOOD).encode(),
        _truncate(GOOD).encode(),
        b"\xff\xfe\x00\x81garbage\x9c",
        b"!AIVDM," + b"A" * 2000,  # oversized: over max_datagram_bytes
        b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A",
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in bad_datagrams:
            sock.sendto(datagram, ("127.0.0.1", port))
        sock.sendto(GOOD.encode(), ("127.0.0.1", port))
    _wait_rows(service, 1)
    outcomes = _outcomes(service, "udp-in")
    assert outcomes.get("position") == 1
    assert outcomes.get("checksum") == 1
    assert outcomes.get("oversized_payload") == 1
    assert outcomes.get("not_ais") == 1
    assert outcomes.get("garbage", 0) + outcomes.get("malformed", 0) == 2
    assert sum(outcomes.values()) == len(bad_datagrams) + 1


def test_bad_mqtt_input_is_counted(service: Service) -> None:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, protocol=service.bus.address.protocol
    )
    client.connect(service.bus.address.host, service.bus.address.port)
    client.loop_start()
    raw = service.topics.raw_ais("mqtt-in")
    obs = service.topics.obs(Source.AIS, "mqtt-in")
    try:
        client.publish(raw, b"\x00\x01 not nmea", qos=1).wait_for_publish(5)
        client.publish(obs, b'{"type": "observation", "lat": "north"', qos=1).wait_for_publish(5)
        client.publish(obs, b'{"type": "alien"}', qos=1).wait_for_publish(5)
        client.publish(raw, GOOD.encode(), qos=1).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()
    _wait_rows(service, 1)
    registry = service.metrics.registry
    assert (
        registry.get_sample_value(
            "shorewatch_bus_rejected_total", {"topic_kind": "obs", "reason": "invalid_json"}
        )
        == 1
    )
    assert (
        registry.get_sample_value(
            "shorewatch_bus_rejected_total", {"topic_kind": "obs", "reason": "schema"}
        )
        == 1
    )
    outcomes = _outcomes(service, "mqtt-in")
    assert outcomes.get("position") == 1
    assert sum(outcomes.values()) == 2
