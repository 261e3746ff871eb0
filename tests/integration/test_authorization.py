"""Authorisation matrix (issue 5, acceptance 2): every endpoint the app serves, for every role,
on a resource inside and outside the caller's jurisdiction gives the expected status, lists show
only what lies inside, and the live feed pushes only the caller's alerts.

The rules are `docs/api-access.md`. `MATRIX` must name every endpoint the running app serves:
a new endpoint without a row fails `test_every_endpoint_has_a_rule`, so add its rule here and
in the doc. Callers are users of town A (one per role); "in" is a resource in town A, "out" one
in town B, its sibling under the same county.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal

import httpx
import numpy as np
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from psycopg.conninfo import make_conninfo
from starlette.routing import Route, WebSocketRoute
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from api.principal import Role
from app.composition import Service
from detectors.evidence import SnapshotWriter
from shorewatch.config.site import parse_config
from shorewatch.events import (
    Alert,
    AlertState,
    Event,
    EventKind,
    Level,
    Observation,
    Outcome,
    PictureTrack,
    PictureUpdate,
    Source,
    VesselStatic,
)
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.auth_repo import AuthRepo, NewUser
from tests.waiting import wait_for

SERVICE_TOKEN = "authorization-test-token-0123456789"
Where = Literal["in", "out"]
WHERES: tuple[Where, ...] = ("in", "out")
TOWN = {"in": "town-a", "out": "town-b"}
POSITION = {"in": (58.20, 11.30), "out": (58.20, 11.60)}
NOWHERE = (57.50, 10.50)
"""Outside every jurisdiction: only callers without an area restriction see it."""
MMSI = {"in": 257100001, "out": 257100002}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def box(lon0: float, lat0: float, lon1: float, lat1: float) -> str:
    corners = [(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1), (lon0, lat0)]
    return "[" + ", ".join(f"[{lon}, {lat}]" for lon, lat in corners) + "]"


SITE_YAML = f"""
version: "test-authorization"
jurisdictions:
  - {{id: region, name: Region, level: city, polygon: {box(11.0, 58.0, 12.0, 58.5)}}}
  - {{id: county, name: County, level: county, parent: region,
      polygon: {box(11.2, 58.1, 11.7, 58.4)}}}
  - {{id: town-a, name: Town A, level: town, parent: county,
      polygon: {box(11.2, 58.1, 11.45, 58.4)}}}
  - {{id: town-b, name: Town B, level: town, parent: county,
      polygon: {box(11.45, 58.1, 11.7, 58.4)}}}
store: {{flush_interval_s: 0.1}}
ptz:
  cameras:
    - {{id: ptz-auth, lat: 58.25, lon: 11.45, height_m: 30, pan_zero_deg: 180,
       zoom_steps: [{{zoom: 0, hfov_deg: 50}}], onvif: {{host: 127.0.0.1, port: 9}}}}
