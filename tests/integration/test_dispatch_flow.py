"""Acceptance (issue 5, 4): a simulated dark speedboat, radar only, over real UDP -> a red alert
-> the dispatcher is offered the nearest sea unit -> dispatches it -> the unit hears it on MQTT
(and its webhook) -> on scene -> resolve -> the unit heads home -> review; the statistics show
the times. Real PostgreSQL, broker and HTTP throughout; the service runs on a night clock."""

from __future__ import annotations

import json
import math
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml

from app.composition import Service
from app.simulator import Scenario, mixed_scenario
from app.simulator.radar import radar_sentences_between
from app.simulator.scenarios import DARK_SPEEDBOAT, DEMO_RADAR
from shorewatch.bus import Bus
from shorewatch.config.site import SiteConfig, parse_config
from shorewatch.config.units import KN_TO_MPS
from shorewatch.events import Message, UnitNotice, UnitState, UnitStateReport
from shorewatch.metrics import Metrics
from shorewatch.store.auth_repo import AuthRepo, NewUser
from shorewatch.topics import Topics
from tests.waiting import wait_for as wait_for_at_most

DEMO_YAML = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"
TOKEN = "integration-test-token-0123456789"
NIGHT = datetime(2026, 11, 22, 22, 0, tzinfo=UTC)  # a November night on the Swedish coast
LEAD_S = 300.0  # radar history sent at start: the run began five minutes before "now"
BOAT = "lysekil-pb1"
Json = dict[str, Any]


wait_for = partial(wait_for_at_most, timeout_s=20.0)


class Webhook:
    """A unit's own endpoint: a real HTTP server that keeps what it is sent."""

    def __init__(self) -> None:
        self.received: queue.Queue[Json] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.put(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/shorewatch"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def demo_site(webhook_url: str) -> SiteConfig:
    """configs/demo.yaml on free ports, with the Lysekil patrol boat's webhook."""
    raw = yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))
    raw["ingest"]["ais"][0]["port"] = 0
    raw["ingest"]["radar"][0]["port"] = 0
    raw["store"]["flush_interval_s"] = 0.1
    for unit in raw["units"]:
        if unit["id"] == BOAT:
            unit["webhook_url"] = webhook_url
    return parse_config(yaml.safe_dump(raw), str(DEMO_YAML), DEMO_YAML.parent)


