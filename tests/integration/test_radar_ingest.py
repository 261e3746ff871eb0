"""Acceptance: radar input end to end — the real ARPA capture over UDP into the store, JSON
tracks over MQTT ending in a `TrackEnd` on the bus, and bad radar input counted in /metrics."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import reduce
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client.parser import text_string_to_metric_families

from app.composition import Service
from ingest.nmea_radar import RadarDecoder
from ingest.radar_receiver import RadarJsonReceiver, RadarReceiver
from shorewatch.bus import Bus
from shorewatch.config.site import parse_config
from shorewatch.events import Message, Observation, Source, TrackEnd
from shorewatch.metrics import Metrics

CAPTURE = "radar/navico_broadband4g_RadarLogs_2015-07-27.nmea"
FIXED_RECEIVE_TIME = datetime(2026, 11, 1, tzinfo=UTC)
# The capture is from a boat: TTM is placed from its own-ship fix, so no site is configured.
CAPTURE_SITE = """
version: "test-radar-capture"
ingest:
  radar: [{id: boat, transport: udp, host: 127.0.0.1, port: 0}]
store: {batch_size: 2000, flush_interval_s: 0.2}
"""
MIXED_SITE = """
version: "test-radar-mixed"
ingest:
  max_datagram_bytes: 1024
  radar:
    - {id: shore-udp, transport: udp, host: 127.0.0.1, port: 0, site: {lat: 58.25, lon: 11.42}}
    - {id: shore-json, transport: mqtt, format: json,
       site: {lat: 58.25, lon: 11.42, heading_deg: 90}}
"""
UDP_WINDOW = 8  # datagrams ahead of the receiver: well inside a default socket buffer


def nmea(body: str) -> bytes:
    """A sentence with its checksum, computed here independently of the decoders."""
    return f"${body}*{reduce(lambda acc, ch: acc ^ ord(ch), body, 0):02X}".encode()


GOOD_TTM = nmea("RATTM,05,1.00,90.0,T,12.0,45.0,T,,,N,SKIFF,T,,120000,A")


def make_service(yaml_text: str, dsn: str, mqtt_url: str, topic_root: str) -> Service:
    return Service(
        parse_config(yaml_text, "t.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("ingest", "recorder"),
        topic_root=topic_root,
        clock=lambda: FIXED_RECEIVE_TIME,
    )


@pytest.fixture
def start(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Callable[[str], Service]]:
    started: list[Service] = []

    def run(yaml_text: str) -> Service:
        svc = make_service(yaml_text, dsn, mqtt_url, topic_root)
        svc.start()
        started.append(svc)
        return svc

    yield run
    for svc in started:
        svc.stop()


def payloads(lines: list[bytes], limit: int) -> Iterator[list[bytes]]:
    """Lines packed into datagrams under the size limit, as a radar's NMEA mux sends them."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        if batch and size + len(line) + 1 > limit:
            yield batch
            batch, size = [], 0
        batch.append(line)
        size += len(line) + 1
    if batch:
        yield batch


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def wait_accounted(receiver: RadarReceiver | RadarJsonReceiver, lines: int) -> None:
    wait_for(lambda: sum(receiver.stats.values()) >= lines, f"{lines} lines accounted")


def send_paced(svc: Service, sensor: str, lines: list[bytes]) -> None:
    """UDP has no back-pressure: stay a few datagrams ahead of what the receiver accounted."""
    receiver = svc.radar_receivers[sensor]
    before = sum(receiver.stats.values())
    sent_after: list[int] = []  # lines sent once each datagram is out
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for batch in payloads(lines, limit=8000):
            if len(sent_after) >= UDP_WINDOW:
                wait_accounted(receiver, before + sent_after[-UDP_WINDOW])
            sock.sendto(b"\n".join(batch), ("127.0.0.1", svc.udp_ports[sensor]))
            sent_after.append((sent_after[-1] if sent_after else 0) + len(batch))
    wait_accounted(receiver, before + len(lines))
    assert sum(receiver.stats.values()) - before == len(lines), "a line counted twice"


