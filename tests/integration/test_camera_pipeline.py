"""Issue 4, acceptance 1: a real RTSP server streams the real maritime clip into the running
service, whose camera pipeline (ultralytics YOLO with the real INT8 weights, ByteTrack) turns
the boat into one stable track, camera observations with lat/lon on the bus (stored by the
recorder, fused by the detector: no AIS vouches for it, so it is a `dark_target`), a
`camera_target` event and its JPEG snapshot on disk.

The clip is hand-held footage, so motion gating is off for this camera (the whole frame moves;
docs/cameras.md) and its calibration is a plausible pose (10 m up, looking 20° down), not a
surveyed one: the test checks that boxes are placed on the sea in front of the camera, not
where the real boat was.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.composition import Service
from shorewatch.config.site import parse_config
from shorewatch.events import Event, EventKind, Message, Observation, Source
from tests.rtsp import RtspServer

CAMERA = {"lat": 58.25, "lon": 11.40}
HEADING_DEG = 90.0


@pytest.fixture(scope="module")
def model(shared_models: Path) -> Path:
    path = shared_models / "yolo11n_int8_openvino_model"
    if not path.is_dir():
        pytest.fail(f"real weights missing: {path}")
    return path


class Seen:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.observations: list[Observation] = []
        self.events: list[Event] = []
        self.dark: list[Event] = []

    def on_message(self, message: Message) -> None:
        with self.cond:
            if isinstance(message, Observation) and message.source is Source.CAMERA:
                self.observations.append(message)
            elif isinstance(message, Event) and message.kind is EventKind.CAMERA_TARGET:
                self.events.append(message)
            elif isinstance(message, Event) and message.kind is EventKind.DARK_TARGET:
                self.dark.append(message)
            self.cond.notify_all()

    def wait(self, what: str, timeout_s: float, predicate: object) -> None:
        assert callable(predicate)
        with self.cond:
            assert self.cond.wait_for(predicate, timeout_s), (
                f"not within {timeout_s} s: {what}; {len(self.observations)} observations, "
                f"events {[(e.targets, e.end) for e in self.events]}"
            )


def distance_m(lat: float, lon: float) -> float:
    north = (lat - CAMERA["lat"]) * 111_195.0
    east = (lon - CAMERA["lon"]) * 111_195.0 * math.cos(math.radians(CAMERA["lat"]))
    return math.hypot(east, north)


def test_boats_on_a_real_rtsp_stream_become_placed_tracked_observations_with_a_snapshot(
    rtsp_server: RtspServer, model: Path, dsn: str, mqtt_url: str, topic_root: str, tmp_path: Path
) -> None:
    site = parse_config(
        f"""
version: camera-e2e
thresholds: {{dark_target: {{after_s: 3}}}}
store: {{flush_interval_s: 0.1}}
vision:
  model: {model}
ingest:
  cameras:
    - id: mast-cam
      url: "{rtsp_server.url}"
      detect_fps: 15
      lat: {CAMERA["lat"]}
      lon: {CAMERA["lon"]}
      motion: {{enabled: false}}
      calibration:
        {{method: pose, lat: {CAMERA["lat"]}, lon: {CAMERA["lon"]}, height_m: 10,
          heading_deg: {HEADING_DEG}, tilt_deg: 20, fov_deg: 60, width: 320, height: 240}}
""",
        "camera-e2e.yaml",
        Path(),
    )
    svc = Service(
        site,
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("ingest", "recorder", "detector"),
        topic_root=topic_root,
        data_dir=tmp_path / "data",
    )
    seen = Seen()
    svc.start()
    try:
        svc.bus.subscribe(svc.topics.all_obs, seen.on_message)
        svc.bus.subscribe(svc.topics.all_events, seen.on_message)
        # The boat is in view from 5.7 s to 15.6 s of the 18.7-s clip; the server loops it.
        seen.wait("a confirmed boat with 30 observations", 90, lambda: len(seen.observations) >= 30)
        seen.wait("its camera_target event", 10, lambda: bool(seen.events))
        counts = {
            what: svc.metrics.registry.get_sample_value(
                "shorewatch_camera_pipeline_total", {"camera": "mast-cam", "what": what}
            )
            for what in ("frames", "detector_runs", "observations", "snapshots")
        }
        print(f"camera pipeline counts: {counts}")
        assert all(value is not None and value >= 1 for value in counts.values()), counts
        seen.wait("a dark_target from the camera track", 30, lambda: bool(seen.dark))
        assert svc.writer is not None
        svc.writer.wait_idle(5)
        with svc.pool.connection() as conn:
            stored = conn.execute(
                "SELECT count(*), count(DISTINCT target_ref) FROM observations "
                "WHERE source = 'camera' AND sensor_id = 'mast-cam'"
            ).fetchone()
    finally:
        svc.stop()

    observations = list(seen.observations)
    assert {o.sensor_id for o in observations} == {"mast-cam"}
    assert {o.label for o in observations} == {"boat"}
    for obs in observations:
        assert obs.bbox is not None
        assert obs.confidence is not None
        assert 0.15 <= obs.confidence <= 1.0
        # Placed on the sea in front of the camera (east, within a few hundred metres).
        assert 5 < distance_m(obs.lat, obs.lon) < 2_000
        assert obs.lon > CAMERA["lon"]

    # One boat, one track: its id holds over the run of frames it is seen in.
    tracks = Counter(o.target_ref for o in observations)
    ref, count = tracks.most_common(1)[0]
    assert count >= 0.8 * len(observations), f"track ids fragmented: {tracks}"
    times = sorted(o.time for o in observations if o.target_ref == ref)
    assert (times[-1] - times[0]).total_seconds() >= 2.0
    assert all(b > a for a, b in itertools.pairwise(times)), "frame times increase"

    assert stored is not None
    assert stored[0] >= 30, f"camera observations stored: {stored}"
    dark = seen.dark[0]
    assert dark.targets[0].startswith("camera:mast-cam-"), dark.targets

    event = next(e for e in seen.events if e.targets == (f"camera:{ref}",))
    assert event.facts["label"] == "boat"
    assert event.facts["placed"] is True
    assert event.evidence == (f"/api/v1/events/{event.id}/snapshot",)
    snapshot = tmp_path / "data" / "snapshots" / f"{event.id}.jpg"
    data = snapshot.read_bytes()
    assert data.startswith(b"\xff\xd8\xff")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    assert image.shape == (240, 320, 3)
    # The box is drawn: pure red pixels (BGR 0, 0, 255, within JPEG loss) exist.
    red = (image[:, :, 2] > 200) & (image[:, :, 1] < 60) & (image[:, :, 0] < 60)
    assert red.sum() > 20