"""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the running service, its users and what exists in each town ----------------------------


@pytest.fixture(scope="module")
def module_dsn(pg_server: str) -> Iterator[str]:
    """One database for the module: the matrix runs hundreds of requests against one service."""
    name = f"sw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(pg_server, dbname=name)
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def service(
    module_dsn: str, mqtt_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    site = parse_config(SITE_YAML, "test.yaml", Path())
    console = tmp_path_factory.mktemp("console-dist")
    (console / "index.html").write_text("<!doctype html><title>console</title>")
    svc = Service(
        site,
        dsn=module_dsn,
        mqtt_url=mqtt_url,
        roles=("recorder", "alerts", "api"),
        api_token=SERVICE_TOKEN,
        api_port=0,
        topic_root=f"swtest-{uuid.uuid4().hex[:10]}",
        console_dir=console,
    )
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def tokens(service: Service) -> dict[str, str]:
    """A key per role for users of town A, and a few other users by name."""
    repo = AuthRepo()
    users = [
        NewUser(name=f"{role.value}-a", role=role.value, jurisdiction="town-a") for role in Role
    ]
    users += [
        NewUser(name="county-operator", role="operator", jurisdiction="county"),
        NewUser(name="national-operator", role="operator"),
        NewUser(name="dispatcher-b", role="dispatcher", jurisdiction="town-b"),
    ]
    keys: dict[str, str] = {}
    with service.pool.connection() as conn, conn.transaction():
        for user in users:
            repo.add_user(conn, user)
            keys[user.name] = repo.create_key(conn, user.name).token
    return {**keys, **{role.value: keys[f"{role.value}-a"] for role in Role}}


@pytest.fixture(scope="module")
def api(service: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{service.api_port}", timeout=30) as client:
        yield client


@dataclass
class World:
    """Resources in town A ("in") and town B ("out"), made through the running service."""

    service: Service
    api: httpx.Client
    tokens: dict[str, str]
    alerts: dict[str, str] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)
    reports: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    silences: dict[str, str] = field(default_factory=dict)

    def fresh_alert(self, where: Where, state: AlertState = AlertState.NEW) -> str:
        """A new alert straight into the store, for a call that changes it (ack, resolve...)."""
        now = datetime.now(UTC)
        lat, lon = POSITION[where]
        resolved = state in (AlertState.RESOLVED, AlertState.REVIEWED)
        alert = Alert(
            id=uuid.uuid4(),
            kind=EventKind.ZONE_ENTRY,
            target=f"ais:{uuid.uuid4().int % 10**9}",
            score=50,
            level=Level.YELLOW,
            lat=lat,
            lon=lon,
            jurisdiction=TOWN[where],
            event_ids=(uuid.uuid4(),),
            event_count=1,
            created_at=now,
            updated_at=now,
            state=state,
            outcome=Outcome.CONFIRMED if resolved else None,
            resolved_at=now if resolved else None,
        )
        with self.service.pool.connection() as conn, conn.transaction():
            AlertsRepo().insert(conn, alert)
        return str(alert.id)

    def fresh_unit(self, where: Where) -> str:
        """An available sea unit based in the town (its jurisdiction follows the base)."""
        created = self.api.post(
            "/api/v1/units", json=unit_spec(where), headers=bearer(SERVICE_TOKEN)
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def fresh_silence(self, where: Where) -> str:
        """A silence set by a dispatcher of the town: it mutes only there."""
        who = "dispatcher" if where == "in" else "dispatcher-b"
        created = self.api.post(
            "/api/v1/silences", json=silence_body(), headers=bearer(self.tokens[who])
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def fresh_watch_entry(self) -> str:
        created = self.api.post(
            "/api/v1/watchlist",
            json={"mmsi": uuid.uuid4().int % 10**9, "reason": "matrix"},
            headers=bearer(SERVICE_TOKEN),
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])


def unit_spec(where: Where) -> dict[str, object]:
    lat, lon = POSITION[where]
    return {
        "id": f"pb-{uuid.uuid4().hex[:10]}",
        "name": f"Patrol boat {where}",
        "kind": "sea",
        "unit_type": "patrol_boat",
        "home_lat": lat,
        "home_lon": lon,
        "max_speed_kn": 30,
    }


def silence_body() -> dict[str, object]:
    """Mutes a target that never appears, so no other test's alert is silenced."""
    ends = datetime.now(UTC) + timedelta(hours=1)
    return {"target": "ais:999000111", "ends_at": ends.isoformat(), "reason": "matrix"}


def _alert_of(service: Service, target: str) -> tuple[str, str | None] | None:
    with service.pool.connection() as conn:
        row = conn.execute(
            "SELECT id::text, jurisdiction FROM alerts WHERE target = %s", (target,)
        ).fetchone()
    return (str(row[0]), None if row[1] is None else str(row[1])) if row else None


