"""Acceptance (issue 5): AIS over real UDP enters a restricted zone -> an orange alert -> a real
HTTP receiver gets it, signed; its first answer is a 500, so the POST is retried. A receiver
that stalls fills the queue, and what does not fit is dropped and counted, not waited for."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from alerts.alert_webhooks import SIGNATURE_HEADER, AlertWebhooks
from app.composition import Service
from shorewatch.config.alerts import WebhookSpec
from shorewatch.config.site import parse_config
from shorewatch.events import Alert, EventKind, Level
from shorewatch.jurisdictions import Jurisdictions
from shorewatch.metrics import Metrics
from tests.nmea import position_report
from tests.waiting import wait_for

TOKEN = "integration-test-token-0123456789"
SECRET = "shared-secret-for-the-receiver"
MMSI = 265123456
SITE_YAML = """
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
alerts:
  webhooks:
    - {url: "%(url)s/ops", secret: "%(secret)s"}
    - {url: "%(url)s/red-only", min_level: red}
    - {url: "%(url)s/dark-only", kinds: [dark_target]}
"""


class Receiver:
    """A real HTTP endpoint: answers each POST with the next scripted status (then 200) and
    keeps (path, headers, raw body) of every one; `hold` stalls answers until it is set."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: queue.Queue[tuple[str, dict[str, str], bytes]] = queue.Queue()
        self.hold = threading.Event()
        self.hold.set()
        script = list(statuses or [])
        received, hold, lock = self.received, self.hold, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.put((self.path, dict(self.headers.items()), body))
                hold.wait(10)
                with lock:
                    status = script.pop(0) if script else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver([500])  # the first POST fails on the receiver's side, the retry gets in
    yield hook
    hook.close()


@pytest.fixture
def service(receiver: Receiver, dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    site = parse_config(SITE_YAML % {"url": receiver.url, "secret": SECRET}, "t.yaml", Path())
    svc = Service(
        site, dsn=dsn, mqtt_url=mqtt_url, api_token=TOKEN, api_port=0, topic_root=topic_root
    )
    svc.start()
    yield svc
    svc.stop()


def send_track(service: Service) -> None:
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    points = [(58.230, 11.42), (58.236, 11.42), (58.242, 11.42), (58.245, 11.42)]
    port = service.udp_ports["udp-test"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i, (lat, lon) in enumerate(points):
            line = position_report(MMSI, lat, lon, start + timedelta(minutes=i), sog=24.0, cog=0)
            sock.sendto(line.encode() + b"\r\n", ("127.0.0.1", port))


def test_zone_entry_alert_is_posted_signed_and_retried(
    service: Service, receiver: Receiver
) -> None:
    send_track(service)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = f"http://127.0.0.1:{service.api_port}"
    (alert,) = wait_for(lambda: httpx.get(f"{base}/api/v1/alerts", headers=headers).json())
    assert alert["level"] == "orange"

    first = receiver.received.get(timeout=15)
    retry = receiver.received.get(timeout=15)
    assert first[0] == retry[0] == "/ops"
    assert first[2] == retry[2], "the retry sends the same signed body"
    path, sent_headers, body = retry
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sent_headers[SIGNATURE_HEADER] == f"sha256={digest}"
    assert sent_headers["Content-Type"] == "application/json"
    posted = Alert.model_validate_json(body)
    assert str(posted.id) == alert["id"]
    assert posted.kind is EventKind.ZONE_ENTRY
    assert posted.level is Level.ORANGE

    metrics = service.metrics.alert_webhooks
    wait_for(lambda: metrics.labels(outcome="delivered")._value.get() == 1)
    assert metrics.labels(outcome="retried")._value.get() == 1
    assert metrics.labels(outcome="failed")._value.get() == 0
    exposed = httpx.get(f"{base}/metrics", headers=headers).text
    assert 'shorewatch_alert_webhooks_total{outcome="retried"} 1.0' in exposed

    # Acknowledging is an alert change too: it goes out again; neither filtered hook ever hears.
    acked = httpx.post(f"{base}/api/v1/alerts/{alert['id']}/ack", headers=headers, json={})
    assert acked.status_code == 200
    path, _, body = receiver.received.get(timeout=15)
    assert path == "/ops"
    assert json.loads(body)["state"] == "acknowledged"
    time.sleep(0.5)
    assert receiver.received.empty(), "red-only and dark-only must not get an orange zone entry"


def red_alert() -> Alert:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    return Alert(
        id=uuid.uuid4(),
        kind=EventKind.DARK_TARGET,
        target="radar:r1-7",
        score=90,
        level=Level.RED,
        lat=58.25,
        lon=11.42,
        event_ids=(uuid.uuid4(),),
        event_count=1,
        created_at=now,
        updated_at=now,
    )


def test_a_stalled_receiver_drops_instead_of_blocking() -> None:
    stalled = Receiver()
    stalled.hold.clear()
    metrics = Metrics()
    hooks = AlertWebhooks(
        [WebhookSpec(url=f"{stalled.url}/slow")],
        Jurisdictions(),
        metrics,
        workers=1,
        queue_size=1,
        timeout_s=10.0,
    )
    try:
        started = time.monotonic()
        for _ in range(5):
            hooks.on_message(red_alert())
        assert time.monotonic() - started < 1.0, "the bus handler must not wait for the network"
        assert metrics.alert_webhooks.labels(outcome="dropped")._value.get() == 3
        stalled.received.get(timeout=5)  # the one in flight reached the receiver
        stalled.hold.set()
        wait_for(lambda: metrics.alert_webhooks.labels(outcome="delivered")._value.get() == 2)
    finally:
        stalled.hold.set()
        hooks.close()
        stalled.close()


def test_closing_counts_what_was_still_queued_as_dropped() -> None:
    stalled = Receiver()
    stalled.hold.clear()
    metrics = Metrics()
    hooks = AlertWebhooks(
        [WebhookSpec(url=f"{stalled.url}/slow")], Jurisdictions(), metrics, workers=1
    )
    try:
        for _ in range(3):
            hooks.on_message(red_alert())
        stalled.received.get(timeout=5)
    finally:
        stalled.hold.set()
        hooks.close()
        stalled.close()
    assert metrics.alert_webhooks.labels(outcome="delivered")._value.get() == 1
    assert metrics.alert_webhooks.labels(outcome="dropped")._value.get() == 2
