"""Camera input logic that needs no stream: frame times, the detect-rate gate, the config."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from ingest.frame_timing import FpsGate, StreamClock
from shorewatch.config.cameras import CameraConfig

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


class FakeWall:
    """A settable wall clock (a value, not a mock of anything)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def ms(value: float) -> timedelta:
    return timedelta(milliseconds=value)


def test_gate_keeps_every_third_frame_of_15_fps_at_5_fps() -> None:
    gate = FpsGate(5)
    frame_ms = [i * 1000 / 15 for i in range(30)]
    kept = [i for i, m in enumerate(frame_ms) if gate.admit(T0 + ms(m))]
    assert kept == list(range(0, 30, 3))


def test_gate_restarts_after_a_gap_instead_of_bursting() -> None:
    gate = FpsGate(5)
    assert gate.admit(T0)
    assert gate.admit(T0 + ms(10_000))
    assert not gate.admit(T0 + ms(10_050))
    assert gate.admit(T0 + ms(10_200))


def test_gate_passes_everything_below_its_rate() -> None:
    gate = FpsGate(30)
    assert all(gate.admit(T0 + ms(i * 100)) for i in range(20))


def test_live_clock_follows_the_least_delayed_frame() -> None:
    wall = FakeWall()
    clock = StreamClock(live=True, now=wall)
    wall.now = T0 + ms(1900)  # FFmpeg probed for 1.9 s: the first frames arrive in a burst
    burst = [clock.stamp(m) for m in (0, 66.7, 133.3, 1866.7)]
    assert all(b > a for a, b in itertools.pairwise(burst))
    assert all(s <= wall.now + ms(5) for s in burst)  # never stamped in the future
    wall.now = T0 + ms(2000 + 30)  # then frames arrive live, 30 ms after capture
    assert clock.stamp(2000) == T0 + ms(2030)
    wall.now = T0 + ms(2500 + 200)  # a late frame keeps the anchor: stamped before arrival
    assert clock.stamp(2500) == T0 + ms(2530)
    wall.now = T0 + ms(3000 + 10)  # a less delayed frame tightens the anchor
    assert clock.stamp(3000) == T0 + ms(3010)
    assert clock.reanchors == 0


def test_live_clock_reanchors_when_media_time_jumps_back_or_lags() -> None:
    wall = FakeWall()
    clock = StreamClock(live=True, now=wall, max_drift_s=2)
    clock.stamp(5000)
    wall.now = T0 + ms(100)
    restarted = clock.stamp(0)  # the camera's encoder restarted
    assert restarted == T0 + ms(100)
    wall.now = T0 + ms(10_000)  # a stall: the next frame is 9.8 s late for its media time
    assert clock.stamp(200) == T0 + ms(10_000)
    assert clock.reanchors == 2


def test_file_clock_is_media_time_from_its_anchor_however_fast_it_reads() -> None:
    wall = FakeWall()
    start = datetime(2020, 1, 1, tzinfo=UTC)
    clock = StreamClock(live=False, anchor=start, now=wall)
    assert [clock.stamp(m) for m in (0, 500, 1000)] == [start, start + ms(500), start + ms(1000)]
    clock.shift(ms(1066.7))  # it loops: media time starts again at 0
    assert clock.stamp(0) == start + ms(1066.7)


def test_config_redacts_passwords_and_tells_files_from_streams() -> None:
    cam = CameraConfig(id="north-1", url="rtsp://admin:hunter2@10.0.0.5:554/Streaming/101")
    assert cam.redacted_url == "rtsp://admin:***@10.0.0.5:554/Streaming/101"
    assert not cam.is_file
    assert CameraConfig(id="v6", url="rtsp://u:p@[fe80::1]:554/s").redacted_url == (
        "rtsp://u:***@[fe80::1]:554/s"
    )
    clip = CameraConfig(id="clip", url="file:///data/clip.mp4")
    assert clip.is_file
    assert clip.source == "/data/clip.mp4"
    assert CameraConfig(id="p", url="../shared/data/video/x.mp4").is_file


@pytest.mark.parametrize(
    "fields",
    [
        {"url": "ftp://host/x"},
        {"url": "rtsp://h/x", "reconnect_min_s": 10, "reconnect_max_s": 5},
        {"url": "rtsp://h/x", "detect_fps": 0},
        {"url": "rtsp://h/x", "fps": 5},
        {"url": "rtsp://h/x", "id": "has space"},
    ],
)
def test_config_refuses_bad_settings(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CameraConfig.model_validate({"id": "cam", **fields})