def wait_stored(svc: Service, observations: int) -> None:
    writer = svc.writer
    assert writer is not None

    def settled() -> bool:
        svc.drain(5)
        return writer.wait_idle(1) and writer.submitted >= observations

    wait_for(settled, f"{observations} observations stored")


def published(metrics: Metrics, kind: str) -> float:
    value = metrics.registry.get_sample_value("shorewatch_bus_published_total", {"kind": kind})
    return value or 0.0


def test_real_arpa_capture_over_udp_reaches_the_store(
    start: Callable[[str], Service], shared_data: Path
) -> None:
    lines = (shared_data / CAPTURE).read_bytes().splitlines()
    expected: dict[tuple[str, str, str, datetime], Observation] = {}
    independent = RadarDecoder("boat")
    lost = 0
    for line in lines:
        for obs in independent.feed(line, FIXED_RECEIVE_TIME):
            expected.setdefault(obs.natural_key, obs)  # TLL comes first; replays keep the first
        lost += len(independent.lost_targets)

    svc = start(CAPTURE_SITE)
    send_paced(svc, "boat", lines)
    stats = svc.radar_receivers["boat"].stats
    wait_stored(svc, stats["target"])
    with svc.pool.connection() as conn:
        rows = conn.execute(
            "SELECT source, sensor_id, target_ref, time, lat, lon FROM observations"
        ).fetchall()
    print(f"\n{CAPTURE}: {len(lines)} lines -> {stats}; {len(rows)} rows, {lost} track ends")

    assert stats == dict(independent.stats)
    assert sum(stats.values()) == len(lines) == 56_579
    assert published(svc.metrics, "observation") == stats["target"] == 2752
    assert published(svc.metrics, "track_end") == stats["lost"] == lost == 34
    assert len(rows) == len(expected) == 1377  # TTM and TLL of one target and second: one row
    assert {row[0] for row in rows} == {Source.RADAR.value}
    by_key = {(src, sensor, ref, at): (lat, lon) for src, sensor, ref, at, lat, lon in rows}
    assert by_key.keys() == expected.keys()
    worst = max(
        max(abs(lat - expected[key].lat), abs(lon - expected[key].lon))
        for key, (lat, lon) in by_key.items()
    )
    assert worst < 1e-9


class Collector:
    """A downstream consumer on its own bus connection, as a detector process would be."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    def __call__(self, message: Message) -> None:
        with self._lock:
            self.messages.append(message)

    def snapshot(self) -> list[Message]:
        with self._lock:
            return list(self.messages)


def raw_client(svc: Service) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, protocol=svc.bus.address.protocol
    )
    client.connect(svc.bus.address.host, svc.bus.address.port)
    client.loop_start()
    return client


def test_json_tracks_over_mqtt_end_with_a_track_end(
    start: Callable[[str], Service], mqtt_url: str
) -> None:
    svc = start(MIXED_SITE)
    collector = Collector()
    consumer = Bus(mqtt_url, "radar-consumer", svc.topics, Metrics())
    consumer.connect()
    consumer.subscribe(svc.topics.obs(Source.RADAR, "shore-json"), collector)
    reports = [
        {"track": "A1", "time": "2026-11-20T12:00:00Z", "lat": 58.26, "lon": 11.43, "sog_kn": 34},
        [  # one scan: two tracks, one of them still being acquired
            {"track": 7, "time": "2026-11-20T12:00:02Z", "range_m": 1852, "bearing_deg": 0,
             "bearing_ref": "relative", "cog_deg": 180},
            {"track": 9, "time": "2026-11-20T12:00:02Z", "status": "Q"},
        ],
        {"track": 7, "time": "2026-11-20T12:00:04Z", "status": "L"},
    ]  # fmt: skip
    client = raw_client(svc)
    try:
        for item in reports:
            payload = json.dumps(item).encode()
            client.publish(svc.topics.raw_radar("shore-json"), payload, qos=1).wait_for_publish(5)
        wait_for(lambda: len(collector.snapshot()) == 3, "three radar messages", timeout_s=15)
    finally:
        client.loop_stop()
        client.disconnect()
        consumer.close()
    first, second, end = collector.snapshot()
    assert isinstance(first, Observation)
    assert (first.target_ref, first.lat, first.lon) == ("shore-json-A1", 58.26, 11.43)
    assert first.sog_kn == 34
    assert isinstance(second, Observation)
    # 1 nm relative 0° with the site heading 90°: due east of the site.
    assert second.target_ref == "shore-json-7"
    assert (second.lat, second.lon) == pytest.approx((58.25, 11.42 + 0.031651), abs=1e-5)
    assert second.cog_deg == 180
    assert end == TrackEnd(
        source=Source.RADAR,
        sensor_id="shore-json",
        target_ref="shore-json-7",
        time=datetime(2026, 11, 20, 12, 0, 4, tzinfo=UTC),
    )
    wait_stored(svc, 2)
    with svc.pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM observations WHERE source = 'radar'").fetchone()
    assert row == (2,)
    assert svc.radar_receivers["shore-json"].stats == {"target": 2, "query": 1, "lost": 1}


def metrics_outcomes(svc: Service, sensor: str) -> dict[str, float]:
    """Read back from the text `/metrics` serves, not from the registry objects."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(svc.metrics.exposition().decode()):
        for sample in family.samples:
            if (
                sample.name == "shorewatch_ingest_lines_total"
                and sample.labels["source"] == "radar"
                and sample.labels["sensor"] == sensor
            ):
                found[sample.labels["outcome"]] = sample.value
    return found


