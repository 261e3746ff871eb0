"""Camera evidence over the API: `GET /api/v1/events/{id}/snapshot` serves the JPEG that the
camera pipeline saved under the event's id, to callers who see the event, until retention
removes it. Real PostgreSQL and broker; a real frame from the shared data, drawn and encoded
by the pipeline's own `render`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from api.context import ApiContext
from app.composition import Service
from detectors.evidence import render, snapshot_url
from shorewatch.config.site import parse_config
from shorewatch.events import Event, EventKind
from shorewatch.store.auth_repo import AuthRepo, NewUser
from shorewatch.store.events_repo import EventsRepo
from shorewatch.store.photos import PhotoStore

TOKEN = "snapshot-api-test-token-0123456789"
SQUARE = "[[11.0, {s}], [12.0, {s}], [12.0, {n}], [11.0, {n}], [11.0, {s}]]"
SITE_YAML = f"""
version: "test-snapshot"
jurisdictions:
  - {{id: county, name: County, level: county, polygon: {SQUARE.format(s=58.0, n=59.0)}}}
  - {{id: north, name: North, level: town, parent: county,
      polygon: {SQUARE.format(s=58.5, n=59.0)}}}
  - {{id: south, name: South, level: town, parent: county,
      polygon: {SQUARE.format(s=58.0, n=58.5)}}}
evidence: {{retention_days: 2}}
"""
SOUTH = (58.25, 11.42)
FRAMES = "images/coral_sooke_ptz"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    """The running service, a client on it and a key per town's operator."""

    service: Service
    client: httpx.Client
    keys: dict[str, str]

    @property
    def context(self) -> ApiContext:
        assert self.service.api_server is not None
        app = self.service.api_server.config.app
        assert isinstance(app, FastAPI)
        context: ApiContext = app.state.context
        return context

    def store_event(
        self, *, end: datetime | None = None, event_id: uuid.UUID | None = None
    ) -> Event:
        """A camera event in the south town, upserted as the alerts role would."""
        event_id = event_id or uuid.uuid4()
        event = Event(
            id=event_id,
            kind=EventKind.CAMERA_TARGET,
            start=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
            end=end,
            lat=SOUTH[0],
            lon=SOUTH[1],
            targets=(f"camera:ptz-1-{event_id.hex[:6]}",),
            config_version="test-snapshot",
            evidence=(snapshot_url(event_id),),
        )
        repo = EventsRepo(self.service.site.store, self.service.series_mode)
        with self.service.pool.connection() as conn, conn.transaction():
            repo.upsert(conn, event)
        return event

    def get(self, event_id: uuid.UUID, token: str = TOKEN) -> httpx.Response:
        return self.client.get(snapshot_url(event_id), headers=bearer(token))


@pytest.fixture
def api(dsn: str, mqtt_url: str, topic_root: str, tmp_path: Path) -> Iterator[Api]:
    """A service per test: the retention test prunes the whole snapshot directory."""
    svc = Service(
        parse_config(SITE_YAML, "test.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("api",),
        api_token=TOKEN,
        api_port=0,
        topic_root=topic_root,
        data_dir=tmp_path / "data",
    )
    svc.start()
    try:
        repo, keys = AuthRepo(), {}
        with svc.pool.connection() as conn, conn.transaction():
            for town in ("north", "south"):
                repo.add_user(conn, NewUser(name=f"{town}-op", role="operator", jurisdiction=town))
                keys[town] = repo.create_key(conn, f"{town}-op").token
        with httpx.Client(base_url=f"http://127.0.0.1:{svc.api_port}", timeout=30) as client:
            yield Api(svc, client, keys)
    finally:
        svc.stop()


@pytest.fixture(scope="module")
def jpeg(shared_data: Path) -> bytes:
    """A real PTZ frame with a box drawn, encoded as the camera pipeline encodes it."""
    paths = sorted((shared_data / FRAMES).glob("*.jpg"))
    assert paths, f"no frames under {shared_data / FRAMES}"
    frame = cv2.imread(str(paths[0]), cv2.IMREAD_COLOR)
    assert frame is not None, f"unreadable frame {paths[0]}"
    height, width = frame.shape[:2]
    box = (width * 0.4, height * 0.4, width * 0.6, height * 0.6)
    return render(np.asarray(frame, dtype=np.uint8), box, "boat 0.81", 85)


def test_the_saved_jpeg_is_served_to_callers_who_see_the_event(api: Api, jpeg: bytes) -> None:
    event = api.store_event()
    assert api.context.snapshots.save(event.id, jpeg) == "image/jpeg"

    for token in (TOKEN, api.keys["south"]):
        response = api.client.get(event.evidence[0], headers=bearer(token))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"] == "private, max-age=86400"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == jpeg
        assert response.content.startswith(b"\xff\xd8\xff")
    decoded = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None, "a JPEG that decodes"
    assert decoded.shape[2] == 3

    # Closing re-publishes the event under the same id: the same snapshot still answers.
    api.store_event(event_id=event.id, end=event.start + timedelta(minutes=3))
    closed = api.get(event.id)
    assert closed.status_code == 200
    assert closed.content == jpeg


def test_an_event_without_a_snapshot_is_404(api: Api) -> None:
    event = api.store_event()
    response = api.get(event.id)
    assert response.status_code == 404
    assert response.json()["detail"] == f"no snapshot for event {event.id}"


def test_an_unknown_event_is_404(api: Api, jpeg: bytes) -> None:
    """Even with a file under that id: a snapshot is served only for a stored event."""
    unknown = uuid.uuid4()
    api.context.snapshots.save(unknown, jpeg)
    response = api.get(unknown)
    assert response.status_code == 404
    assert response.json()["detail"] == f"no event {unknown}"


def test_a_snapshot_past_retention_is_404(api: Api, jpeg: bytes) -> None:
    event = api.store_event()
    store = api.context.snapshots
    store.save(event.id, jpeg)
    assert api.get(event.id).status_code == 200

    retention = timedelta(days=api.service.site.evidence.retention_days)
    later = time.time() + retention.total_seconds() + 60
    # The same directory pruned as by a clock past retention: the file goes, the event stays.
    assert PhotoStore(store.root, retention, clock=lambda: later).prune() == 1
    response = api.get(event.id)
    assert response.status_code == 404
    assert response.json()["detail"] == f"no snapshot for event {event.id}"


def test_a_caller_outside_the_events_area_gets_404(api: Api, jpeg: bytes) -> None:
    """The same answer as for no event at all, so that its existence is not told."""
    event = api.store_event()
    api.context.snapshots.save(event.id, jpeg)
    response = api.get(event.id, api.keys["north"])
    assert response.status_code == 404
    assert response.json()["detail"] == f"no event {event.id}"
    assert api.get(event.id, api.keys["south"]).status_code == 200


def test_no_token_is_401(api: Api) -> None:
    event = api.store_event()
    assert api.client.get(snapshot_url(event.id)).status_code == 401
