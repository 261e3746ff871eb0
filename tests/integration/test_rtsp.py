"""The camera reader against a real RTSP server (GStreamer's gst-rtsp-server, started by the
test) streaming the real maritime clip: frames at the detect rate, an outage and a return
without restarting the reader, and bad sources that must not disturb a healthy camera."""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from structlog.testing import capture_logs

from ingest.rtsp import CameraReader, CameraStatus, Frame
from shorewatch.config.cameras import CameraConfig
from tests.rtsp import CLIP_FRAMES, CLIP_SHOWN, RtspServer


class GarbageServer:
    """Accepts TCP connections and answers anything with random bytes."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._babble, args=(conn,), daemon=True).start()

    @staticmethod
    def _babble(conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(5)
                conn.recv(4096)
                for _ in range(64):
                    conn.sendall(os.urandom(4096))
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()


class Collector:
    """What one reader handed on: frames (without their pixels, but for a few) and statuses."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.frames: list[Frame] = []
        self.statuses: list[CameraStatus] = []

    def on_frame(self, frame: Frame) -> None:
        with self.cond:
            self.frames.append(frame)
            self.cond.notify_all()

    def on_status(self, status: CameraStatus) -> None:
        with self.cond:
            self.statuses.append(status)
            self.cond.notify_all()

    def wait(self, predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
        with self.cond:
            if not self.cond.wait_for(predicate, timeout_s):
                raise AssertionError(
                    f"not within {timeout_s} s: {what}; statuses={self.statuses}, "
                    f"frames={len(self.frames)}"
                )

    def onlines(self) -> list[bool]:
        with self.cond:
            return [s.online for s in self.statuses]


@pytest.fixture
def readers() -> Iterator[list[CameraReader]]:
    """Readers started by a test, stopped whatever the outcome."""
    started: list[CameraReader] = []
    yield started
    for reader in started:
        reader.stop()


def run_reader(
    readers: list[CameraReader], config: CameraConfig, **kwargs: Any
) -> tuple[CameraReader, Collector]:
    collector = Collector()
    reader = CameraReader(config, collector.on_frame, collector.on_status, **kwargs)
    reader.start()
    readers.append(reader)
    return reader, collector


def first_status_is_offline(got: Collector) -> bool:
    return got.onlines()[:1] == [False]


def camera(cam_id: str, url: str, **overrides: Any) -> CameraConfig:
    settings: dict[str, Any] = {
        "id": cam_id,
        "url": url,
        "detect_fps": 5,
        "read_timeout_s": 2,
        "open_timeout_s": 6,
        "reconnect_min_s": 0.5,
        "reconnect_max_s": 2,
    }
    settings.update(overrides)
    return CameraConfig.model_validate(settings)


def test_frames_flow_at_detect_fps_with_size_and_times(
    rtsp_server: RtspServer, readers: list[CameraReader]
) -> None:
    config = camera("cam-a", rtsp_server.url, width=160, height=120)
    reader, got = run_reader(readers, config)
    got.wait(lambda: len(got.frames) >= 3, 20, "first frames")
    first = len(got.frames)
    time.sleep(4.0)
    with got.cond:
        frames = list(got.frames)
    assert got.onlines() == [True]
    assert got.statuses[0].camera_id == "cam-a"

    recent = frames[first:]
    assert 14 <= len(recent) <= 26, f"{len(recent)} frames in 4 s at detect_fps 5"
    times = [f.time for f in frames]
    assert all(b > a for a, b in itertools.pairwise(times))
    gaps = np.diff([t.timestamp() for t in times[2:]])
    assert 0.15 <= float(np.median(gaps)) <= 0.25, gaps
    assert abs(times[-1] - datetime.now(UTC)) < timedelta(seconds=3)
    assert [f.index for f in frames] == list(range(len(frames)))
    for f in frames:
        assert f.image.shape == (120, 160, 3)
        assert f.image.dtype == np.uint8
    assert float(frames[-1].image.std()) > 10  # real footage, not a blank or green frame
    # 15 fps in, 5 handed on: the rest were grabbed but never decoded.
    assert reader.stats.frames_skipped_fps >= len(frames)


def test_reconnects_after_the_server_stops_and_returns(
    rtsp_server: RtspServer, readers: list[CameraReader]
) -> None:
    reader, got = run_reader(readers, camera("cam-b", rtsp_server.url))
    got.wait(lambda: len(got.frames) >= 5, 20, "frames before the outage")

    rtsp_server.stop()
    stopped = time.monotonic()
    got.wait(lambda: got.onlines() == [True, False], 5, "offline after the server stopped")
    assert time.monotonic() - stopped < 5
    offline = got.statuses[1]
    assert offline.camera_id == "cam-b"
    assert offline.reason
    time.sleep(1.5)  # at least one refused reconnect attempt while it is away
    before = len(got.frames)

    rtsp_server.start()  # same port: the port is remembered from the first start
    got.wait(lambda: got.onlines() == [True, False, True], 20, "online again")
    got.wait(lambda: len(got.frames) >= before + 5, 10, "frames after the return")
    assert reader.stats.opens >= 2
    assert reader.stats.open_failures >= 1
    times = [f.time for f in got.frames]
    assert all(b > a for a, b in itertools.pairwise(times))


def test_a_hung_server_is_offline_after_the_read_timeout_and_recovers(
    rtsp_server: RtspServer, readers: list[CameraReader]
) -> None:
    _, got = run_reader(readers, camera("cam-h", rtsp_server.url))
    got.wait(lambda: len(got.frames) >= 5, 20, "frames before the hang")

    rtsp_server.freeze()
    frozen = time.monotonic()
    got.wait(lambda: got.onlines() == [True, False], 6, "offline while the server hangs")
    assert time.monotonic() - frozen < 2 + 2.5  # read_timeout_s plus the frames in flight
    assert "no frame for 2 s" in got.statuses[1].reason
    before = len(got.frames)

    rtsp_server.thaw()
    got.wait(lambda: got.onlines() == [True, False, True], 20, "online after the hang")
    got.wait(lambda: len(got.frames) >= before + 5, 10, "frames after the hang")


def test_bad_sources_are_reported_and_a_healthy_camera_keeps_running(
    rtsp_server: RtspServer, readers: list[CameraReader], clip: Path, tmp_path: Path
) -> None:
    truncated = tmp_path / "truncated.mp4"
    data = clip.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])  # moov is at the front: half the frames remain
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens here once it is closed
    garbage = GarbageServer()
    try:
        with capture_logs() as logs:
            _, healthy = run_reader(readers, camera("healthy", rtsp_server.url))
            healthy.wait(lambda: len(healthy.frames) >= 3, 20, "healthy camera frames")
            _, refused = run_reader(
                readers, camera("refused", f"rtsp://op:s3cret@127.0.0.1:{closed_port}/live")
            )
            _, babble = run_reader(readers, camera("garbage", f"rtsp://127.0.0.1:{garbage.port}/x"))
            broken_reader, broken = run_reader(
                readers, camera("truncated", str(truncated), realtime=False)
            )
            missing_reader, missing = run_reader(
                readers, camera("missing", str(tmp_path / "nope.mp4"))
            )

            for name, got in (("refused", refused), ("garbage", babble), ("missing", missing)):
                got.wait(partial(first_status_is_offline, got), 10, f"{name} offline")
            broken.wait(lambda: False in broken.onlines(), 20, "truncated file reported")
            assert broken_reader.join(10)
            assert missing_reader.join(5)
            before = len(healthy.frames)
            time.sleep(2.0)  # the failing readers keep retrying meanwhile
            healthy.wait(lambda: len(healthy.frames) >= before + 6, 5, "healthy keeps going")

        assert healthy.onlines() == [True]
        assert "cannot open rtsp://op:***@127.0.0.1" in refused.statuses[0].reason
        assert "cannot open" in babble.statuses[0].reason
        assert garbage.connections >= 1
        assert missing.statuses[0].reason.startswith("no such video file")
        # The damaged file gave the frames it had, then said what was wrong with it.
        assert broken.onlines() == [True, False]
        assert len(broken.frames) >= 10
        assert f"of the {CLIP_FRAMES} frames it declares" in broken.statuses[1].reason
        errors = [e for e in logs if e["log_level"] == "error"]
        for cam in ("refused", "garbage", "truncated", "missing"):
            assert any(e.get("camera") == cam for e in errors), f"no error logged for {cam}"
        assert not any(e.get("camera") == "healthy" for e in errors)
        assert "s3cret" not in repr(logs) + repr(refused.statuses)
    finally:
        garbage.close()