def test_malformed_radar_input_is_counted_in_metrics(start: Callable[[str], Service]) -> None:
    svc = start(MIXED_SITE)
    bad_checksum = GOOD_TTM[:-2] + (b"00" if GOOD_TTM[-2:] != b"00" else b"01")
    datagrams = [
        bad_checksum,
        nmea("RATTM,06,1.00,90.0,T,12.0,45.0,T,,,,SKIFF,T,,120000,A"),  # no distance unit
        nmea("RATLL,07,9912.0000,N,01130.0000,E,,,T,"),  # latitude 99°
        nmea("RATTM,08,1.00,10.0,R,12.0,45.0,T,,,N,,T,,120000,A"),  # relative, site has no heading
        b"\xff\xfe\x00\x81garbage",
        b"$RATTM," + b"9" * 2000,  # over max_datagram_bytes
        nmea("SDDPT,3.5,0.0,"),  # an echo sounder on the same mux: not radar, not rejected
        GOOD_TTM,
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in datagrams:
            sock.sendto(datagram, ("127.0.0.1", svc.udp_ports["shore-udp"]))
    client = raw_client(svc)
    try:
        for payload in (
            b'{"track": "1", "time": ',  # cut short
            b'{"track": "1", "time": "2026-11-20T12:00:00Z"}',  # tracking, no position
            b'{"track": "1", "time": "2026-11-20T12:00:00Z", "lat": 58.2, "lon": 11.4, "x": 1}',
            b'{"track": "2", "time": "2026-11-20T12:00:00Z", "lat": 58.2, "lon": 11.4}',
        ):
            client.publish(svc.topics.raw_radar("shore-json"), payload, qos=1).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()
    wait_stored(svc, 2)
    wait_for(lambda: sum(metrics_outcomes(svc, "shore-json").values()) == 4, "json accounted")
    with svc.pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM observations WHERE source = 'radar'").fetchone()
    assert row == (2,)
    assert metrics_outcomes(svc, "shore-udp") == {
        "checksum": 1,
        "malformed": 3,
        "no_position": 1,
        "oversized_payload": 1,
        "not_radar": 1,
        "target": 1,
    }
    assert metrics_outcomes(svc, "shore-json") == {"invalid_json": 1, "schema": 2, "target": 1}
    registry = svc.metrics.registry
    for reason, count in [("malformed", 3), ("schema", 2), ("oversized_payload", 1)]:
        rejected = registry.get_sample_value(
            "shorewatch_ingest_rejected_total", {"source": "radar", "reason": reason}
        )
        assert rejected == count, reason
    assert (
        registry.get_sample_value(
            "shorewatch_ingest_rejected_total", {"source": "radar", "reason": "not_radar"}
        )
        is None
    )
