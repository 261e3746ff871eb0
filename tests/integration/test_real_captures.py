"""Acceptance: the real AIS captures go end to end — decode, bus, store — with every line
accounted for, and the same file ingested twice leaves the same rows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.composition import Service
from ingest.nmea_ais import AisDecoder
from shorewatch.config.site import parse_config
from shorewatch.events import Observation, VesselStatic
from tests.captures import AIS_CAPTURES, read_lines

SITE = """
version: "test-captures"
ingest:
  ais: [{id: replay, transport: mqtt}]
store: {batch_size: 2000, flush_interval_s: 0.2}
"""
FIXED_RECEIVE_TIME = datetime(2026, 11, 1, tzinfo=UTC)


def payloads(lines: list[bytes], limit: int) -> Iterator[bytes]:
    """Pack lines into payloads under the receiver's size limit, as a feed would."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        if batch and size + len(line) + 1 > limit:
            yield b"\n".join(batch)
            batch, size = [], 0
        batch.append(line)
        size += len(line) + 1
    if batch:
        yield b"\n".join(batch)


def expected_from(lines: list[bytes]) -> tuple[int, int]:
    """Distinct observation keys and vessels, decoded independently of the bus and store."""
    decoder = AisDecoder("replay")
    keys, vessels = set(), set()
    for line in lines:
        for message in decoder.feed(line, FIXED_RECEIVE_TIME):
            if isinstance(message, Observation):
                keys.add(message.natural_key)
            elif isinstance(message, VesselStatic):
                vessels.add(message.mmsi)
    return len(keys), len(vessels)


@pytest.fixture
def service(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    svc = Service(
        parse_config(SITE, "t.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("ingest", "recorder"),
        topic_root=topic_root,
        clock=lambda: FIXED_RECEIVE_TIME,
    )
    svc.start()
    yield svc
    svc.stop()


def ingest(svc: Service, lines: list[bytes]) -> tuple[dict[str, int], int, int]:
    receiver = svc.receivers["replay"]
    before = sum(receiver.stats.values())
    for payload in payloads(lines, limit=8000):
        receiver.feed(payload)
    receiver.flush()
    assert sum(receiver.stats.values()) - before == len(lines), "a line went unaccounted"
    published = receiver.stats.get("position", 0) + receiver.stats.get("static", 0)
    assert svc.writer is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        svc.drain(5)
        if svc.writer.wait_idle(1) and svc.writer.submitted >= published:
            break
        time.sleep(0.05)
    with svc.pool.connection() as conn:
        obs = conn.execute("SELECT count(*) FROM observations").fetchone()
        ves = conn.execute("SELECT count(*) FROM vessels").fetchone()
    assert obs is not None
    assert ves is not None
    return dict(receiver.stats), int(obs[0]), int(ves[0])


@pytest.mark.parametrize("capture", AIS_CAPTURES)
def test_capture_end_to_end(capture: str, service: Service, shared_data: Path) -> None:
    lines = read_lines(shared_data / "ais" / capture)
    expected_rows, expected_vessels = expected_from(lines)
    stats, rows, vessels = ingest(service, lines)
    print(f"\n{capture}: {len(lines)} lines -> {stats}; {rows} observation rows, {vessels} vessels")
    assert sum(stats.values()) == len(lines)
    assert rows == expected_rows, "every accepted position must reach the store"
    assert vessels == expected_vessels
    assert stats.get("position", 0) > 0


def test_same_file_twice_leaves_same_rows(
    dsn: str, mqtt_url: str, topic_root: str, shared_data: Path
) -> None:
    """With the wall clock: the capture's own timestamps ($PGHP) make the keys."""
    svc = Service(
        parse_config(SITE, "t.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("ingest", "recorder"),
        topic_root=topic_root,
    )
    svc.start()
    try:
        lines = read_lines(shared_data / "ais" / "dma_aislib_stream_example_pghp.nmea")
        _, rows_first, vessels_first = ingest(svc, lines)
        with svc.pool.connection() as conn:
            snapshot = conn.execute(
                "SELECT md5(string_agg(concat_ws(',', source, sensor_id, target_ref, time, "
                "lat, lon, sog_kn), ';' ORDER BY source, sensor_id, target_ref, time)) "
                "FROM observations"
            ).fetchone()
        _, rows_second, vessels_second = ingest(svc, lines)
        with svc.pool.connection() as conn:
            again = conn.execute(
                "SELECT md5(string_agg(concat_ws(',', source, sensor_id, target_ref, time, "
                "lat, lon, sog_kn), ';' ORDER BY source, sensor_id, target_ref, time)) "
                "FROM observations"
            ).fetchone()
    finally:
        svc.stop()
    assert rows_first > 1000
    assert (rows_second, vessels_second) == (rows_first, vessels_first)
    assert again == snapshot
