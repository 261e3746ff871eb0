"""Units through the running API and bus: declaring them, positions and tracks (API and MQTT),
state reports, areas and roles, a second unit on a dispatched alert, webhook retries."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import psycopg
import pytest

from app.composition import Service
from shorewatch.bus import Bus
from shorewatch.events import Event, EventKind, UnitPosition
from shorewatch.metrics import Metrics
from shorewatch.store.auth_repo import AuthRepo, NewUser
from shorewatch.topics import Topics
from tests.integration.test_dispatch_flow import TOKEN, demo_site, wait_for

ADMIN = {"Authorization": f"Bearer {TOKEN}"}
Json = dict[str, Any]


class FlakyHook:
    """A webhook that answers 503 to its first call and 204 after: the notifier must retry."""

    def __init__(self) -> None:
        self.calls: queue.Queue[int] = queue.Queue()
        calls = self.calls
        count = [0]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                count[0] += 1
                calls.put(count[0])
                self.send_response(503 if count[0] == 1 else 204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[FlakyHook]:
    flaky = FlakyHook()
    yield flaky
    flaky.close()


@pytest.fixture
def service(hook: FlakyHook, dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    svc = Service(
        demo_site(hook.url),
        dsn=dsn,
        mqtt_url=mqtt_url,
        api_token=TOKEN,
        api_port=0,
        topic_root=topic_root,
    )
    svc.start()
    yield svc
    svc.stop()


def bearer(dsn: str, name: str, role: str, area: str | None) -> dict[str, str]:
    repo = AuthRepo()
    with psycopg.connect(dsn) as conn:
        repo.add_user(
            conn, NewUser.model_validate({"name": name, "role": role, "jurisdiction": area})
        )
        return {"Authorization": f"Bearer {repo.create_key(conn, name).token}"}


def raise_alert(service: Service, base: str, lat: float, lon: float) -> str:
    """A field report at sea, through the bus and the alerts role like any event."""
    now = datetime.now(UTC)
    event = Event(
        id=uuid.uuid4(),
        kind=EventKind.FIELD_REPORT,
        start=now,
        lat=lat,
        lon=lon,
        targets=(f"report:{uuid.uuid4().hex[:8]}",),
        config_version="test",
    )
    service.publish_event(event)
    found = wait_for(
        lambda: [
            a
            for a in httpx.get(f"{base}/alerts", headers=ADMIN).json()
            if str(event.id) in a["event_ids"]
        ]
    )
    return str(found[0]["id"])


def test_declare_read_and_report(
    service: Service, dsn: str, mqtt_url: str, topic_root: str
) -> None:
    base = f"http://127.0.0.1:{service.api_port}/api/v1"
    dispatcher = bearer(dsn, "disp.north", "dispatcher", "lysekil-north")
    new = {
        "id": "lysekil-car2",
        "name": "Lysekil car 2",
        "kind": "land",
        "unit_type": "vehicle",
        "home_lat": 58.2760,
        "home_lon": 11.4400,
        "max_speed_kmh": 90,
    }
    assert httpx.post(f"{base}/units", headers=dispatcher, json=new).status_code == 403
    created = httpx.post(f"{base}/units", headers=ADMIN, json=new)
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "available"
    assert created.json()["jurisdiction"] == "lysekil-north"
    assert httpx.post(f"{base}/units", headers=ADMIN, json=new).status_code == 409
    wrong = httpx.post(f"{base}/units", headers=ADMIN, json={**new, "id": "x1", "max_speed_kn": 30})
    assert wrong.status_code == 422
    nowhere = httpx.post(
        f"{base}/units", headers=ADMIN, json={**new, "id": "x2", "jurisdiction": "atlantis"}
    )
    assert nowhere.status_code == 422
    assert "unknown jurisdiction 'atlantis'" in nowhere.json()["detail"][0]["msg"]
    assert httpx.get(f"{base}/units/Bad%2Fid", headers=ADMIN).status_code in (404, 422)

    # Areas: the north dispatcher sees Lysekil's car, not the Skaftö one (nor county units).
    seen = {u["id"] for u in httpx.get(f"{base}/units", headers=dispatcher).json()}
    assert seen == {"lysekil-car2"}
    assert httpx.get(f"{base}/units/skafto-car1", headers=dispatcher).status_code == 404
    hidden = httpx.post(
        f"{base}/units/skafto-car1/state", headers=dispatcher, json={"state": "out_of_service"}
    )
    assert hidden.status_code == 404

    # Positions by API (stored, on the track) and by MQTT (stored by the recorder).
    now = datetime.now(UTC)
    by_api = httpx.post(
        f"{base}/units/lysekil-car2/position",
        headers=dispatcher,
        json={"lat": 58.28, "lon": 11.45, "time": (now - timedelta(seconds=30)).isoformat()},
    )
    assert by_api.status_code == 200, by_api.text
    assert by_api.json()["position"]["lat"] == 58.28
    stale = httpx.post(
        f"{base}/units/lysekil-car2/position",
        headers=dispatcher,
        json={"lat": 58.28, "lon": 11.45, "time": (now - timedelta(days=30)).isoformat()},
    )
    assert stale.status_code == 422
    radio = Bus(mqtt_url, "unit-car2", Topics(topic_root), Metrics())
    radio.connect()
    try:
        fix = UnitPosition(unit_id="lysekil-car2", time=now, lat=58.29, lon=11.46, sog_kn=20.0)
        radio.publish(radio.topics.unit_position("lysekil-car2"), fix)
        ghost = UnitPosition(unit_id="no-such-unit", time=now, lat=58.29, lon=11.46)
        radio.publish(radio.topics.unit_position("no-such-unit"), ghost)
    finally:
        radio.close()
    wait_for(
        lambda: (
            httpx.get(f"{base}/units/lysekil-car2", headers=ADMIN).json()["position"]["lat"]
            == 58.29
        )
    )
    track = httpx.get(f"{base}/units/lysekil-car2/track", headers=ADMIN).json()
    assert [(p["lat"], p["lon"]) for p in track] == [(58.28, 11.45), (58.29, 11.46)]

    # State reports: refused moves name the allowed ones; en_route only by dispatch.
    on_scene = httpx.post(
        f"{base}/units/lysekil-car2/state", headers=dispatcher, json={"state": "on_scene"}
    )
    assert on_scene.status_code == 409
    assert "allowed from available: out_of_service" in on_scene.json()["detail"]
    en_route = httpx.post(
        f"{base}/units/lysekil-car2/state", headers=dispatcher, json={"state": "en_route"}
    )
    assert en_route.status_code == 409
    assert "dispatching" in en_route.json()["detail"]
    for state in ("out_of_service", "available"):
        moved = httpx.post(
            f"{base}/units/lysekil-car2/state", headers=dispatcher, json={"state": state}
        )
        assert moved.status_code == 200
        assert moved.json()["state"] == state


def test_second_unit_webhook_retry_and_release(service: Service, dsn: str, hook: FlakyHook) -> None:
    base = f"http://127.0.0.1:{service.api_port}/api/v1"
    operator = bearer(dsn, "op.coast", "operator", "lysekil-coast")
    alert_id = raise_alert(service, base, 58.1750, 11.4300)  # off the landing cove
    assert httpx.post(f"{base}/alerts/{alert_id}/ack", headers=ADMIN).status_code == 200

    options = httpx.get(f"{base}/alerts/{alert_id}/suggestions", headers=operator).json()
    assert options["kinds"] == ["sea", "land"]  # a field report: land units can help too
    assert [s["kind"] for s in options["suggestions"]] == ["sea", "sea", "land"]
    denied = httpx.post(
        f"{base}/alerts/{alert_id}/dispatch", headers=operator, json={"unit_id": "lysekil-pb1"}
    )
    assert denied.status_code == 403

    first = httpx.post(
        f"{base}/alerts/{alert_id}/dispatch", headers=ADMIN, json={"unit_id": "lysekil-pb1"}
    )
    assert first.status_code == 200, first.text
    second = httpx.post(
        f"{base}/alerts/{alert_id}/dispatch",
        headers=ADMIN,
        json={"unit_id": "skafto-car1", "note": "cover the beach"},
    )
    assert second.status_code == 200, second.text
    assert second.json()["alert"]["state"] == "dispatched"
    history = httpx.get(f"{base}/alerts/{alert_id}", headers=ADMIN).json()["history"]
    assert [h["action"] for h in history[-2:]] == ["dispatch", "assign"]
    assert history[-1]["note"] == "unit skafto-car1 (Skaftö land patrol): cover the beach"
    unknown = httpx.post(
        f"{base}/alerts/{alert_id}/dispatch", headers=ADMIN, json={"unit_id": "nobody"}
    )
    assert unknown.status_code == 404

    # The boat's webhook failed once (503) and was retried with success.
    assert hook.calls.get(timeout=10) == 1
    assert hook.calls.get(timeout=10) == 2
    metrics = wait_for(
        lambda: (
            text
            if 'channel="webhook",outcome="delivered"} 1.0'
            in (text := httpx.get(f"{base.removesuffix('/api/v1')}/metrics", headers=ADMIN).text)
            else None
        )
    )
    assert 'shorewatch_unit_notifications_total{channel="webhook",outcome="retried"} 1.0' in metrics

    resolved = httpx.post(
        f"{base}/alerts/{alert_id}/resolve",
        headers=ADMIN,
        json={"outcome": "benign", "note": "kayakers"},
    )
    assert resolved.status_code == 200, resolved.text

    def states() -> dict[str, str]:
        return {u["id"]: u["state"] for u in httpx.get(f"{base}/units", headers=ADMIN).json()}

    wait_for(lambda: states()["lysekil-pb1"] == states()["skafto-car1"] == "returning")
    assignments = httpx.get(f"{base}/alerts/{alert_id}/assignments", headers=ADMIN).json()
    assert [a["unit_id"] for a in assignments] == ["lysekil-pb1", "skafto-car1"]
    assert all(a["released_at"] for a in assignments)
    # A returning unit is free for the next alert.
    again = raise_alert(service, base, 58.20, 11.38)
    httpx.post(f"{base}/alerts/{again}/ack", headers=ADMIN)
    offered = httpx.get(f"{base}/alerts/{again}/suggestions", headers=ADMIN).json()
    assert "lysekil-pb1" in {s["unit_id"] for s in offered["suggestions"]}
