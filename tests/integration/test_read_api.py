"""The read API against a real service (PostgreSQL, broker, recorder, alerts): events, tracks,
vessels, zones and statistics, each filtered to the caller's areas, with its validation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.composition import Service
from shorewatch.config.site import parse_config
from shorewatch.events import Event, EventKind, Observation, Source, VesselStatic
from shorewatch.store.auth_repo import AuthRepo, NewUser
from tests.waiting import wait_for

TOKEN = "read-api-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SQUARE = "[[11.0, {s}], [12.0, {s}], [12.0, {n}], [11.0, {n}], [11.0, {s}]]"
SITE_YAML = f"""
version: "test-read"
zones:
  - id: restricted-a
    name: Restricted A
    kind: restricted
    polygon: [[11.40, 58.24], [11.44, 58.24], [11.44, 58.26], [11.40, 58.26], [11.40, 58.24]]
    points: 30
jurisdictions:
  - {{id: county, name: County, level: county, polygon: {SQUARE.format(s=58.0, n=59.0)}}}
  - {{id: north, name: North, level: town, parent: county,
      polygon: {SQUARE.format(s=58.5, n=59.0)}}}
  - {{id: south, name: South, level: town, parent: county,
      polygon: {SQUARE.format(s=58.0, n=58.5)}}}
store: {{flush_interval_s: 0.1}}
"""
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SOUTH = (58.25, 11.42)  # inside restricted-a, in the south town
NORTH = (58.70, 11.50)


@pytest.fixture(scope="module")
def module_dsn(pg_server: str) -> Iterator[str]:
    """One database for the module: the service is started once and the tests only read."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"sw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(pg_server, dbname=name)
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def service(module_dsn: str, mqtt_url: str) -> Iterator[Service]:
    site = parse_config(SITE_YAML, "test.yaml", Path())
    svc = Service(
        site,
        dsn=module_dsn,
        mqtt_url=mqtt_url,
        roles=("recorder", "alerts", "api"),
        api_token=TOKEN,
        api_port=0,
        topic_root=f"swtest-{uuid.uuid4().hex[:10]}",
    )
    svc.start()
    try:
        _load(svc)
        yield svc
    finally:
        svc.stop()


@pytest.fixture(scope="module")
def api(service: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{service.api_port}/api/v1") as client:
        yield client


@pytest.fixture(scope="module")
def north_auth(service: Service) -> dict[str, str]:
    """An operator of the north town: sees the north, not the south."""
    repo = AuthRepo()
    with service.pool.connection() as conn:
        repo.add_user(conn, NewUser(name="north-op", role="operator", jurisdiction="north"))
        key = repo.create_key(conn, "north-op")
    return {"Authorization": f"Bearer {key.token}"}


def _obs(source: Source, ref: str, minute: int, lat: float, lon: float) -> Observation:
    return Observation(
        source=source,
        sensor_id="ais-1" if source is Source.AIS else "radar-1",
        target_ref=ref,
        time=T0 + timedelta(minutes=minute),
        lat=lat,
        lon=lon,
        sog_kn=20.0,
        cog_deg=0.0,
    )


def _event(kind: EventKind, target: str, minute: int, where: tuple[float, float]) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=kind,
        start=T0 + timedelta(minutes=minute),
        lat=where[0],
        lon=where[1],
        targets=(target,),
        zone="restricted-a" if where == SOUTH else None,
        facts={"sog_kn": 20.0},
        config_version="test-read",
    )


def _load(svc: Service) -> None:
    """Two vessels (south with identity, north position only), a radar track, three events."""
    ais = svc.publish_observation("ais-1")
    radar = svc.publish_observation("radar-1", Source.RADAR)
    ais(VesselStatic(sensor_id="ais-1", time=T0, mmsi=265000001, name="SOUTH STAR", callsign="SS1"))
    ais(VesselStatic(sensor_id="ais-1", time=T0, mmsi=265000003, name="HARBOUR CAT"))
    for minute in range(5):
        ais(_obs(Source.AIS, "265000001", minute, SOUTH[0] + minute * 0.001, SOUTH[1]))
        ais(_obs(Source.AIS, "265000002", minute, NORTH[0] + minute * 0.001, NORTH[1]))
        radar(_obs(Source.RADAR, "radar-1-7", minute, 58.30, 11.30 + minute * 0.001))
    svc.publish_event(_event(EventKind.ZONE_ENTRY, "ais:265000001", 2, SOUTH))
    svc.publish_event(_event(EventKind.DARK_TARGET, "radar:radar-1-7", 3, (58.30, 11.303)))
    svc.publish_event(_event(EventKind.ZONE_ENTRY, "ais:265000002", 4, NORTH))
    assert svc.writer is not None
    wait_for(lambda: svc.writer is not None and svc.writer.wait_idle(1) and _rows(svc) >= 17)
    wait_for(lambda: _count(svc, "SELECT count(*) FROM alerts") == 3)


