"""The watch list through the API against real PostgreSQL and broker: entries reach the running
detector's WatchList (and raise `watchlist_sighting`), removal is audited, hostile payloads are
refused with 422, and the detector's sync rides out a database it cannot reach."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from app.composition import Service
from detectors.watchlist import WatchEntry, WatchList
from detectors.watchlist_sync import WatchlistSync
from shorewatch.config.site import StoreConfig, parse_config
from shorewatch.events import VesselStatic
from shorewatch.store.db import open_pool
from shorewatch.store.migrations import migrate
from tests.nmea import position_report
from tests.waiting import wait_for as wait_for_at_most

TOKEN = "watchlist-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WATCHED = 257000111
SEEDED = 257000999
SITE_YAML = f"""
version: "test-watchlist"
ingest:
  ais:
    - {{id: udp-test, transport: udp, host: 127.0.0.1, port: 0}}
watchlist:
  - {{mmsi: {SEEDED}, reason: from the site file}}
store: {{flush_interval_s: 0.1}}
"""


wait_for = partial(wait_for_at_most, timeout_s=5.0)


@pytest.fixture
def service(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    site = parse_config(SITE_YAML, "test.yaml", Path())
    svc = Service(
        site, dsn=dsn, mqtt_url=mqtt_url, api_token=TOKEN, api_port=0, topic_root=topic_root
    )
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture
def api(service: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{service.api_port}/api/v1") as client:
        yield client


def watchlist_of(service: Service) -> WatchList:
    assert service.detector is not None
    return service.detector.watchlist


def matched_id(service: Service, mmsi: int) -> str | None:
    hit = watchlist_of(service).match(mmsi, None)
    return hit[0].id if hit else None


def test_token_required(api: httpx.Client) -> None:
    some_id = uuid.uuid4()
    bad = {"Authorization": "Bearer wrong-token-wrong-token"}
    for headers in ({}, bad):
        assert api.get("/watchlist", headers=headers).status_code == 401
        assert api.post("/watchlist", json={"mmsi": 1}, headers=headers).status_code == 401
        assert api.post("/watchlist", json={"bogus": 1}, headers=headers).status_code == 401
        assert api.delete(f"/watchlist/{some_id}", headers=headers).status_code == 401
    assert api.get("/watchlist", headers=AUTH).json() == []


def test_add_reaches_the_detector_and_delete_takes_it_off(
    service: Service, api: httpx.Client, dsn: str
) -> None:
    assert wait_for(lambda: matched_id(service, SEEDED) == "config:1"), "seed from the YAML"
    assert matched_id(service, WATCHED) is None

    created = api.post(
        "/watchlist",
        json={"mmsi": WATCHED, "name": " Night  Hawk ", "reason": "tip-off 42", "points": 55},
        headers=AUTH,
    )
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["mmsi"] == WATCHED
    assert entry["name"] == "Night  Hawk"
    assert entry["points"] == 55
    assert entry["created_by"] == "service-token"
    assert entry["created_at"]
    assert api.get("/watchlist", headers=AUTH).json() == [entry]

    assert wait_for(lambda: matched_id(service, WATCHED) == entry["id"], timeout_s=3.0)
    assert matched_id(service, SEEDED) == "config:1", "store entries add to the seeds"

    # The running pipeline raises a sighting for it: UDP -> ingest -> detector -> event.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        line = position_report(WATCHED, 58.0, 11.0, datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
        sock.sendto(line.encode() + b"\r\n", ("127.0.0.1", service.udp_ports["udp-test"]))
    sightings = wait_for(lambda: _sightings(dsn), timeout_s=15.0)
    assert sightings == [entry["id"]]

    gone = api.delete(f"/watchlist/{entry['id']}", headers=AUTH)
    assert gone.status_code == 204
    assert api.get("/watchlist", headers=AUTH).json() == []
    assert wait_for(lambda: matched_id(service, WATCHED) is None, timeout_s=3.0)
    assert matched_id(service, SEEDED) == "config:1"

    assert api.delete(f"/watchlist/{entry['id']}", headers=AUTH).status_code == 404
    assert api.delete(f"/watchlist/{uuid.uuid4()}", headers=AUTH).status_code == 404
    assert api.delete("/watchlist/not-a-uuid", headers=AUTH).status_code == 422
    with psycopg.connect(dsn) as conn:
        audit = conn.execute(
            "SELECT created_by, removed_by, removed_at IS NOT NULL FROM watchlist WHERE id = %s",
            (entry["id"],),
        ).fetchone()
    assert audit == ("service-token", "service-token", True), "removal is recorded, not erased"


def _sightings(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT facts->>'watchlist_id' FROM events WHERE kind = 'watchlist_sighting'"
        ).fetchall()
    return [str(r[0]) for r in rows]


HOSTILE_JSON: list[Any] = [
    {},
    {"reason": "no identifier at all", "points": 10},
    {"mmsi": None, "imo": None, "name": None, "callsign": None},
    {"mmsi": WATCHED, "unknown": 1},
    {"mmsi": WATCHED, "id": str(uuid.uuid4())},
    {"mmsi": WATCHED, "created_by": "someone else"},
    {"mmsi": str(WATCHED)},
    {"mmsi": True},
    {"mmsi": 1.5},
    {"mmsi": -1},
    {"mmsi": 1_000_000_000},
    {"mmsi": 10**40},
    {"imo": 10_000_000},
    {"imo": [1]},
    {"name": {"$ne": None}},
    {"name": "   "},
    {"name": "@@@@@@@@"},
    {"name": "A\x00B"},
    {"name": "LINE\nBREAK"},
    {"name": "X" * 65},
    {"name": "X" * 1_000_000},
    {"callsign": "C" * 17},
    {"mmsi": WATCHED, "reason": "R" * 501},
    {"mmsi": WATCHED, "reason": "nul\x00byte"},
    {"mmsi": WATCHED, "points": 101},
    {"mmsi": WATCHED, "points": -0.5},
    {"mmsi": WATCHED, "points": "50"},
    [{"mmsi": WATCHED}],
    "mmsi",
    None,
]
HOSTILE_RAW = [
    b'{"mmsi": 257000111, "points": NaN}',
    b'{"mmsi": 257000111, "points": Infinity}',
    b'{"mmsi": 257000111, "points": 1e999}',
]
UNPARSEABLE = [b'{"mmsi": 257000111', b"\xff\xfe not json", b"[" * 100_000]


def test_hostile_payloads_are_refused_with_422(api: httpx.Client) -> None:
    for payload in HOSTILE_JSON:
        response = api.post("/watchlist", json=payload, headers=AUTH)
        assert response.status_code == 422, (str(payload)[:80], response.status_code)
    for raw in HOSTILE_RAW:
        response = api.post(
            "/watchlist", content=raw, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert response.status_code == 422, (raw[:80], response.status_code)
    for raw in UNPARSEABLE:
        response = api.post(
            "/watchlist", content=raw, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert response.status_code in (400, 422), (raw[:80], response.status_code)
    assert api.get("/watchlist", headers=AUTH).json() == [], "nothing hostile was stored"

    why = api.post("/watchlist", json={"reason": "x"}, headers=AUTH).json()["detail"]
    assert "give at least one of mmsi, imo, name, callsign" in why[0]["msg"]
    huge = api.post("/watchlist", json={"name": "X" * 1_000_000}, headers=AUTH)
    assert len(huge.content) < 2_000, "the error does not echo a huge input back whole"
    json_type = {**AUTH, "Content-Type": "application/json"}
    nan = api.post("/watchlist", content=HOSTILE_RAW[0], headers=json_type).json()["detail"]
    assert nan[0]["input"] == "nan"
    assert api.get("/watchlist?limit=0", headers=AUTH).status_code == 422
    assert api.get("/watchlist?limit=abc", headers=AUTH).status_code == 422


def test_sync_polls_for_changes_that_sent_no_notification(dsn: str) -> None:
    pool = open_pool(dsn)
    try:
        migrate(pool, StoreConfig())
    finally:
        pool.close()
    watch = WatchList()
    sync = WatchlistSync(dsn, watch, [WatchEntry(id="seed", mmsi=1)], interval_s=0.5)
    sync.start()
    try:
        assert wait_for(lambda: sync.loads > 0)
        with psycopg.connect(dsn, autocommit=True) as conn:
            # Triggers off for this session: the row arrives without a NOTIFY.
            conn.execute("SET session_replication_role = replica")
            conn.execute(
                "INSERT INTO watchlist (id, imo, points, created_by) "
                "VALUES (gen_random_uuid(), 9074729, 30, 'psql')"
            )
        assert wait_for(lambda: _imo_hit(watch), timeout_s=3.0)
        assert watch.match(1, None) is not None, "seeds stay"
    finally:
        sync.stop()
    assert not sync.running


def _imo_hit(watch: WatchList) -> bool:
    static = VesselStatic(sensor_id="rx", time=datetime.now(UTC), mmsi=2, imo=9074729)
    return watch.match(2, static) is not None


def test_sync_survives_an_unreachable_database(pg_server: str) -> None:
    missing = make_conninfo(pg_server, dbname=f"sw_missing_{uuid.uuid4().hex[:8]}")
    watch = WatchList()
    sync = WatchlistSync(missing, watch, [WatchEntry(id="seed", mmsi=1)], retry_s=0.05)
    sync.start()
    try:
        time.sleep(0.5)
        assert sync.running, "database errors never end the sync thread"
        assert sync.loads == 0
        hit = watch.match(1, None)
        assert hit is not None
        assert hit[0].id == "seed", "the seeds match while the store is out of reach"
    finally:
        started = time.monotonic()
        sync.stop()
    assert not sync.running
    assert time.monotonic() - started < 2.0
