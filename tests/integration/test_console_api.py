"""The API the console reads besides alerts (issue 11): who am I, the areas, the sensors with
their health, the map settings and the live picture, against a real service (PostgreSQL,
Mosquitto, detector, alerts and API roles)."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg.conninfo import make_conninfo
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from api.picture import BBox
from app.composition import Service
from shorewatch.config.site import parse_config
from shorewatch.episodes import Facts, closed, new_event
from shorewatch.events import (
    Alert,
    EventKind,
    Level,
    PictureTrack,
    PictureUpdate,
    Source,
    VesselStatic,
)
from shorewatch.store.auth_repo import AuthRepo, NewUser
from tests.detection import run_straight
from tests.waiting import wait_for

TOKEN = "console-api-test-token-0123456789"


def square(west: float, south: float, east: float, north: float) -> str:
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return "[" + ", ".join(f"[{lon}, {lat}]" for lon, lat in corners) + "]"


SITE_YAML = f"""
version: "test-console-api"
ingest:
  ais: [{{id: rx-north, transport: mqtt}}]
  radar:
    - {{id: radar-head, transport: mqtt, format: json,
       site: {{lat: 58.25, lon: 11.40, heading_deg: 10, range_m: 11000}}}}
  edge_cameras:
    - id: mast
      calibration: {{method: pose, lat: 58.26, lon: 11.41, height_m: 20, heading_deg: 250,
                    tilt_deg: 5, fov_deg: 60, width: 1920, height: 1080}}
jurisdictions:
  - {{id: county, name: County, level: county, polygon: {square(11.0, 58.0, 12.0, 58.5)}}}
  - {{id: town-a, name: Town A, level: town, parent: county,
      polygon: {square(11.0, 58.0, 11.5, 58.5)}}}
  - {{id: town-b, name: Town B, level: town, parent: county,
      polygon: {square(11.5, 58.0, 12.0, 58.5)}}}