@pytest.fixture(scope="module")
def world(service: Service, api: httpx.Client, tokens: dict[str, str]) -> World:
    world = World(service, api, tokens)
    now = datetime.now(UTC)
    for where in WHERES:
        lat, lon = POSITION[where]
        # An event through the bus: the alerts role stores it and opens an alert, whose
        # jurisdiction is the most specific one containing the position. Like a camera
        # event, it carries an evidence snapshot, saved where the API reads it.
        event_id = uuid.uuid4()
        frame = np.full((48, 64, 3), 90, dtype=np.uint8)
        snapshot = SnapshotWriter(service.snapshot_store).save(
            event_id, frame, (8, 8, 40, 30), f"matrix {where}"
        )
        event = Event(
            id=event_id,
            kind=EventKind.ZONE_ENTRY,
            start=now,
            lat=lat,
            lon=lon,
            targets=(f"ais:{MMSI[where]}",),
            config_version="test-authorization",
            evidence=(snapshot,),
        )
        service.publish_event(event)
        alert_id, jurisdiction = wait_for(partial(_alert_of, service, event.targets[0]))
        assert jurisdiction == TOWN[where], "an alert belongs to its most specific jurisdiction"
        world.alerts[where] = alert_id
        world.events[where] = str(event.id)
        # A vessel heard there (identity and position), which also makes a track.
        publish = service.publish_observation("rx-auth")
        publish(VesselStatic(sensor_id="rx-auth", time=now, mmsi=MMSI[where], name=f"V {where}"))
        publish(
            Observation(
                source=Source.AIS,
                sensor_id="rx-auth",
                target_ref=str(MMSI[where]),
                time=now - timedelta(seconds=30),
                lat=lat,
                lon=lon,
            )
        )
        report = api.post(
            "/api/v1/reports",
            json={
                "time": now.isoformat(),
                "lat": lat,
                "lon": lon,
                "description": f"sighting {where}",
                "photo": base64.b64encode(PNG).decode(),
            },
            headers=bearer(SERVICE_TOKEN),
        )
        assert report.status_code == 201, report.text
        world.reports[where] = str(report.json()["id"])
        world.units[where] = world.fresh_unit(where)
        world.silences[where] = world.fresh_silence(where)
    # The detector's picture of both vessels (no detector runs here: its message, by hand).
    service.bus.publish(
        service.topics.picture("58N011E"),
        PictureUpdate(
            tile="58N011E",
            time=now,
            tracks=tuple(
                PictureTrack(
                    key=f"ais:{MMSI[where]}",
                    sources=(Source.AIS,),
                    mmsi=MMSI[where],
                    lat=POSITION[where][0],
                    lon=POSITION[where][1],
                    last_seen=now,
                )
                for where in WHERES
            ),
        ),
    )
    # Each report became an event and an alert on the live feed: let them pass first.
    wait_for(lambda: _count_alerts(service, "field_report") >= len(WHERES))
    for where in WHERES:
        wait_for(partial(_vessel_found, api, MMSI[where]))
        wait_for(partial(_listed_vessel, api, MMSI[where]))
    wait_for(lambda: len(_app(service).state.context.picture) >= len(WHERES))
    return world


def _count_alerts(service: Service, kind: str) -> int:
    with service.pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM alerts WHERE kind = %s", (kind,)).fetchone()
    return int(row[0]) if row else 0


def _vessel_found(api: httpx.Client, mmsi: int) -> bool:
    return api.get(f"/api/v1/vessels/{mmsi}", headers=bearer(SERVICE_TOKEN)).is_success


def _listed_vessel(api: httpx.Client, mmsi: int) -> bool:
    listed = api.get("/api/v1/vessels", headers=bearer(SERVICE_TOKEN)).json()
    return mmsi in {v["mmsi"] for v in listed}


# --- the matrix --------------------------------------------------------------------------------

OPERATOR, DISPATCHER, ENGINEER = Role.OPERATOR, Role.DISPATCHER, Role.ENGINEER
EVERY_ROLE = frozenset({OPERATOR, DISPATCHER, ENGINEER})
Scope = Literal["public", "none", "item", "list", "create"]
"""public: no token needed; none: the area does not apply; item: a resource outside the
caller's areas is a 404; list: 200, but only what lies inside is listed; create: making
something outside the caller's areas is a 403."""


@dataclass(frozen=True)
class Call:
    path: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    expect: str | None = None
    """For a list: the id that must be listed when inside, and absent when outside."""


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    """Besides admin, who is always admitted; ignored for public endpoints."""
    scope: Scope
    ok: int = 200
    call: Callable[[World, Where], Call] = lambda _w, _where: Call()
    ids: Callable[[Any], set[str]] = lambda _body: set()


def _ids(key: str) -> Callable[[Any], set[str]]:
    return lambda body: {str(item[key]) for item in body}


def _report_body(_world: World, where: Where) -> Call:
    lat, lon = POSITION[where]
    now = datetime.now(UTC).isoformat()
    return Call(json={"time": now, "lat": lat, "lon": lon, "description": "matrix sighting"})


