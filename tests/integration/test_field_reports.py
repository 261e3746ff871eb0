"""Field reports against a real service: a sighting is stored, its photo kept under the data
directory (typed by its bytes, named by us), and published as a `field_report` event that the
alerts role raises as an alert; hostile payloads are refused with 422 and a reason."""

from __future__ import annotations

import base64
import hashlib
import struct
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.composition import Service
from shorewatch.config.site import parse_config
from shorewatch.store.auth_repo import AuthRepo, NewUser
from shorewatch.store.photos import MAX_PHOTO_BYTES

TOKEN = "field-report-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SITE_YAML = """
version: "test-reports"
zones:
  - id: restricted-a
    name: Restricted A
    kind: restricted
    polygon: [[11.40, 58.24], [11.44, 58.24], [11.44, 58.26], [11.40, 58.26], [11.40, 58.24]]
    points: 30
jurisdictions:
  - {id: north, name: North, level: town,
     polygon: [[11.0, 58.5], [12.0, 58.5], [12.0, 59.0], [11.0, 59.0], [11.0, 58.5]]}
  - {id: south, name: South, level: town,
     polygon: [[11.0, 58.0], [12.0, 58.0], [12.0, 58.5], [11.0, 58.5], [11.0, 58.0]]}
"""
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def wait_for(predicate: Callable[[], object], timeout_s: float = 15.0) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout_s}s")


@pytest.fixture
def service(dsn: str, mqtt_url: str, topic_root: str, tmp_path: Path) -> Iterator[Service]:
    svc = Service(
        parse_config(SITE_YAML, "test.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("alerts", "api"),
        api_token=TOKEN,
        api_port=0,
        topic_root=topic_root,
        data_dir=tmp_path / "data",
    )
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture
def api(service: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{service.api_port}/api/v1") as client:
        yield client


def token_for(service: Service, name: str, role: str, jurisdiction: str | None) -> dict[str, str]:
    repo = AuthRepo()
    with service.pool.connection() as conn:
        repo.add_user(conn, NewUser(name=name, role=role, jurisdiction=jurisdiction))
        key = repo.create_key(conn, name)
    return {"Authorization": f"Bearer {key.token}"}


def sighting(**changes: Any) -> dict[str, Any]:
    seen = datetime.now(UTC) - timedelta(minutes=3)
    return {
        "time": seen.isoformat(),
        "lat": 58.25,
        "lon": 11.42,
        "description": "Grey RIB, two outboards, no lights, heading for the cove.",
        **changes,
    }


def test_report_becomes_event_and_alert(service: Service, api: httpx.Client) -> None:
    created = api.post("/reports", json=sighting(), headers=AUTH)
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["reporter"] == "service-token"
    assert report["zone"] == "restricted-a"
    assert report["jurisdiction"] == "south"
    assert report["photo_type"] is None
    assert api.get(f"/reports/{report['id']}", headers=AUTH).json() == report
    assert api.get("/reports", headers=AUTH).json() == [report]

    alerts = wait_for(lambda: api.get("/alerts", headers=AUTH).json())
    assert isinstance(alerts, list)
    (alert,) = alerts
    assert alert["kind"] == "field_report"
    assert alert["target"] == f"report:{report['id']}"
    assert alert["jurisdiction"] == "south"
    assert {f["name"] for f in alert["factors"]} >= {"field_report", "restricted_zone"}
    (event,) = api.get("/events", params={"kind": "field_report"}, headers=AUTH).json()
    assert event["id"] == report["id"]
    assert event["start"] == event["end"]
    assert event["facts"] == {
        "description": report["description"],
        "reporter": "service-token",
        "has_photo": False,
    }
    assert api.get(f"/reports/{report['id']}/photo", headers=AUTH).status_code == 404


def test_photos_are_typed_by_content_and_named_by_id(
    service: Service, api: httpx.Client, tmp_path: Path
) -> None:
    long_text = "Two men unloading crates. " * 60
    jpeg = api.post(
        "/reports", json=sighting(photo=b64(JPEG), description=long_text[:2000]), headers=AUTH
    )
    assert jpeg.status_code == 201, jpeg.text
    report = jpeg.json()
    assert report["photo_type"] == "image/jpeg"
    assert report["photo_bytes"] == len(JPEG)
    assert report["photo_sha256"] == hashlib.sha256(JPEG).hexdigest()
    photo = api.get(f"/reports/{report['id']}/photo", headers=AUTH)
    assert photo.status_code == 200
    assert photo.content == JPEG
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["x-content-type-options"] == "nosniff"

    png = png_1x1()
    other = api.post("/reports", json=sighting(photo=b64(png), lat=58.7), headers=AUTH).json()
    assert other["photo_type"] == "image/png"
    assert other["jurisdiction"] == "north"
    fetched = api.get(f"/reports/{other['id']}/photo", headers=AUTH)
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.content == png
    stored = sorted(p.name for p in (tmp_path / "data" / "reports").iterdir())
    assert stored == sorted([f"{report['id']}.jpg", f"{other['id']}.png"])

    def stored_event() -> list[dict[str, Any]]:  # the alerts role stores it from the bus
        return [
            e
            for e in api.get("/events", params={"kind": "field_report"}, headers=AUTH).json()
            if e["id"] == report["id"]
        ]

    found = wait_for(stored_event)
    assert isinstance(found, list)
    (event,) = found
    assert event["facts"]["has_photo"] is True
    assert len(str(event["facts"]["description"])) == 200, "truncated in the event"
    assert event["evidence"] == [f"/api/v1/reports/{report['id']}/photo"]


def test_roles_and_areas(service: Service, api: httpx.Client) -> None:
    operator = token_for(service, "south-op", "operator", "south")
    north = token_for(service, "north-disp", "dispatcher", "north")
    engineer = token_for(service, "eng", "engineer", None)
    south_report = api.post("/reports", json=sighting(photo=b64(JPEG)), headers=operator)
    assert south_report.status_code == 201
    assert south_report.json()["reporter"] == "south-op"
    north_report = api.post("/reports", json=sighting(lat=58.7), headers=north)
    assert north_report.status_code == 201
    refused = api.post("/reports", json=sighting(), headers=engineer)
    assert refused.status_code == 403
    assert "operator" in refused.json()["detail"]

    assert [r["reporter"] for r in api.get("/reports", headers=north).json()] == ["north-disp"]
    assert len(api.get("/reports", headers=engineer).json()) == 2
    south_id = south_report.json()["id"]
    assert api.get(f"/reports/{south_id}", headers=north).status_code == 404
    assert api.get(f"/reports/{south_id}/photo", headers=north).status_code == 404
    assert api.get(f"/reports/{south_id}/photo", headers=operator).status_code == 200
    assert api.get("/reports").status_code == 401


def _too_big() -> str:
    return b64(JPEG[:4] + b"\x00" * (MAX_PHOTO_BYTES - 3))


HOSTILE: list[tuple[Any, str]] = [
    (sighting(photo="not base64!"), "base64"),
    (sighting(photo=b64(b"GIF89a" + b"\x00" * 20)), "JPEG or PNG"),
    (sighting(photo=b64(b"<svg xmlns='http://www.w3.org/2000/svg'/>")), "JPEG or PNG"),
    (sighting(photo=""), "empty"),
    (sighting(photo=_too_big()), "larger than"),
    (sighting(filename="../../etc/passwd"), "Extra inputs"),
    (sighting(reporter="someone else"), "Extra inputs"),
    (sighting(description="   "), "at least 1 character"),
    (sighting(description="nul\x00byte"), "control characters"),
    (sighting(description="x" * 2001), "at most 2000"),
    (sighting(lat=91), "less than or equal to 90"),
    (sighting(lat="58.2"), "valid number"),
    (sighting(lon=True), "valid number"),
    (sighting(time="2026-11-20T12:00:00"), "timezone"),
    (sighting(time=1_763_700_000), "ISO 8601"),
    (sighting(time=(datetime.now(UTC) + timedelta(hours=1)).isoformat()), "future"),
    (sighting(time="2001-01-01T00:00:00Z"), "days ago"),
    ({"lat": 58.25, "lon": 11.42}, "Field required"),
    ([sighting()], "valid dictionary"),
]


@pytest.mark.parametrize(("payload", "message"), HOSTILE)
def test_hostile_reports_are_refused_with_reasons(
    api: httpx.Client, payload: Any, message: str
) -> None:
    response = api.post("/reports", json=payload, headers=AUTH)
    assert response.status_code == 422, response.text[:300]
    assert message in response.text
    assert len(response.content) < 4_000, "the refusal does not echo a photo back"


def test_nothing_hostile_is_kept(service: Service, api: httpx.Client, tmp_path: Path) -> None:
    for payload, _message in HOSTILE:
        api.post("/reports", json=payload, headers=AUTH)
    nan = b'{"time": "2026-11-20T12:00:00Z", "lat": NaN, "lon": 11.4, "description": "x"}'
    raw = api.post("/reports", content=nan, headers={**AUTH, "Content-Type": "application/json"})
    assert raw.status_code == 422
    assert api.get("/reports", headers=AUTH).json() == []
    assert list((tmp_path / "data" / "reports").iterdir()) == []
    assert api.get(f"/reports/{uuid.uuid4()}", headers=AUTH).status_code == 404
    assert api.get("/reports/not-a-uuid/photo", headers=AUTH).status_code == 422