console: {{basemap_style_url: "/tiles/style.json", zoom: 10.5}}
"""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def service(pg_server: str, mqtt_url: str) -> Iterator[Service]:
    name = f"sw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    svc = Service(
        parse_config(SITE_YAML, "test.yaml", Path()),
        dsn=make_conninfo(pg_server, dbname=name),
        mqtt_url=mqtt_url,
        roles=("detector", "alerts", "api"),
        api_token=TOKEN,
        api_port=0,
        topic_root=f"swtest-{uuid.uuid4().hex[:10]}",
    )
    svc.start()
    yield svc
    svc.stop()
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def keys(service: Service) -> dict[str, str]:
    repo = AuthRepo()
    found: dict[str, str] = {}
    with service.pool.connection() as conn, conn.transaction():
        for user in (
            NewUser(name="anna", role="operator", jurisdiction="town-a"),
            NewUser(name="carl", role="dispatcher", jurisdiction="county"),
        ):
            repo.add_user(conn, user)
            found[user.name] = repo.create_key(conn, user.name).token
    return found


@pytest.fixture(scope="module")
def api(service: Service) -> Iterator[httpx.Client]:
    url = f"http://127.0.0.1:{service.api_port}/api/v1"
    with httpx.Client(base_url=url, timeout=10) as client:
        yield client


def get(api: httpx.Client, path: str, token: str, **params: Any) -> Any:
    response = api.get(path, params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


# --- who am I, and the areas -----------------------------------------------------------------


def test_me_names_the_caller_and_the_areas_it_sees(api: httpx.Client, keys: dict[str, str]) -> None:
    assert get(api, "/me", keys["anna"]) == {
        "name": "anna",
        "role": "operator",
        "jurisdiction": "town-a",
        "area": ["town-a"],
    }
    carl = get(api, "/me", keys["carl"])
    assert (carl["jurisdiction"], carl["area"]) == ("county", ["county", "town-a", "town-b"])
    service = get(api, "/me", TOKEN)
    assert (service["role"], service["jurisdiction"]) == ("admin", None)
    assert service["area"] == ["county", "town-a", "town-b"]


def test_jurisdictions_are_geojson_scoped_to_the_caller(
    api: httpx.Client, keys: dict[str, str]
) -> None:
    town = get(api, "/jurisdictions", keys["anna"])
    assert town["type"] == "FeatureCollection"
    assert [f["id"] for f in town["features"]] == ["town-a"]
    feature = town["features"][0]
    assert feature["properties"] == {
        "id": "town-a",
        "name": "Town A",
        "level": "town",
        "parent": "county",
    }
    assert feature["geometry"]["type"] == "Polygon"
    ring = feature["geometry"]["coordinates"][0]
    assert {tuple(p) for p in ring} == {(11.0, 58.0), (11.5, 58.0), (11.5, 58.5), (11.0, 58.5)}
    county = get(api, "/jurisdictions", keys["carl"])
    assert [f["id"] for f in county["features"]] == ["county", "town-a", "town-b"]


# --- sensors ---------------------------------------------------------------------------------


def _sensors(api: httpx.Client) -> dict[str, Any]:
    return {s["id"]: s for s in get(api, "/sensors", TOKEN)}


def test_sensors_come_from_the_site_with_their_health(service: Service, api: httpx.Client) -> None:
    sensors = _sensors(api)
    assert sensors["rx-north"] == {
        "id": "rx-north",
        "kind": "ais",
        "lat": None,
        "lon": None,
        "heading_deg": None,
        "fov_deg": None,
        "range_m": None,
        "online": True,
        "since": None,
        "ptz": False,
    }
    radar = sensors["radar-head"]
    assert (radar["kind"], radar["lat"], radar["lon"]) == ("radar", 58.25, 11.40)
    assert (radar["heading_deg"], radar["range_m"]) == (10, 11000)
    mast = sensors["mast"]
    assert (mast["kind"], mast["lat"], mast["lon"]) == ("camera", 58.26, 11.41)
    assert (mast["heading_deg"], mast["fov_deg"], mast["online"]) == (250, 60, True)

    # The camera goes dark: its outage episode (stored by the alerts role) marks it offline.
    went = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    outage = new_event(
        EventKind.SENSOR_OFFLINE,
        ("sensor:mast",),
        went,
        58.26,
        11.41,
        {"sensor": "mast", "reason": "read timeout"},
        "test-console-api",
    )
    service.publish_event(outage)
    wait_for(lambda: not _sensors(api)["mast"]["online"])
    mast = _sensors(api)["mast"]
    assert datetime.fromisoformat(mast["since"]) == went
    assert _sensors(api)["radar-head"]["online"], "only the camera is down"

    back = went + timedelta(minutes=2)
    service.publish_event(closed(outage, back, {"back": "frames again"}))
    wait_for(lambda: _sensors(api)["mast"]["online"])
    assert datetime.fromisoformat(_sensors(api)["mast"]["since"]) == back


# --- console settings ------------------------------------------------------------------------


def test_console_settings_from_the_yaml_centred_on_the_callers_area(
    api: httpx.Client, keys: dict[str, str]
) -> None:
    town = get(api, "/console/settings", keys["anna"])
    assert town == {
        "basemap_style_url": "/tiles/style.json",
        "center": [11.25, 58.25],
        "zoom": 10.5,
    }
    county = get(api, "/console/settings", keys["carl"])
    assert county["center"] == [11.5, 58.25]


def test_console_block_refuses_unknown_keys_and_keeps_a_set_centre() -> None:
    with pytest.raises(ValueError, match=r"console\.colour"):
        parse_config('version: "x"\nconsole: {colour: red}', "site.yaml", Path())
    site = parse_config('version: "x"\nconsole: {center: [11.4, 58.2]}', "site.yaml", Path())
    assert site.console.center == (11.4, 58.2)
    assert site.console.zoom == 9.0


# --- the live picture ------------------------------------------------------------------------

VESSEL_MMSI, FAR_MMSI = 265000101, 265000102
TOWN_A, TOWN_B = (58.25, 11.30), (58.25, 11.70)


def _send_vessel_and_echo(service: Service, start: datetime, count: int) -> None:
    """An AIS vessel in town A with its radar echo, and a vessel in town B, through the bus."""
    ais = service.publish_observation("rx-north")
    radar = service.publish_observation("radar-head", Source.RADAR)
    ais(VesselStatic(sensor_id="rx-north", time=start, mmsi=VESSEL_MMSI, name="NORDIC STAR"))
    vessel = run_straight(VESSEL_MMSI, start, *TOWN_A, sog=10, cog=90, every_s=3, count=count)
    echo = run_straight(
        "radar-head-12",
        start,
        *TOWN_A,
        sog=10,
        cog=90,
        every_s=3,
        count=count,
        source=Source.RADAR,
        sensor="radar-head",
    )
    far = run_straight(FAR_MMSI, start, *TOWN_B, sog=8, cog=0, every_s=3, count=count)
    for a, r, f in zip(vessel, echo, far, strict=True):
        ais(a)
        radar(r)
        ais(f)


def _picture(api: httpx.Client, token: str, **params: Any) -> dict[str, Any]:
    return {t["key"]: t for t in get(api, "/picture", token, **params)["tracks"]}


@pytest.fixture(scope="module")
def scene(service: Service, api: httpx.Client) -> datetime:
    start = datetime.now(UTC) - timedelta(seconds=60)
    _send_vessel_and_echo(service, start, count=6)
    wait_for(
        lambda: _picture(api, TOKEN).get(f"ais:{VESSEL_MMSI}", {}).get("associated"),
        timeout_s=15,
    )
    return start


def test_an_ais_vessel_and_its_fused_radar_echo_are_one_target(
    api: httpx.Client, scene: datetime
) -> None:
    picture = _picture(api, TOKEN)
    vessel = picture[f"ais:{VESSEL_MMSI}"]
    assert vessel["associated"] == ["radar:radar-head-12"]
    assert vessel["sources"] == ["ais", "radar"]
    assert (vessel["name"], vessel["mmsi"], vessel["jurisdiction"]) == (
        "NORDIC STAR",
        VESSEL_MMSI,
        "town-a",
    )
    assert "radar:radar-head-12" not in picture, "the echo is drawn inside the vessel"
    assert datetime.fromisoformat(vessel["last_seen"]) == scene + timedelta(seconds=15)
    assert picture[f"ais:{FAR_MMSI}"]["jurisdiction"] == "town-b"


def test_picture_by_area_and_box(api: httpx.Client, keys: dict[str, str], scene: datetime) -> None:
    assert scene
    ours = {f"ais:{VESSEL_MMSI}", f"ais:{FAR_MMSI}"}
    assert set(_picture(api, keys["anna"])) & ours == {f"ais:{VESSEL_MMSI}"}, "anna: town A"
    assert set(_picture(api, keys["carl"])) & ours == ours, "carl: the county"
    east = _picture(api, TOKEN, bbox="11.6,58.0,11.8,58.5")
    assert set(east) & ours == {f"ais:{FAR_MMSI}"}
    assert set(_picture(api, keys["anna"], bbox="11.6,58.0,11.8,58.5")) & ours == set()
    refused = api.get("/picture", params={"bbox": "11.8,58.0,11.6"}, headers=bearer(TOKEN))
    assert refused.status_code == 422


def test_an_open_alert_colours_its_target(
    service: Service, api: httpx.Client, scene: datetime
) -> None:
    event = new_event(
        EventKind.DARK_TARGET, ("radar:radar-head-12",), scene, *TOWN_A, {}, "test-console-api"
    )
    service.publish_event(event)
    vessel = wait_for(
        lambda: (v := _picture(api, TOKEN)[f"ais:{VESSEL_MMSI}"])["alert_level"] and v
    )
    with service.pool.connection() as conn:
        row = conn.execute(
            "SELECT id::text, level FROM alerts WHERE target = 'radar:radar-head-12'"
        ).fetchone()
    assert row is not None
    assert vessel["alert_ids"] == [row[0]], "an alert on the fused echo colours the vessel"
    assert vessel["alert_level"] == row[1]


def _next_picture(ws: Any) -> dict[str, Any]:
    return _next_of_type(ws, "picture")


def _next_of_type(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        message = json.loads(ws.recv(timeout=10))
        if message["type"] == kind:
            return dict(message)


def test_websocket_viewport_gets_the_picture_in_view_then_changes(
    service: Service, keys: dict[str, str], scene: datetime
) -> None:
    url = f"ws://127.0.0.1:{service.api_port}/api/v1/live?token={keys['carl']}"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "viewport", "bbox": [11.0, 58.0, 11.5, 58.5]}))
        first = _next_picture(ws)
        keys_in_view = {t["key"] for t in first["tracks"]}
        assert f"ais:{VESSEL_MMSI}" in keys_in_view
        assert f"ais:{FAR_MMSI}" not in keys_in_view, "outside the viewport"
        assert first["removed"] == []

        # The vessel moves on: its change arrives batched (not one message per report).
        later = scene + timedelta(seconds=30)
        ais = service.publish_observation("rx-north")
        for report in run_straight(VESSEL_MMSI, later, *TOWN_A, sog=10, cog=90, every_s=1, count=3):
            ais(report)
        sent = time.monotonic()
        newest = later + timedelta(seconds=2)
        carried: list[datetime] = []
        while newest not in carried:
            message = _next_picture(ws)
            carried += [
                datetime.fromisoformat(t["last_seen"])
                for t in message["tracks"]
                if t["key"] == f"ais:{VESSEL_MMSI}"
            ]
        assert time.monotonic() - sent < 5
        assert len(carried) <= 2, f"three reports in one batch, or two at a flush: {carried}"

        # A new viewport: everything in it at once, and what left the view is removed.
        ws.send(json.dumps({"type": "viewport", "bbox": [11.6, 58.0, 11.8, 58.5]}))
        moved = _next_picture(ws)
        assert f"ais:{FAR_MMSI}" in {t["key"] for t in moved["tracks"]}
        assert f"ais:{VESSEL_MMSI}" in moved["removed"]


def test_websocket_picture_keeps_to_the_callers_area(
    service: Service, keys: dict[str, str], scene: datetime
) -> None:
    assert scene
    url = f"ws://127.0.0.1:{service.api_port}/api/v1/live?token={keys['anna']}"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "viewport", "bbox": [11.0, 58.0, 12.0, 58.5]}))
        seen = {t["key"] for t in _next_picture(ws)["tracks"]}
        assert f"ais:{VESSEL_MMSI}" in seen
        assert f"ais:{FAR_MMSI}" not in seen, "town B's vessel is not anna's"
        for wrong in ("not json", b"\x00\x01", '{"type": "viewport", "bbox": [1, 2]}'):
            ws.send(wrong)
            assert _next_of_type(ws, "error")["detail"].startswith("ignored")
        ws.send(json.dumps({"type": "viewport", "bbox": [11.0, 58.0, 11.5, 58.5]}))
        assert f"ais:{VESSEL_MMSI}" in {t["key"] for t in _next_picture(ws)["tracks"]}


# --- the live feed re-checks its key (issue 15, item 7) --------------------------------------


def _town_alert() -> Alert:
    now = datetime.now(UTC)
    return Alert(
        id=uuid.uuid4(),
        kind=EventKind.HIGH_SPEED,
        target=f"radar:revoke-{uuid.uuid4().hex[:8]}",
        score=50,
        level=Level.YELLOW,
        lat=TOWN_A[0],
        lon=TOWN_A[1],
        jurisdiction="town-a",
        event_ids=(uuid.uuid4(),),
        event_count=1,
        created_at=now,
        updated_at=now,
    )


@pytest.mark.parametrize("how", ["revoke the key", "disable the user"])
def test_live_feed_is_closed_when_its_key_is_revoked_or_its_user_disabled(
    service: Service, how: str
) -> None:
    repo = AuthRepo()
    name = f"leaver-{uuid.uuid4().hex[:6]}"
    with service.pool.connection() as conn, conn.transaction():
        repo.add_user(conn, NewUser(name=name, role="operator", jurisdiction="town-a"))
        key = repo.create_key(conn, name)
    url = f"ws://127.0.0.1:{service.api_port}/api/v1/live?token={key.token}"
    with connect(url, open_timeout=10) as ws:
        before = _town_alert()
        wait_for(lambda: _app(service).state.context.live.client_count >= 1)
        service.publish_alert(before)
        assert _alert_ids_until(ws, before.id), "the feed works before"

        with service.pool.connection() as conn, conn.transaction():
            if how == "revoke the key":
                assert repo.revoke_key(conn, key.id)
            else:
                assert repo.disable_user(conn, name)
        revoked = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            _listen_while_alerts_come(service, ws, seconds=20)
        took = time.monotonic() - revoked
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008, closed.value
    assert took < 8, f"closed {took:.1f} s after the revocation"


def _listen_while_alerts_come(service: Service, ws: Any, seconds: float) -> None:
    """Alerts of the client's town keep coming; returns only if it is never closed."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        service.publish_alert(_town_alert())
        with contextlib.suppress(TimeoutError):
            ws.recv(timeout=0.5)