PUBLIC = Rule(frozenset(), "public")
MATRIX: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/docs-assets/{name}"): Rule(
        frozenset(), "public", call=lambda _w, _where: Call(path={"name": "swagger-ui.css"})
    ),
    # The console's files; its data comes through the API routes below, each with its rule.
    ("GET", "/{path:path}"): Rule(
        frozenset(), "public", call=lambda _w, _where: Call(path={"path": "alerts"})
    ),
    ("GET", "/metrics"): Rule(frozenset({ENGINEER}), "none"),
    ("GET", "/api/v1/health"): Rule(frozenset({ENGINEER}), "none"),
    ("GET", "/api/v1/alerts"): Rule(
        EVERY_ROLE,
        "list",
        call=lambda w, where: Call(expect=w.alerts[where]),
        ids=_ids("id"),
    ),
    ("GET", "/api/v1/alerts/{alert_id}"): Rule(
        EVERY_ROLE, "item", call=lambda w, where: Call(path={"alert_id": w.alerts[where]})
    ),
    ("POST", "/api/v1/alerts/{alert_id}/ack"): Rule(
        frozenset({OPERATOR, DISPATCHER}),
        "item",
        call=lambda w, where: Call(path={"alert_id": w.fresh_alert(where)}, json={"note": "x"}),
    ),
    ("GET", "/api/v1/watchlist"): Rule(EVERY_ROLE, "none"),
    ("POST", "/api/v1/watchlist"): Rule(
        frozenset({ENGINEER}),
        "none",
        ok=201,
        call=lambda _w, _where: Call(json={"mmsi": uuid.uuid4().int % 10**9}),
    ),
    ("DELETE", "/api/v1/watchlist/{entry_id}"): Rule(
        frozenset({ENGINEER}),
        "none",
        ok=204,
        call=lambda w, _where: Call(path={"entry_id": w.fresh_watch_entry()}),
    ),
    ("GET", "/api/v1/events"): Rule(
        EVERY_ROLE, "list", call=lambda w, where: Call(expect=w.events[where]), ids=_ids("id")
    ),
    ("GET", "/api/v1/events/{event_id}/snapshot"): Rule(
        EVERY_ROLE, "item", call=lambda w, where: Call(path={"event_id": w.events[where]})
    ),
    ("GET", "/api/v1/tracks"): Rule(
        EVERY_ROLE,
        "list",
        call=lambda _w, where: Call(
            params={"bbox": "11.0,58.0,12.0,58.5"}, expect=f"ais:{MMSI[where]}"
        ),
        ids=lambda body: {t["target"] for t in body["tracks"]},
    ),
    ("GET", "/api/v1/vessels"): Rule(
        EVERY_ROLE, "list", call=lambda _w, where: Call(expect=str(MMSI[where])), ids=_ids("mmsi")
    ),
    ("GET", "/api/v1/vessels/{mmsi}"): Rule(
        EVERY_ROLE, "item", call=lambda _w, where: Call(path={"mmsi": str(MMSI[where])})
    ),
    ("GET", "/api/v1/zones"): Rule(EVERY_ROLE, "none"),
    ("GET", "/api/v1/stats"): Rule(
        EVERY_ROLE,
        "list",
        call=lambda _w, where: Call(expect=TOWN[where]),
        ids=lambda body: {j["jurisdiction"] for j in body["jurisdictions"]},
    ),
    ("POST", "/api/v1/reports"): Rule(
        frozenset({OPERATOR, DISPATCHER}), "none", ok=201, call=_report_body
    ),
    ("GET", "/api/v1/reports"): Rule(
        EVERY_ROLE, "list", call=lambda w, where: Call(expect=w.reports[where]), ids=_ids("id")
    ),
    ("GET", "/api/v1/reports/{report_id}"): Rule(
        EVERY_ROLE, "item", call=lambda w, where: Call(path={"report_id": w.reports[where]})
    ),
    ("GET", "/api/v1/reports/{report_id}/photo"): Rule(
        EVERY_ROLE, "item", call=lambda w, where: Call(path={"report_id": w.reports[where]})
    ),
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): Rule(
        frozenset({DISPATCHER}),
        "item",
        call=lambda w, where: Call(
            path={"alert_id": w.fresh_alert(where)},
            json={"outcome": "false_alarm", "note": "matrix"},
        ),
    ),
    ("POST", "/api/v1/alerts/{alert_id}/review"): Rule(
        frozenset({ENGINEER}),
        "item",
        call=lambda w, where: Call(
            path={"alert_id": w.fresh_alert(where, AlertState.RESOLVED)}, json={"note": "ok"}
        ),
    ),
    ("GET", "/api/v1/alerts/{alert_id}/suggestions"): Rule(
        EVERY_ROLE, "item", call=lambda w, where: Call(path={"alert_id": w.alerts[where]})
    ),
    ("GET", "/api/v1/alerts/{alert_id}/assignments"): Rule(
        EVERY_ROLE, "item", call=lambda w, where: Call(path={"alert_id": w.alerts[where]})
    ),
    ("POST", "/api/v1/alerts/{alert_id}/dispatch"): Rule(
        frozenset({DISPATCHER}),
        "item",
        call=lambda w, where: Call(
            path={"alert_id": w.fresh_alert(where, AlertState.ACKNOWLEDGED)},
            json={"unit_id": w.fresh_unit(where)},
        ),
    ),
    ("GET", "/api/v1/units"): Rule(
        EVERY_ROLE, "list", call=lambda w, where: Call(expect=w.units[where]), ids=_ids("id")
    ),
    ("POST", "/api/v1/units"): Rule(
        frozenset(), "create", ok=201, call=lambda _w, where: Call(json=unit_spec(where))
    ),
    ("GET", "/api/v1/units/{unit_id}"): Rule(
        EVERY_ROLE, "item", call=lambda w, where: Call(path={"unit_id": w.units[where]})
    ),
    ("GET", "/api/v1/units/{unit_id}/track"): Rule(
        EVERY_ROLE, "item", call=lambda w, where: Call(path={"unit_id": w.units[where]})
    ),
    ("POST", "/api/v1/units/{unit_id}/position"): Rule(
        frozenset({DISPATCHER}),
        "item",
        call=lambda w, where: Call(
            path={"unit_id": w.units[where]},
            json=dict(zip(("lat", "lon"), POSITION[where], strict=True)),
        ),
    ),
    ("POST", "/api/v1/units/{unit_id}/state"): Rule(
        frozenset({DISPATCHER}),
        "item",
        call=lambda w, where: Call(
            path={"unit_id": w.fresh_unit(where)}, json={"state": "out_of_service"}
        ),
    ),
    ("GET", "/api/v1/silences"): Rule(
        EVERY_ROLE, "list", call=lambda w, where: Call(expect=w.silences[where]), ids=_ids("id")
    ),
    ("GET", "/api/v1/silences/{silence_id}"): Rule(
        EVERY_ROLE, "item", call=lambda w, where: Call(path={"silence_id": w.silences[where]})
    ),
    ("POST", "/api/v1/silences"): Rule(
        frozenset({DISPATCHER, ENGINEER}),
        "none",
        ok=201,
        call=lambda _w, _where: Call(json=silence_body()),
    ),
    ("DELETE", "/api/v1/silences/{silence_id}"): Rule(
        frozenset({DISPATCHER, ENGINEER}),
        "item",
        ok=204,
        call=lambda w, where: Call(path={"silence_id": w.fresh_silence(where)}),
    ),
    ("GET", "/api/v1/me"): Rule(EVERY_ROLE, "none"),
    ("GET", "/api/v1/jurisdictions"): Rule(
        EVERY_ROLE,
        "list",
        call=lambda _w, where: Call(expect=TOWN[where]),
        ids=lambda body: {f["id"] for f in body["features"]},
    ),
    ("GET", "/api/v1/sensors"): Rule(EVERY_ROLE, "none"),
    ("GET", "/api/v1/incidents"): Rule(
        EVERY_ROLE,
        "list",
        call=lambda w, where: Call(expect=w.alerts[where]),
        ids=lambda body: {alert_id for incident in body for alert_id in incident["alert_ids"]},
    ),
    ("GET", "/api/v1/picture"): Rule(
        EVERY_ROLE,
        "list",
        call=lambda _w, where: Call(expect=f"ais:{MMSI[where]}"),
        ids=lambda body: {t["key"] for t in body["tracks"]},
    ),
    ("GET", "/api/v1/console/settings"): Rule(EVERY_ROLE, "none"),
    ("POST", "/api/v1/cameras/{camera_id}/cue"): Rule(
        frozenset({DISPATCHER}),
        "create",
        ok=202,
        call=lambda _w, where: Call(
            path={"camera_id": "ptz-auth"},
            json=dict(zip(("lat", "lon"), POSITION[where], strict=True)),
        ),
    ),
    ("GET", "/api/v1/export"): Rule(
        EVERY_ROLE,
        "list",
        call=lambda w, where: Call(
            params={"bbox": "11.0,58.0,12.0,58.5", "layers": "alerts"}, expect=w.alerts[where]
        ),
        ids=lambda body: {str(f["id"]) for f in body["features"]},
    ),
    # Checked by test_live_feed_matrix below, not by HTTP.
    ("WS", "/api/v1/live"): Rule(EVERY_ROLE, "list"),
}
HTTP_RULES = sorted(key for key in MATRIX if key[0] != "WS")