def _count(svc: Service, query: str) -> int:
    with svc.pool.connection() as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(str(row[0]))


def _rows(svc: Service) -> int:
    return _count(svc, "SELECT count(*) FROM observations") + _count(
        svc, "SELECT count(*) FROM vessels"
    )


WINDOW = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()}
BBOX = "11.0,58.0,12.0,59.0"


def test_tracks_group_points_per_target_in_time_order(api: httpx.Client) -> None:
    body = api.get("/tracks", params={"bbox": BBOX, **WINDOW}, headers=AUTH).json()
    assert [t["target"] for t in body["tracks"]] == [
        "ais:265000001",
        "ais:265000002",
        "radar:radar-1-7",
    ]
    assert body["points"] == 15
    assert body["truncated"] is False
    south = body["tracks"][0]
    assert south["source"] == "ais"
    times = [p["time"] for p in south["points"]]
    assert times == sorted(times)
    assert len(times) == 5
    assert south["points"][0]["sensor_id"] == "ais-1"

    capped = api.get("/tracks", params={"bbox": BBOX, "limit": 4, **WINDOW}, headers=AUTH).json()
    assert capped["truncated"] is True
    assert capped["points"] == 4
    newest = [p["time"] for t in capped["tracks"] for p in t["points"]]
    assert min(newest) >= (T0 + timedelta(minutes=3)).isoformat().replace("+00:00", "Z")

    one = api.get(
        "/tracks", params={"bbox": BBOX, "target": "radar:radar-1-7", **WINDOW}, headers=AUTH
    ).json()
    assert [t["target"] for t in one["tracks"]] == ["radar:radar-1-7"]
    small = api.get("/tracks", params={"bbox": "11.4,58.2,11.5,58.3", **WINDOW}, headers=AUTH)
    assert [t["target"] for t in small.json()["tracks"]] == ["ais:265000001"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"bbox": "11,58,12"}, "four numbers"),
        ({"bbox": "a,b,c,d"}, "four numbers"),
        ({"bbox": "11,58,nan,59"}, "four numbers"),
        ({"bbox": "12,58,11,59"}, "minlon < maxlon"),
        ({"bbox": "11,58,12,91"}, "maxlat <= 90"),
        ({"bbox": "0,50,10,60"}, "larger than 5 degrees"),
        ({"bbox": BBOX, "start": "2026-11-20T12:00:00Z", "end": "2026-11-22T12:00:00Z"}, "24"),
        ({"bbox": BBOX, "start": "2026-11-20T12:00:00Z", "end": "2026-11-20T11:00:00Z"}, "before"),
        ({"bbox": BBOX, "target": "sonar:1", **WINDOW}, "unknown source"),
    ],
)
def test_tracks_refuse_bad_boxes_and_windows(
    api: httpx.Client, params: dict[str, str], message: str
) -> None:
    response = api.get("/tracks", params=params, headers=AUTH)
    assert response.status_code == 422, response.text
    assert message in response.text


def test_tracks_validation_of_types(api: httpx.Client) -> None:
    assert api.get("/tracks", headers=AUTH).status_code == 422, "bbox is required"
    naive = {"bbox": BBOX, "start": "2026-11-20T12:00:00"}
    assert api.get("/tracks", params=naive, headers=AUTH).status_code == 422
    assert api.get("/tracks", params={"bbox": BBOX, "limit": 0}, headers=AUTH).status_code == 422
    assert api.get("/tracks", params={"bbox": BBOX}).status_code == 401


def test_vessels_with_identity_and_last_position(api: httpx.Client) -> None:
    vessels = api.get("/vessels", headers=AUTH).json()
    assert [v["mmsi"] for v in vessels] == [265000001, 265000003]
    south = vessels[0]
    assert south["name"] == "SOUTH STAR"
    assert south["last_position"]["time"] == "2026-11-20T12:04:00Z"
    assert south["last_position"]["lat"] == pytest.approx(58.254)
    assert vessels[1]["last_position"] is None, "identity heard, no position yet"

    assert api.get("/vessels", params={"name": "star"}, headers=AUTH).json()[0]["mmsi"] == 265000001
    assert api.get("/vessels", params={"name": "%"}, headers=AUTH).json() == []
    only_position = api.get("/vessels/265000002", headers=AUTH).json()
    assert only_position["name"] is None
    assert only_position["last_position"]["lat"] == pytest.approx(58.704)
    assert api.get("/vessels/265999999", headers=AUTH).status_code == 404
    assert api.get("/vessels/1000000000", headers=AUTH).status_code == 422
    assert api.get("/vessels", params={"name": "a\x00b"}, headers=AUTH).status_code == 422