def _alert_ids_until(ws: Any, last: uuid.UUID) -> list[str]:
    received: list[str] = []
    while str(last) not in received:
        message = json.loads(ws.recv(timeout=10))
        if message["type"] == "alert":
            received.append(message["id"])
    return received


def _app(service: Service) -> FastAPI:
    assert service.api_server is not None
    app = service.api_server.config.app
    assert isinstance(app, FastAPI)
    return app


# --- incidents: one row per target -----------------------------------------------------------


def _incidents(api: httpx.Client, token: str = TOKEN) -> dict[str, Any]:
    return {i["target"]: i for i in get(api, "/incidents", token)}


def test_a_dark_speedboat_with_two_alert_kinds_is_one_incident(
    service: Service, api: httpx.Client, keys: dict[str, str]
) -> None:
    boat = f"radar:radar-head-{uuid.uuid4().int % 1000 + 500}"
    start = datetime.now(UTC) - timedelta(minutes=2)
    speedboat: list[tuple[EventKind, Facts]] = [
        (EventKind.DARK_TARGET, {"dark_for_s": 120.0}),
        (EventKind.HIGH_SPEED, {"speed_kn": 42.0}),
    ]
    for kind, facts in speedboat:
        service.publish_event(new_event(kind, (boat,), start, *TOWN_A, facts, "test-console-api"))
    incident = wait_for(lambda: (i := _incidents(api).get(boat)) and len(i["kinds"]) == 2 and i)
    assert incident["kinds"] == ["dark_target", "high_speed"]
    alerts = incident["alerts"]
    assert {a["kind"] for a in alerts} == {"dark_target", "high_speed"}
    assert incident["alert_ids"] == [a["id"] for a in alerts]
    order = ["red", "orange", "yellow", "blue"]
    assert incident["level"] == min((a["level"] for a in alerts), key=order.index)
    assert incident["state"] == "new"
    assert incident["age_s"] >= 0
    assert incident["jurisdiction"] == "town-a"
    assert boat in _incidents(api, keys["anna"]), "town A's boat is on anna's desk"
    assert boat in _incidents(api, keys["carl"])