def concrete(template: str, call: Call) -> str:
    """The path with the call's values; `{name:converter}` (the console's `{path:path}`) too."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", template).format(**call.path)


def role_refused(rule: Rule, role: Role) -> bool:
    return role is not Role.ADMIN and role not in rule.roles


def expected_status(rule: Rule, role: Role, where: Where) -> int:
    if rule.scope == "public":
        return rule.ok
    if role_refused(rule, role):
        return 403
    if rule.scope == "item" and where == "out":
        return 404
    if rule.scope == "create" and where == "out":
        return 403
    return rule.ok


def served_endpoints(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route, those of included routers with their prefix."""
    served: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, str(context.path)
        if isinstance(route, APIWebSocketRoute | WebSocketRoute):
            served.add(("WS", path))
        elif isinstance(route, Route):
            served |= {(m, path) for m in context.methods or () if m != "HEAD"}
    return served


def _app(service: Service) -> FastAPI:
    assert service.api_server is not None
    app = service.api_server.config.app
    assert isinstance(app, FastAPI)
    return app


def test_every_endpoint_has_a_rule(service: Service) -> None:
    assert service.api_server is not None
    served = served_endpoints(_app(service))
    missing = sorted(served - set(MATRIX))
    assert not missing, (
        f"endpoints without a rule: {missing}; add each to MATRIX here and to docs/api-access.md"
    )
    stale = sorted(set(MATRIX) - served)
    assert not stale, f"rules for endpoints the app no longer serves: {stale}"