def test_a_file_replays_in_event_time_at_the_detect_rate(
    readers: list[CameraReader], clip: Path
) -> None:
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    config = camera("replay", str(clip), realtime=False, width=640)
    reader, got = run_reader(readers, config, start_time=start)
    assert reader.join(30), "a file source ends by itself"

    times = [f.time for f in got.frames]
    assert 90 <= len(times) <= 96, f"{len(times)} frames from 18.7 s at 5 fps"
    assert times[0] == start
    # Media time (the clip's own, slightly irregular timestamps), not the speed it was read at.
    steps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert all(0.19 <= s <= 0.27 for s in steps), steps
    assert times[-1] - start == timedelta(milliseconds=got.frames[-1].media_ms)
    assert all(f.image.shape == (480, 640, 3) for f in got.frames)  # aspect kept
    assert got.onlines() == [True, False]
    assert got.statuses[1].reason == "end of video file"
    assert reader.stats.frames_grabbed == CLIP_SHOWN
    assert reader.stats.frames_dropped_slow_consumer == 0


def test_a_looping_file_keeps_its_timeline(readers: list[CameraReader], clip: Path) -> None:
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    config = camera("loop", str(clip), realtime=False, loop=True, detect_fps=1)
    _, got = run_reader(readers, config, start_time=start)
    got.wait(lambda: len(got.frames) >= 45, 30, "two passes and more")
    times = [f.time for f in got.frames[:45]]
    steps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert all(0.7 <= s <= 1.3 for s in steps), steps  # no jump back at the loop
    assert got.onlines() == [True]