def test_an_incident_of_a_vessel_holds_its_fused_echos_alerts_and_desk_order(
    service: Service, api: httpx.Client, keys: dict[str, str], scene: datetime
) -> None:
    vessel, echo = f"ais:{VESSEL_MMSI}", "radar:radar-head-12"
    for kind, target in ((EventKind.DARK_TARGET, echo), (EventKind.ZONE_ENTRY, vessel)):
        service.publish_event(
            new_event(kind, (target,), scene, *TOWN_A, {}, "test-console-api", zone="x")
        )
    incident = wait_for(lambda: (i := _incidents(api).get(vessel)) and len(i["targets"]) == 2 and i)
    assert incident["targets"] == [vessel, echo]
    assert (incident["name"], incident["mmsi"]) == ("NORDIC STAR", VESSEL_MMSI)
    assert echo not in _incidents(api), "the echo's alert is in the vessel's row"
    rows = get(api, "/incidents", TOKEN)
    order = ["red", "orange", "yellow", "blue"]
    ranks = [(order.index(r["level"]), r["created_at"]) for r in rows]
    assert ranks == sorted(ranks), "highest level first, then the oldest"
    far = f"ais:{FAR_MMSI}"
    service.publish_event(
        new_event(EventKind.ZONE_ENTRY, (far,), scene, *TOWN_B, {}, "test-console-api", zone="y")
    )
    wait_for(lambda: far in _incidents(api))
    assert far not in _incidents(api, keys["anna"]), "town B's incident is not on anna's desk"