@pytest.mark.parametrize("where", WHERES)
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("endpoint", HTTP_RULES, ids=[f"{m} {p}" for m, p in HTTP_RULES])
def test_matrix(
    endpoint: tuple[str, str],
    role: Role,
    where: Where,
    world: World,
    tokens: dict[str, str],
    api: httpx.Client,
) -> None:
    method, template = endpoint
    rule = MATRIX[endpoint]
    call = rule.call(world, where)
    response = api.request(
        method,
        concrete(template, call),
        params=call.params,
        json=call.json,
        headers=bearer(tokens[role.value]),
    )
    want = expected_status(rule, role, where)
    assert response.status_code == want, response.text[:300]
    if want == 403:  # the refusal says why: the role needed, or the area it lies outside
        detail = response.json()["detail"]
        assert ("needs role" in detail) if role_refused(rule, role) else ("outside" in detail)
    if rule.scope == "list" and response.is_success:
        assert call.expect is not None
        listed = call.expect in rule.ids(response.json())
        assert listed == (where == "in"), f"{call.expect} listed: {listed}"


@pytest.mark.parametrize(
    "endpoint",
    [key for key in HTTP_RULES if MATRIX[key].scope != "public"],
    ids=[f"{m} {p}" for m, p in HTTP_RULES if MATRIX[m, p].scope != "public"],
)
def test_no_valid_token_is_401(endpoint: tuple[str, str], world: World, api: httpx.Client) -> None:
    method, template = endpoint
    call = MATRIX[endpoint].call(world, "in")
    path = concrete(template, call)
    forged = "swk_0123456789abcdef_" + "A" * 43
    for headers in ({}, bearer("wrong-token-wrong-token"), bearer(forged)):
        response = api.request(method, path, params=call.params, json=call.json, headers=headers)
        assert response.status_code == 401, (headers, response.text[:200])


