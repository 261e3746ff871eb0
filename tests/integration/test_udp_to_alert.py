"""Acceptance: AIS over a real UDP socket -> PostgreSQL -> zone_entry -> one alert in the API
and on the WebSocket; a second entry by the same vessel updates that alert."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from app.composition import Service
from shorewatch.config.site import SiteConfig, parse_config
from tests.nmea import position_report
from tests.waiting import wait_for

TOKEN = "integration-test-token-0123456789"
MMSI = 265123456
ZONE_YAML = """
version: "test-1"
ingest:
  ais:
    - {id: udp-test, transport: udp, host: 127.0.0.1, port: 0}
zones:
  - id: restricted-a
    name: Restricted A
    kind: restricted
    polygon: [[11.40, 58.24], [11.44, 58.24], [11.44, 58.26], [11.40, 58.26], [11.40, 58.24]]
    points: 30
store: {flush_interval_s: 0.1}
"""


@pytest.fixture
def site() -> SiteConfig:
    return parse_config(ZONE_YAML, "test.yaml", Path())


@pytest.fixture
def service(site: SiteConfig, dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    svc = Service(
        site, dsn=dsn, mqtt_url=mqtt_url, api_token=TOKEN, api_port=0, topic_root=topic_root
    )
    svc.start()
    yield svc
    svc.stop()


def send(service: Service, lines: list[str]) -> None:
    port = service.udp_ports["udp-test"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for line in lines:
            sock.sendto(line.encode() + b"\r\n", ("127.0.0.1", port))


def track(start: datetime, points: list[tuple[float, float]]) -> list[str]:
    return [
        position_report(MMSI, lat, lon, start + timedelta(seconds=60 * i), sog=24.0, cog=0)
        for i, (lat, lon) in enumerate(points)
    ]


def receive_alerts(ws: Connection, count: int) -> list[dict[str, object]]:
    received: list[dict[str, object]] = []
    while len(received) < count:
        received.append(json.loads(ws.recv(timeout=15)))
    return received


def test_udp_sentences_become_one_alert_then_update_it(service: Service, dsn: str) -> None:
    base = f"http://127.0.0.1:{service.api_port}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    with connect(f"ws://127.0.0.1:{service.api_port}/api/v1/live?token={TOKEN}") as ws:
        # Batch 1: approach from the south, enter, stay inside for three reports.
        first = track(
            start,
            [(58.230, 11.42), (58.236, 11.42), (58.242, 11.42), (58.245, 11.42), (58.248, 11.42)],
        )
        send(service, first)
        alert_rows = wait_for(lambda: httpx.get(f"{base}/api/v1/alerts", headers=headers).json())
        assert isinstance(alert_rows, list)
        assert len(alert_rows) == 1
        alert = alert_rows[0]
        assert alert["kind"] == "zone_entry"
        assert alert["target"] == f"ais:{MMSI}"
        assert alert["event_count"] == 1
        assert alert["level"] == "orange"  # 40 base + 30 zone points, bands from config
        assert {f["name"] for f in alert["factors"]} == {"zone_entry", "restricted_zone"}
        (pushed,) = receive_alerts(ws, 1)
        assert pushed["id"] == alert["id"]

        # Batch 2: leave well beyond the exit buffer, then come back in.
        later = start + timedelta(minutes=10)
        send(service, track(later, [(58.232, 11.42), (58.226, 11.42), (58.241, 11.42)]))
        updated = wait_for(
            lambda: [
                a
                for a in httpx.get(f"{base}/api/v1/alerts", headers=headers).json()
                if a["event_count"] == 2
            ]
        )
        assert isinstance(updated, list)
        all_alerts = httpx.get(f"{base}/api/v1/alerts", headers=headers).json()
        assert len(all_alerts) == 1, "the repeat must update the open alert, not add one"
        assert all_alerts[0]["id"] == alert["id"]
        assert all_alerts[0]["score"] > alert["score"]
        (pushed_update,) = receive_alerts(ws, 1)
        assert pushed_update["id"] == alert["id"]
        assert pushed_update["event_count"] == 2

    detail = httpx.get(f"{base}/api/v1/alerts/{alert['id']}", headers=headers).json()
    assert len(detail["events"]) == 2
    assert detail["events"][0]["end"] is not None, "the first episode closed when it left"
    assert [h["action"] for h in detail["history"]] == ["created", "updated"]

    assert service.writer is not None
    assert service.writer.wait_idle(10)
    assert _count(dsn, "SELECT count(*) FROM observations") == 8
    assert _count(dsn, "SELECT count(*) FROM events") == 2


def test_api_requires_token_and_ack_is_audited(service: Service) -> None:
    base = f"http://127.0.0.1:{service.api_port}"
    assert httpx.get(f"{base}/healthz").status_code == 200
    assert httpx.get(f"{base}/api/v1/alerts").status_code == 401
    bad = {"Authorization": "Bearer wrong-token-wrong-token"}
    assert httpx.get(f"{base}/api/v1/alerts", headers=bad).status_code == 401

    headers = {"Authorization": f"Bearer {TOKEN}"}
    send(
        service,
        track(datetime(2026, 11, 20, 13, 0, tzinfo=UTC), [(58.230, 11.42), (58.250, 11.42)]),
    )
    alerts = wait_for(lambda: httpx.get(f"{base}/api/v1/alerts", headers=headers).json())
    assert isinstance(alerts, list)
    alert_id = alerts[0]["id"]
    acked = httpx.post(
        f"{base}/api/v1/alerts/{alert_id}/ack", headers=headers, json={"note": "seen on radar too"}
    )
    assert acked.status_code == 200
    assert acked.json()["state"] == "acknowledged"
    again = httpx.post(f"{base}/api/v1/alerts/{alert_id}/ack", headers=headers)
    assert again.status_code == 409
    assert "allowed: dispatch, resolve" in again.json()["detail"]
    detail = httpx.get(f"{base}/api/v1/alerts/{alert_id}", headers=headers).json()
    assert detail["history"][-1]["note"] == "seen on radar too"
    assert httpx.get(f"{base}/metrics").status_code == 401
    metrics = httpx.get(f"{base}/metrics", headers=headers).text
    assert (
        'shorewatch_ingest_lines_total{outcome="position",sensor="udp-test",source="ais"} 2.0'
        in metrics
    )


def _count(dsn: str, query: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])
