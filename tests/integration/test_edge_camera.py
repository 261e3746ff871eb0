"""Edge cameras end to end: JSON detections on `raw/camera/{id}` over a real broker become
camera observations (placed by the camera's lat/lon or its calibration), are stored, and a boat
no AIS vessel vouches for becomes a dark target."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from app.composition import Service
from shorewatch.config.site import parse_config
from shorewatch.events import Event, Message

SITE = """
version: edge-test
ingest:
  edge_cameras:
    - {id: mast-north}
    - id: mast-south
      calibration: {method: pose, lat: 58.20, lon: 11.40, height_m: 20, heading_deg: 270,
                    tilt_deg: 5, fov_deg: 60, width: 1920, height: 1080}
store: {flush_interval_s: 0.1}
"""
T0 = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)


@pytest.fixture
def service(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    svc = Service(
        parse_config(SITE, "t.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("ingest", "recorder", "detector"),
        topic_root=topic_root,
    )
    svc.start()
    yield svc
    svc.stop()


def test_edge_detections_become_stored_camera_targets_and_a_dark_target(service: Service) -> None:
    events: queue.Queue[Message] = queue.Queue()
    service.bus.subscribe(service.topics.all_events, events.put)
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, protocol=service.bus.address.protocol
    )
    client.connect(service.bus.address.host, service.bus.address.port)
    client.loop_start()
    try:
        north = service.topics.raw_camera("mast-north")
        south = service.topics.raw_camera("mast-south")
        for i in range(40):  # a boat moving east at ~10 kn, every 5 s, for 195 s
            at = (T0 + timedelta(seconds=5 * i)).isoformat()
            report = {
                "track": "7",
                "time": at,
                "label": "boat",
                "confidence": 0.8,
                "bbox": [900, 500, 980, 540],
                "lat": 58.25,
                "lon": 11.30 + i * 0.00045,
            }
            client.publish(north, json.dumps(report), qos=1).wait_for_publish(5)
        placed = [
            {
                "track": "3",
                "time": T0.isoformat(),
                "label": "boat",
                "confidence": 0.7,
                "bbox": [940, 1000, 980, 1080],
            }
        ]  # bottom-centre row: ~47 m off the mast
        client.publish(south, json.dumps(placed), qos=1).wait_for_publish(5)
        client.publish(south, b"{not json", qos=1).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()

    deadline = time.monotonic() + 20
    dark: list[Event] = []
    while time.monotonic() < deadline and not dark:
        try:
            message = events.get(timeout=0.5)
        except queue.Empty:
            continue
        if isinstance(message, Event) and message.kind.value == "dark_target":
            dark.append(message)
    assert dark, "an unvouched camera track must become a dark target"
    assert dark[0].targets == ("camera:mast-north-7",)

    assert service.writer is not None
    deadline = time.monotonic() + 10
    rows: list[tuple[object, ...]] = []
    while time.monotonic() < deadline and len(rows) < 41:
        service.writer.wait_idle(1)
        with service.pool.connection() as conn:
            rows = conn.execute(
                "SELECT sensor_id, target_ref, lat, lon, label FROM observations "
                "WHERE source = 'camera' ORDER BY time, target_ref"
            ).fetchall()
    assert len(rows) == 41
    south_rows = [r for r in rows if r[0] == "mast-south"]
    assert len(south_rows) == 1
    _, ref, lat, lon, label = south_rows[0]
    assert (ref, label) == ("mast-south-3", "boat")
    assert isinstance(lat, float)
    assert isinstance(lon, float)
    assert abs(lat - 58.20) < 0.001, "placed on the sea just west of the mast"
    assert 11.398 < lon < 11.40
    stats = service.camera_receivers["mast-south"].stats
    assert stats.get("target") == 1
    assert stats.get("invalid_json") == 1