# --- areas up the hierarchy --------------------------------------------------------------------


def test_a_county_sees_its_towns_and_only_a_national_caller_sees_outside_every_area(
    world: World, tokens: dict[str, str], api: httpx.Client
) -> None:
    outside = world.fresh_alert("in")
    with world.service.pool.connection() as conn:
        lat, lon = NOWHERE
        conn.execute(
            "UPDATE alerts SET jurisdiction = NULL, jurisdictions = '{}', lat = %s, lon = %s "
            "WHERE id = %s",
            (lat, lon, outside),
        )

    def listed(who: str) -> set[str]:
        response = api.get("/api/v1/alerts", params={"limit": 500}, headers=bearer(tokens[who]))
        assert response.status_code == 200
        return {a["id"] for a in response.json()}

    town_a, town_b = world.alerts["in"], world.alerts["out"]
    assert {town_a, town_b} <= listed("county-operator")
    assert outside not in listed("county-operator")
    assert {town_a, town_b, outside} <= listed("national-operator")
    assert {town_a, town_b, outside} <= listed_by_token(api, SERVICE_TOKEN)
    assert town_a in listed("operator")
    assert town_b not in listed("operator")
    detail = api.get(f"/api/v1/alerts/{outside}", headers=bearer(tokens["admin"]))
    assert detail.status_code == 404, "an admin of a town administers that town only"
    assert api.get(f"/api/v1/alerts/{town_b}", headers=bearer(tokens["county-operator"])).is_success


def listed_by_token(api: httpx.Client, token: str) -> set[str]:
    response = api.get("/api/v1/alerts", params={"limit": 500}, headers=bearer(token))
    return {a["id"] for a in response.json()}


def test_ack_by_a_user_is_audited_under_their_name(
    world: World, tokens: dict[str, str], api: httpx.Client
) -> None:
    alert_id = world.fresh_alert("in")
    acked = api.post(f"/api/v1/alerts/{alert_id}/ack", headers=bearer(tokens["operator"]))
    assert acked.status_code == 200
    assert acked.json()["acknowledged_by"] == "operator-a"
    detail = api.get(f"/api/v1/alerts/{alert_id}", headers=bearer(tokens["operator"])).json()
    assert detail["history"][-1]["actor"] == "operator-a"


# --- keys that stop working ---------------------------------------------------------------------


def test_revoked_keys_and_disabled_users_are_refused_at_once(
    service: Service, api: httpx.Client, module_dsn: str
) -> None:
    repo = AuthRepo()
    with service.pool.connection() as conn, conn.transaction():
        repo.add_user(conn, NewUser(name="leaver", role="dispatcher", jurisdiction="town-a"))
        first = repo.create_key(conn, "leaver")
        second = repo.create_key(conn, "leaver")
    assert api.get("/api/v1/alerts", headers=bearer(first.token)).status_code == 200
    with psycopg.connect(module_dsn) as conn:
        row = conn.execute(
            "SELECT last_used_at FROM api_keys WHERE id = %s", (first.id,)
        ).fetchone()
        assert row is not None
        assert row[0] is not None, "use is stamped"
        stored = conn.execute("SELECT hash FROM api_keys WHERE id = %s", (first.id,)).fetchone()
    assert stored is not None
    assert first.token.split("_", 2)[2] not in str(stored[0]), "the secret is not stored"

    wrong_secret = first.token[:-4] + ("AAAA" if not first.token.endswith("AAAA") else "BBBB")
    assert api.get("/api/v1/alerts", headers=bearer(wrong_secret)).status_code == 401

    with service.pool.connection() as conn, conn.transaction():
        assert repo.revoke_key(conn, first.id)
    assert api.get("/api/v1/alerts", headers=bearer(first.token)).status_code == 401
    assert api.get("/api/v1/alerts", headers=bearer(second.token)).status_code == 200

    with service.pool.connection() as conn, conn.transaction():
        assert repo.disable_user(conn, "leaver")
    assert api.get("/api/v1/alerts", headers=bearer(second.token)).status_code == 401
    with pytest.raises(InvalidStatus):
        connect(_live_url(service, second.token), open_timeout=10).close()


# --- the live feed ---------------------------------------------------------------------------


def _live_url(service: Service, token: str) -> str:
    return f"ws://127.0.0.1:{service.api_port}/api/v1/live?token={token}"