# --- a console that stops reading ------------------------------------------------------------

CROWD = BBox(11.0, 57.5, 11.5, 57.7)
"""Outside every jurisdiction, so only unrestricted callers see the crowd (and no other test)."""


def _crowd(now: datetime, count: int, step: int) -> PictureUpdate:
    return PictureUpdate(
        tile="57N011E",
        time=now,
        tracks=tuple(
            PictureTrack(
                key=f"radar:crowd-{i}",
                sources=(Source.RADAR,),
                lat=57.5 + (i % 50) * 0.004,
                lon=11.0 + (i // 50) * 0.004 + step * 1e-5,
                sog_kn=5.0,
                last_seen=now,
            )
            for i in range(count)
        ),
    )


def _stalled_client(port: int, token: str, bbox: BBox) -> socket.socket:
    """A WebSocket client that sends its viewport and then never reads (a frozen tab)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /api/v1/live?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    payload = json.dumps({"type": "viewport", "bbox": list(dataclasses.astuple(bbox))}).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    return sock


def test_a_console_that_stops_reading_is_closed_and_holds_up_nobody(service: Service) -> None:
    live = _app(service).state.context.live
    before = live.client_count
    stalled = _stalled_client(service.api_port, TOKEN, CROWD)
    url = f"ws://127.0.0.1:{service.api_port}/api/v1/live?token={TOKEN}"
    gaps: list[float] = []
    try:
        with connect(url, open_timeout=10, max_size=2**24) as ws:
            ws.send(json.dumps({"type": "viewport", "bbox": list(dataclasses.astuple(CROWD))}))
            wait_for(lambda: live.client_count >= before + 2)
            started = last = time.monotonic()
            step = 0
            while live.client_count > before + 1:  # until the stalled one is let go
                assert time.monotonic() - started < 40, "the stalled client was never closed"
                step += 1
                service.publish_picture(_crowd(datetime.now(UTC), 2000, step))
                with contextlib.suppress(TimeoutError):
                    while json.loads(ws.recv(timeout=0.5))["type"] != "picture":
                        pass
                    gaps.append(time.monotonic() - last)
                    last = time.monotonic()
            closed_after = time.monotonic() - started
            service.publish_picture(_crowd(datetime.now(UTC), 2000, step + 1))
            assert _next_picture(ws)["tracks"], "the reading client goes on after"
    finally:
        stalled.close()
        gone = tuple(f"radar:crowd-{i}" for i in range(2000))
        service.publish_picture(PictureUpdate(tile="57N011E", time=datetime.now(UTC), removed=gone))
    assert closed_after < 30
    assert len(gaps) >= 5
    assert max(gaps) < 3, f"the reading client waited {max(gaps):.1f} s for a picture"