def test_stop_returns_promptly_while_retrying(readers: list[CameraReader]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    reader, got = run_reader(readers, camera("gone", f"rtsp://127.0.0.1:{port}/x"))
    got.wait(lambda: got.onlines() == [False], 10, "offline")
    began = time.monotonic()
    reader.stop()
    assert time.monotonic() - began < 5


def test_service_turns_a_camera_outage_into_one_sensor_offline_episode(
    rtsp_server: RtspServer, dsn: str, mqtt_url: str, topic_root: str
) -> None:
    """Acceptance (issue 4, point 2) through the running service: server stopped mid-stream →
    a `sensor_offline` event on the bus; started again → the same episode closes and frames
    flow again, without restarting ShoreWatch."""
    from app.composition import Service
    from shorewatch.config.site import parse_config
    from shorewatch.events import Event, EventKind, Message

    site = parse_config(
        f"""
version: camera-test
ingest:
  cameras:
    - {{id: mast-cam, url: "{rtsp_server.url}", detect_fps: 5, lat: 58.25, lon: 11.40,
        read_timeout_s: 2, reconnect_min_s: 0.5, reconnect_max_s: 1, detect: false}}
""",
        "t.yaml",
        Path(),
    )
    svc = Service(site, dsn=dsn, mqtt_url=mqtt_url, roles=("ingest",), topic_root=topic_root)
    seen: list[Event] = []
    got = threading.Condition()

    def collect(message: Message) -> None:
        if isinstance(message, Event) and message.kind is EventKind.SENSOR_OFFLINE:
            with got:
                seen.append(message)
                got.notify_all()

    svc.start()
    try:
        svc.bus.subscribe(svc.topics.all_events, collect)

        def frames() -> float:
            value = svc.metrics.registry.get_sample_value(
                "shorewatch_camera_frames_total", {"camera": "mast-cam"}
            )
            return value or 0.0

        def wait(predicate: Callable[[], bool], timeout_s: float) -> bool:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                if predicate():
                    return True
                time.sleep(0.1)
            return False

        assert wait(lambda: frames() >= 5, 30), "no frames from the camera"
        rtsp_server.stop()
        with got:
            assert got.wait_for(lambda: len(seen) >= 1, 20), "no sensor_offline event"
        offline = seen[0]
        assert offline.end is None
        assert offline.targets == ("sensor:mast-cam",)
        assert (offline.lat, offline.lon) == (58.25, 11.40)
        rtsp_server.start()  # same port
        with got:
            assert got.wait_for(lambda: len(seen) >= 2, 30), "camera never came back online"
        back = seen[1]
        assert back.id == offline.id, "the same episode closes"
        assert back.end is not None
        assert isinstance(back.facts["duration_s"], float)
        before = frames()
        assert wait(lambda: frames() > before + 5, 20), "frames did not flow again"
    finally:
        svc.stop()