def _pushed_alert(where: Where | None, kind: EventKind = EventKind.HIGH_SPEED) -> Alert:
    now = datetime.now(UTC)
    lat, lon = POSITION[where] if where else NOWHERE
    return Alert(
        id=uuid.uuid4(),
        kind=kind,
        target=f"radar:live-{uuid.uuid4().hex[:8]}",
        score=50,
        level=Level.YELLOW,
        lat=lat,
        lon=lon,
        jurisdiction=TOWN[where] if where else None,
        event_ids=(uuid.uuid4(),),
        event_count=1,
        created_at=now,
        updated_at=now,
    )


def _received_until(ws: Any, last: str) -> list[str]:
    """Alert ids pushed up to and including `last`. Other tests' alerts may pass by too; what
    matters is which of ours arrive before `last`, published after them on the same topic."""
    received: list[str] = []
    while not received or received[-1] != last:
        received.append(str(json.loads(ws.recv(timeout=15))["id"]))
    return received


def _wait_subscribed(service: Service, count: int) -> None:
    """The server subscribes a client to the feed just after the handshake."""
    context = _app(service).state.context
    wait_for(lambda: context.live.client_count >= count, timeout_s=5)


@pytest.mark.parametrize("where", WHERES)
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_live_feed_matrix(
    role: Role, where: Where, service: Service, tokens: dict[str, str], world: World
) -> None:
    assert world.alerts, "the world exists (its alerts went out before this client joined)"
    with connect(_live_url(service, tokens[role.value]), open_timeout=10) as ws:
        _wait_subscribed(service, 1)
        candidate, marker = _pushed_alert(where), _pushed_alert("in")
        # In order on one topic: a leaked out-of-area alert would arrive before the marker.
        service.publish_alert(candidate)
        service.publish_alert(marker)
        pushed = str(candidate.id) in _received_until(ws, str(marker.id))
        assert pushed == (where == "in"), f"{role.value} got an alert {where} its area: {pushed}"


def test_live_feed_without_a_valid_token_is_refused(service: Service) -> None:
    for token in ("", "wrong-token-wrong-token", "swk_0123456789abcdef_" + "A" * 43):
        with pytest.raises(InvalidStatus):
            connect(_live_url(service, token), open_timeout=10).close()


def test_live_feed_end_to_end_by_area(
    service: Service, tokens: dict[str, str], world: World
) -> None:
    """Events through the alerts role: an operator of town A gets the alert in town A and not
    the one in town B; the county's operator gets both; the national one also the one outside
    every area."""
    assert world.alerts
    urls = {who: _live_url(service, tokens[who]) for who in ("operator", "county-operator")}
    urls["national-operator"] = _live_url(service, tokens["national-operator"])
    with (
        connect(urls["operator"], open_timeout=10) as town,
        connect(urls["county-operator"], open_timeout=10) as county,
        connect(urls["national-operator"], open_timeout=10) as national,
    ):
        _wait_subscribed(service, 3)
        now = datetime.now(UTC)
        targets: dict[str, str] = {}
        for name, (lat, lon) in (
            ("nowhere", NOWHERE),
            ("b", POSITION["out"]),
            ("a", POSITION["in"]),
        ):
            targets[name] = f"radar:e2e-{name}-{uuid.uuid4().hex[:6]}"
            service.publish_event(
                Event(
                    id=uuid.uuid4(),
                    kind=EventKind.DARK_TARGET,
                    start=now,
                    lat=lat,
                    lon=lon,
                    targets=(targets[name],),
                    config_version="test-authorization",
                )
            )
        alert_ids = {
            name: wait_for(partial(_alert_of, service, target))[0]
            for name, target in targets.items()
        }
        assert _alert_of(service, targets["nowhere"]) == (alert_ids["nowhere"], None)
        ours = set(alert_ids.values())

        def seen(ws: Any) -> list[str]:
            return [i for i in _received_until(ws, alert_ids["a"]) if i in ours]

        assert seen(town) == [alert_ids["a"]], "town A: its own alert only"
        assert seen(county) == [alert_ids["b"], alert_ids["a"]], "the county: both towns"
        assert seen(national) == [alert_ids["nowhere"], alert_ids["b"], alert_ids["a"]]
