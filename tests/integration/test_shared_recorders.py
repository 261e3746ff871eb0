"""Issue 12, item 5: two recorders on one MQTT 5 shared subscription split the observation
stream: each observation is stored once and both do part of the work (real Mosquitto and
PostgreSQL, ingest over UDP)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from app.composition import Service
from shorewatch.config.site import SiteConfig, parse_config
from tests.nmea import position_report
from tests.waiting import wait_for

SITE = """
version: "shared-recorders"
ingest:
  ais:
    - {id: rx, transport: udp, host: 127.0.0.1, port: 0}
store: {flush_interval_s: 0.1}
bus: {batch_max: 20, batch_linger_ms: 2, share_group: shorewatch}
"""


def _site() -> SiteConfig:
    return parse_config(SITE, "shared.yaml", Path())


@pytest.fixture
def rig(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[tuple[Service, list[Service]]]:
    started: list[Service] = []
    try:
        recorders = []
        for name in ("one", "two"):
            recorder = Service(
                _site(),
                dsn=dsn,
                mqtt_url=mqtt_url,
                roles=("recorder",),
                topic_root=topic_root,
                client_id=f"shared-test-{name}",
            )
            recorder.start()
            started.append(recorder)
            recorders.append(recorder)
        ingest = Service(
            _site(), dsn=dsn, mqtt_url=mqtt_url, roles=("ingest",), topic_root=topic_root
        )
        ingest.start()
        started.append(ingest)
        yield ingest, recorders
    finally:
        for svc in reversed(started):
            svc.stop()


def _stored(svc: Service) -> float:
    value = svc.metrics.registry.get_sample_value(
        "shorewatch_store_rows_total", {"table": "observations"}
    )
    return value or 0.0


def test_two_recorders_split_one_stream(rig: tuple[Service, list[Service]], dsn: str) -> None:
    ingest, recorders = rig
    base = datetime.now(UTC) - timedelta(minutes=10)
    sent = 3000
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i in range(sent):
            when = base + timedelta(seconds=i)
            line = position_report(212_000_000 + i % 100, 58.2, 11.3, when)
            sock.sendto(line.encode() + b"\r\n", ("127.0.0.1", ingest.udp_ports["rx"]))
            if i % 50 == 0:
                time.sleep(0.02)  # let ingest keep up: UDP is not flow-controlled

    def count() -> tuple[int, int]:
        with psycopg.connect(dsn) as conn:
            row = conn.execute(
                "SELECT count(*), count(DISTINCT (target_ref, time)) FROM observations"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    wait_for(lambda: count()[0] >= sent, timeout_s=60)
    assert count() == (sent, sent)
    delivered = [r.writer.submitted if r.writer else 0 for r in recorders]
    shares = [_stored(r) for r in recorders]
    assert sum(delivered) == sent, f"each observation went to one recorder: {delivered}"
    assert sum(shares) == sent
    assert all(share > sent * 0.1 for share in shares), f"both recorders busy: {shares}"
