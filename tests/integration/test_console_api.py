"""The API the console reads besides alerts (issue 11): who am I, the areas, the sensors with
their health, the map settings and the live picture, against a real service (PostgreSQL,
Mosquitto, detector, alerts and API roles)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from app.composition import Service
from shorewatch.config.site import parse_config
from shorewatch.episodes import closed, new_event
from shorewatch.events import EventKind
from shorewatch.store.auth_repo import AuthRepo, NewUser
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
