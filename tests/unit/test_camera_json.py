"""Edge-camera JSON: detections become camera observations placed by the camera or by its
calibration, and every detection lands in exactly one counted outcome."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from ingest.camera_json import EdgeCameraDecoder
from ingest.camera_receiver import EdgeCameraReceiver
from shorewatch.events import Observation, Source
from shorewatch.geocal import GeoCalibration, LocalPlane, PoseCalibration
from shorewatch.metrics import Metrics

T0 = datetime(2026, 11, 20, 22, 0, 5, tzinfo=UTC)
# 20 m mast looking west, 5° down, 60° wide on a 1280x720 frame (see test_geocal.py).
POSE = PoseCalibration(
    method="pose",
    lat=58.2,
    lon=11.4,
    height_m=20.0,
    heading_deg=270.0,
    tilt_deg=5.0,
    fov_deg=60.0,
    width=1280,
    height=720,
)
CALIBRATION = GeoCalibration.from_config(POSE)


def detection(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "track": "41",
        "time": "2026-11-20T23:00:05+01:00",
        "label": "boat",
        "confidence": 0.71,
        "bbox": [600, 330, 680, 360],
    }
    return {**base, **fields}


def decode(
    document: object, calibration: GeoCalibration | None = CALIBRATION
) -> tuple[EdgeCameraDecoder, tuple[Observation, ...]]:
    decoder = EdgeCameraDecoder("north-ptz", calibration=calibration)
    return decoder, decoder.feed(json.dumps(document).encode())


def test_calibrated_detection_is_placed_at_its_bottom_centre() -> None:
    decoder, (obs,) = decode(detection())
    assert (obs.source, obs.sensor_id, obs.target_ref) == (
        Source.CAMERA,
        "north-ptz",
        "north-ptz-41",
    )
    assert (obs.time, obs.label, obs.confidence) == (T0, "boat", 0.71)
    assert obs.bbox == (600.0, 330.0, 680.0, 360.0)
    # Bottom-centre (640, 360) is the image centre: straight down the axis, h / tan(tilt) west.
    east, north = LocalPlane(58.2, 11.4).to_en(obs.lat, obs.lon)
    assert east == pytest.approx(-20.0 / math.tan(math.radians(5.0)), rel=1e-6)
    assert north == pytest.approx(0.0, abs=1e-6)
    assert dict(decoder.stats) == {"target": 1}


def test_a_camera_that_geolocates_itself_is_taken_at_its_word() -> None:
    _, (obs,) = decode(detection(lat=58.25, lon=11.35, track=7), calibration=None)
    assert (obs.lat, obs.lon, obs.target_ref) == (58.25, 11.35, "north-ptz-7")


def test_a_list_is_one_frame_of_detections() -> None:
    decoder, observations = decode(
        [detection(track="1"), detection(track="2", bbox=[10, 600, 90, 650]), {"track": "3"}]
    )
    assert [o.target_ref for o in observations] == ["north-ptz-1", "north-ptz-2"]
    assert dict(decoder.stats) == {"target": 2, "schema": 1}


@pytest.mark.parametrize("payload", [b"{not json", b"\xff\xfe", b"[" * 100_000])
def test_bad_json_is_counted(payload: bytes) -> None:
    decoder = EdgeCameraDecoder("north-ptz", calibration=CALIBRATION)
    assert decoder.feed(payload) == ()
    assert dict(decoder.stats) == {"invalid_json": 1}


@pytest.mark.parametrize(
    "document",
    [
        detection(time="2026-11-20T22:00:05"),  # naive time
        detection(confidence=1.5),
        detection(bbox=[680, 330, 600, 360]),  # corners swapped
        detection(bbox=[1, 2, 3]),
        detection(lat=58.2),  # lat without lon
        detection(camera="north-ptz"),  # unknown key: the camera is the topic
        {k: v for k, v in detection().items() if k != "label"},
        [],
        "boat",
        detection(track="x" * 33),
    ],
)
def test_schema_violations_are_counted(document: object) -> None:
    decoder, observations = decode(document)
    assert observations == ()
    assert dict(decoder.stats) == {"schema": 1}


def test_unplaceable_detections_are_counted_no_position() -> None:
    sky = detection(bbox=[600, 100, 680, 200])  # bottom edge above the horizon (row 263)
    decoder, observations = decode([sky, detection()])
    assert len(observations) == 1
    uncalibrated, none = decode(detection(), calibration=None)
    assert none == ()
    assert dict(decoder.stats) == {"no_position": 1, "target": 1}
    assert dict(uncalibrated.stats) == {"no_position": 1}


def test_receiver_publishes_and_accounts_every_detection() -> None:
    metrics = Metrics()
    published: list[Observation] = []
    receiver = EdgeCameraReceiver(
        "north-ptz", published.append, metrics, calibration=CALIBRATION, max_payload_bytes=1024
    )
    frame = [detection(track="1"), detection(track="2", bbox=[600, 100, 680, 200])]
    assert receiver.feed(json.dumps(frame).encode()) == 1
    assert receiver.feed(b"not json") == 0
    assert receiver.feed(json.dumps(detection(confidence=-1)).encode()) == 0
    assert receiver.feed(json.dumps([detection()] * 20).encode()) == 0  # over 1024 bytes
    assert [o.target_ref for o in published] == ["north-ptz-1"]
    expected = {
        "target": 1,
        "no_position": 1,
        "invalid_json": 1,
        "schema": 1,
        "oversized_payload": 1,
    }
    assert receiver.stats == expected
    for outcome, count in expected.items():
        lines = metrics.registry.get_sample_value(
            "shorewatch_ingest_lines_total",
            {"source": "camera", "sensor": "north-ptz", "outcome": outcome},
        )
        assert lines == count
    for reason in ("no_position", "invalid_json", "schema", "oversized_payload"):
        rejected = metrics.registry.get_sample_value(
            "shorewatch_ingest_rejected_total", {"source": "camera", "reason": reason}
        )
        assert rejected == 1