def test_events_filters_and_paging(api: httpx.Client) -> None:
    every = api.get("/events", headers=AUTH).json()
    assert [e["targets"][0] for e in every] == [
        "ais:265000002",
        "radar:radar-1-7",
        "ais:265000001",
    ], "newest first"
    dark = api.get("/events", params={"kind": "dark_target"}, headers=AUTH).json()
    assert [e["kind"] for e in dark] == ["dark_target"]
    both = api.get(
        "/events", params=[("kind", "dark_target"), ("kind", "zone_entry")], headers=AUTH
    )
    assert len(both.json()) == 3
    by_target = api.get("/events", params={"target": "ais:265000001"}, headers=AUTH).json()
    assert [e["zone"] for e in by_target] == ["restricted-a"]
    in_zone = api.get("/events", params={"zone": "restricted-a"}, headers=AUTH).json()
    assert len(in_zone) == 1
    window = {"start": "2026-11-20T12:03:00Z", "end": "2026-11-20T12:04:00Z"}
    assert [e["kind"] for e in api.get("/events", params=window, headers=AUTH).json()] == [
        "dark_target"
    ]
    page = api.get("/events", params={"limit": 1, "offset": 1}, headers=AUTH).json()
    assert page == [every[1]]
    for bad in (
        {"kind": "nope"},
        {"target": "no-colon"},
        {"limit": 501},
        {"zone": "a\x00"},
        {"start": "0.5"},
        {"end": "1700000000"},
    ):
        assert api.get("/events", params=bad, headers=AUTH).status_code == 422, bad
    backwards = {"start": "2026-11-20T13:00:00Z", "end": "2026-11-20T12:00:00Z"}
    assert api.get("/events", params=backwards, headers=AUTH).status_code == 422


def test_zones_as_geojson(api: httpx.Client) -> None:
    zones = api.get("/zones", headers=AUTH).json()
    assert zones["type"] == "FeatureCollection"
    (feature,) = zones["features"]
    assert feature["id"] == "restricted-a"
    assert feature["properties"] == {"name": "Restricted A", "kind": "restricted", "points": 30.0}
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["geometry"]["coordinates"][0][0] == [11.40, 58.24]


def test_restricted_caller_sees_only_their_area(
    api: httpx.Client, north_auth: dict[str, str]
) -> None:
    events = api.get("/events", headers=north_auth).json()
    assert [e["targets"] for e in events] == [["ais:265000002"]]
    assert api.get("/events", params={"offset": 1}, headers=north_auth).json() == []
    tracks = api.get("/tracks", params={"bbox": BBOX, **WINDOW}, headers=north_auth).json()
    assert [t["target"] for t in tracks["tracks"]] == ["ais:265000002"]
    assert api.get("/vessels", headers=north_auth).json() == [], "no identity heard in the north"
    assert api.get("/vessels/265000002", headers=north_auth).status_code == 200
    assert api.get("/vessels/265000001", headers=north_auth).status_code == 404
    stats = api.get("/stats", params=_stats_window(), headers=north_auth).json()
    assert [j["jurisdiction"] for j in stats["jurisdictions"]] == ["north"]
    assert api.get("/zones", headers=north_auth).status_code == 200


def _stats_window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "start": (now - timedelta(days=1)).isoformat(),
        "end": (now + timedelta(hours=1)).isoformat(),
    }


def test_stats_counts_and_times_per_jurisdiction(api: httpx.Client) -> None:
    alerts = api.get("/alerts", headers=AUTH).json()
    south = next(a for a in alerts if a["target"] == "ais:265000001")
    acked = api.post(f"/alerts/{south['id']}/ack", headers=AUTH, json={"note": "seen"})
    assert acked.status_code == 200, acked.text

    stats = api.get("/stats", params=_stats_window(), headers=AUTH).json()
    by_area = {j["jurisdiction"]: j for j in stats["jurisdictions"]}
    assert set(by_area) == {"north", "south"}
    assert by_area["south"]["alerts"] == 2
    assert by_area["south"]["by_level"] == {"red": 0, "orange": 1, "yellow": 1, "blue": 0}
    assert by_area["south"]["by_outcome"] == {"confirmed": 0, "false_alarm": 0, "benign": 0}
    ack = by_area["south"]["time_to_acknowledge"]
    assert ack["count"] == 1
    assert 0 <= ack["median_s"] <= ack["p90_s"] < 600
    assert by_area["south"]["time_to_dispatch"] == {"count": 0, "median_s": None, "p90_s": None}
    assert by_area["north"]["time_to_acknowledge"]["count"] == 0

    old = {"start": "2020-01-01T00:00:00Z", "end": "2020-02-01T00:00:00Z"}
    assert api.get("/stats", params=old, headers=AUTH).json()["jurisdictions"] == []
    too_long = {"start": "2020-01-01T00:00:00Z", "end": "2022-01-01T00:00:00Z"}
    assert api.get("/stats", params=too_long, headers=AUTH).status_code == 422
    assert (
        api.get("/stats", params={"end": "0001-01-01T00:00:00Z"}, headers=AUTH).status_code == 422
    )