def night_clock() -> Callable[[], datetime]:
    started = time.monotonic()
    return lambda: NIGHT + timedelta(seconds=time.monotonic() - started)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def service(webhook: Webhook, dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    svc = Service(
        demo_site(webhook.url),
        dsn=dsn,
        mqtt_url=mqtt_url,
        api_token=TOKEN,
        api_port=0,
        topic_root=topic_root,
        clock=night_clock(),
    )
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture
def unit_radio(mqtt_url: str, topic_root: str) -> Iterator[tuple[Bus, queue.Queue[Message]]]:
    """The patrol boat's side of the bus: it listens for assignments and reports its state."""
    bus = Bus(mqtt_url, "unit-lysekil-pb1", Topics(topic_root), Metrics())
    bus.connect()
    heard: queue.Queue[Message] = queue.Queue()
    bus.subscribe(bus.topics.unit_assignments(BOAT), heard.put)
    yield bus, heard
    bus.close()


def keys(dsn: str) -> dict[str, str]:
    """Bearer tokens of real users: a county dispatcher and an engineer who reviews."""
    repo = AuthRepo()
    tokens = {}
    with psycopg.connect(dsn) as conn:
        for name, role, area in (
            ("disp.lysekil", "dispatcher", "lysekil-coast"),
            ("eng.review", "engineer", None),
        ):
            repo.add_user(conn, NewUser(name=name, role=role, jurisdiction=area))
            tokens[role] = repo.create_key(conn, name).token
    return tokens


def send_radar_run(service: Service) -> None:
    """NIGHT RUNNER (no transponder, 40 kn, for the southern shore) as the shore radar's TTM
    sentences for its first LEAD_S seconds, over UDP, stamped so that they end "now"."""
    start = NIGHT - timedelta(seconds=LEAD_S)
    full = mixed_scenario(start)
    boat = next(v for v in full.vessels if v.mmsi == DARK_SPEEDBOAT)
    scene = Scenario(name="night-runner", start=start, vessels=[boat], radar=DEMO_RADAR)
    lines = radar_sentences_between(scene, math.nextafter(0.0, -math.inf), LEAD_S)
    assert len(lines) > 50
    port = service.udp_ports["radar-south"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _t, line in lines:
            sock.sendto(line.encode() + b"\r\n", ("127.0.0.1", port))
            time.sleep(0.002)


def test_dark_speedboat_to_dispatched_unit_and_reviewed(
    service: Service,
    dsn: str,
    webhook: Webhook,
    unit_radio: tuple[Bus, queue.Queue[Message]],
) -> None:
    base = f"http://127.0.0.1:{service.api_port}/api/v1"
    tokens = keys(dsn)
    dispatcher = {"Authorization": f"Bearer {tokens['dispatcher']}"}
    engineer = {"Authorization": f"Bearer {tokens['engineer']}"}
    radio, heard = unit_radio

    def get(path: str, headers: dict[str, str] = dispatcher, **params: Any) -> Any:
        response = httpx.get(f"{base}{path}", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(path: str, body: Json, headers: dict[str, str] = dispatcher) -> httpx.Response:
        return httpx.post(f"{base}{path}", headers=headers, json=body)

    # The units of the YAML are there, the county dispatcher sees all three; the boat is out.
    units = {u["id"]: u for u in get("/units")}
    assert set(units) == {"lysekil-pb1", "smogen-rib1", "skafto-car1"}
    assert units["skafto-car1"]["jurisdiction"] == "skafto-south"  # from its home base
    fix = post(f"/units/{BOAT}/position", {"lat": 58.2500, "lon": 11.4200, "sog_kn": 12.0})
    assert fix.status_code == 200, fix.text

    # 1. The dark speedboat on radar only -> a red dark_target alert.
    send_radar_run(service)
    found = wait_for(lambda: get("/alerts", kind="dark_target"), timeout_s=30)
    assert service.bus.drain(10)
    (alert,) = get("/alerts", kind="dark_target")
    assert alert["id"] == found[0]["id"]
    assert alert["target"] == "radar:radar-south-1"
    factors = {f["name"] for f in alert["factors"]}
    assert alert["level"] == "red", (alert["score"], alert["factors"])
    assert "no_ais" in factors
    alert_id = alert["id"]

    # Not yet acknowledged: dispatch is refused, naming what is allowed.
    early = post(f"/alerts/{alert_id}/dispatch", {"unit_id": BOAT})
    assert early.status_code == 409
    assert "allowed: acknowledge, resolve" in early.json()["detail"]
    assert post(f"/alerts/{alert_id}/ack", {"note": "radar only, 40 kn"}).status_code == 200

    # 2. Suggestions: sea units first, the nearest sea unit on top with distance and ETA.
    options = get(f"/alerts/{alert_id}/suggestions")
    assert options["kinds"][0] == "sea"
    suggestions = options["suggestions"]
    sea = [s for s in suggestions if s["kind"] == "sea"]
    assert suggestions[0] == sea[0]
    assert sea[0]["unit_id"] == BOAT
    assert sea[0]["distance_m"] == min(s["distance_m"] for s in sea)
    assert sea[0]["from_fix"] is True
    assert sea[0]["eta_s"] == pytest.approx(sea[0]["distance_m"] / (35 * KN_TO_MPS), rel=1e-3)

    # 3. Dispatch it: the alert is dispatched (audited), the boat en route and told.
    sent = post(f"/alerts/{alert_id}/dispatch", {"unit_id": BOAT, "note": "intercept off cove"})
    assert sent.status_code == 200, sent.text
    result = sent.json()
    assert result["alert"]["state"] == "dispatched"
    assert result["unit"]["state"] == "en_route"
    assert result["unit"]["current_alert"] == alert_id
    assert result["assignment"]["distance_m"] == pytest.approx(sea[0]["distance_m"], rel=1e-3)
    notice = heard.get(timeout=10)
    assert isinstance(notice, UnitNotice)
    assert (notice.unit_id, str(notice.alert_id)) == (BOAT, alert_id)
    assert notice.level.value == "red"
    assert notice.target == "radar:radar-south-1"
    assert notice.note == "intercept off cove"
    hooked = webhook.received.get(timeout=10)
    assert hooked == json.loads(notice.model_dump_json())
    assigned = wait_for(lambda: get(f"/alerts/{alert_id}/assignments")[0]["notified_at"])
    assert assigned is not None
    busy = post(f"/alerts/{alert_id}/dispatch", {"unit_id": BOAT})
    assert busy.status_code == 409
    assert "en_route" in busy.json()["detail"]
    history = get(f"/alerts/{alert_id}")["history"]
    assert history[-1]["action"] == "dispatch"
    assert history[-1]["note"] == f"unit {BOAT} (KBV 312 Lysekil): intercept off cove"

    # 4. The boat reports on scene over MQTT.
    radio.publish(
        radio.topics.unit_state(BOAT),
        UnitStateReport(unit_id=BOAT, state=UnitState.ON_SCENE, time=service.unit_desk.now()),
    )
    wait_for(lambda: get(f"/units/{BOAT}")["state"] == "on_scene")
    assert get(f"/alerts/{alert_id}/assignments")[0]["arrived_at"] is not None

    # 5. Resolve: the unit follows its alert and heads home; then the review.
    resolved = post(
        f"/alerts/{alert_id}/resolve", {"outcome": "confirmed", "note": "RIB stopped, 2 held"}
    )
    assert resolved.status_code == 200, resolved.text
    wait_for(lambda: get(f"/units/{BOAT}")["state"] == "returning")
    (assignment,) = get(f"/alerts/{alert_id}/assignments")
    assert assignment["release_reason"] == "alert resolved"
    times = [assignment[k] for k in ("assigned_at", "notified_at", "arrived_at", "released_at")]
    assert times == sorted(times)
    reviewed = post(f"/alerts/{alert_id}/review", {"note": "good intercept"}, engineer)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["state"] == "reviewed"
    back = post(f"/units/{BOAT}/state", {"state": "available", "note": "alongside Lysekil"})
    assert back.status_code == 200, back.text
    assert back.json()["current_alert"] is None

    # 6. Statistics: this alert's times to acknowledge, dispatch and resolve are counted.
    final = get(f"/alerts/{alert_id}")["alert"]
    stats = get(
        "/stats",
        start=(NIGHT - timedelta(hours=1)).isoformat(),
        end=(NIGHT + timedelta(hours=1)).isoformat(),
    )
    (area,) = [j for j in stats["jurisdictions"] if j["jurisdiction"] == final["jurisdiction"]]
    assert area["by_outcome"]["confirmed"] == 1
    created = datetime.fromisoformat(final["created_at"])
    for step, stamp in (
        ("time_to_acknowledge", "acknowledged_at"),
        ("time_to_dispatch", "dispatched_at"),
        ("time_to_resolve", "resolved_at"),
    ):
        expected = (datetime.fromisoformat(final[stamp]) - created).total_seconds()
        assert area[step]["count"] == 1, (step, area)
        assert area[step]["median_s"] == pytest.approx(expected, abs=0.01), step
