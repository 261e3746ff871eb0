"""Camera input: one reader per camera, frames handed on in-process, online/offline reported.

OpenCV's FFmpeg backend reads RTSP (over TCP: UDP loses packets, and smears frames, on busy
links), other FFmpeg URLs and video files. Each reader has two threads: the reader grabs every
frame at the stream's pace and decodes only those its `FpsGate` admits; the delivery thread
hands the newest admitted frame to `on_frame`, so a slow consumer costs dropped frames, never a
stream that falls behind real time. A file read faster than real time (replay) drops nothing:
the reader waits for the consumer instead.

A stream that fails to open, ends, errors or goes silent for `read_timeout_s` is reported
offline once, then retried with exponential backoff until it returns, which is reported online
with its first frame. Statuses are transitions only, never repeats; stopping a reader reports
nothing (a shutdown is not an outage). Callbacks run on the reader's threads: `on_status` on
either, `on_frame` on the delivery thread; an exception in one is logged and the reader goes on.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import cv2
import numpy as np
import structlog
from numpy.typing import NDArray
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ingest.frame_timing import FpsGate, StreamClock, utc_now
from shorewatch.config.cameras import CameraConfig

log = structlog.get_logger(__name__)

FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
DEFAULT_FFMPEG_OPTIONS = "rtsp_transport;tcp"
# A file that yields fewer of the frames its index declares is damaged. Not 1.0: an MP4 edit
# list may legitimately hide a few (the real test clip shows 279 of its 295).
TRUNCATED_RATIO = 0.9


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame: BGR, `height x width x 3`, already resized to the configured size."""

    camera_id: str
    time: datetime
    image: NDArray[np.uint8]
    index: int
    media_ms: float


class CameraStatus(BaseModel):
    """A camera went offline or came back; the caller turns it into a `sensor_offline` event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    camera_id: str = Field(min_length=1, max_length=64)
    online: bool
    time: AwareDatetime
    reason: str


FrameSink = Callable[[Frame], None]
StatusSink = Callable[[CameraStatus], None]


@dataclass
class ReaderStats:
    """Counters for `/metrics`; written by the reader's own threads only."""

    opens: int = 0
    open_failures: int = 0
    disconnects: int = 0
    frames_grabbed: int = 0
    frames_skipped_fps: int = 0
    frames_dropped_slow_consumer: int = 0
    frames_delivered: int = 0
    callback_errors: int = 0


def ensure_ffmpeg_options() -> None:
    """RTSP over TCP unless the operator set FFmpeg capture options themselves.

    OpenCV reads this variable at every open, for every capture in the process, so it can only
    be process-wide; per-camera transports are not possible through OpenCV.
    """
    os.environ.setdefault(FFMPEG_OPTIONS_ENV, DEFAULT_FFMPEG_OPTIONS)


class _Slot:
    """A one-frame mailbox between the reader and the delivery thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None

    def put(self, frame: Frame, *, wait: bool, stop: threading.Event) -> bool:
        """Stores `frame`; returns whether an undelivered frame was overwritten."""
        with self._cond:
            while wait and self._frame is not None and not stop.is_set():
                self._cond.wait(0.1)
            replaced = self._frame is not None
            self._frame = frame
            self._cond.notify_all()
            return replaced

    def take(self, timeout_s: float) -> Frame | None:
        with self._cond:
            if self._frame is None:
                self._cond.wait(timeout_s)
            frame, self._frame = self._frame, None
            self._cond.notify_all()
            return frame

    def empty(self) -> bool:
        with self._cond:
            return self._frame is None


class _StreamEnded(Exception):
    """The capture stopped yielding frames; `reason` says how, `error` whether it is a fault."""

    def __init__(self, reason: str, *, error: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


class CameraReader:
    """Reads one camera until stopped (a file: until its end, unless it loops)."""

    def __init__(
        self,
        config: CameraConfig,
        on_frame: FrameSink,
        on_status: StatusSink,
        *,
        start_time: datetime | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        """`start_time` anchors a file's media time (replay in event time); default: now."""
        self.config = config
        self.stats = ReaderStats()
        self._on_frame = on_frame
        self._on_status = on_status
        self._start_time = start_time
        self._now = now
        self._log = log.bind(camera=config.id, url=config.redacted_url)
        self._stop = threading.Event()
        self._reader_done = threading.Event()
        self._slot = _Slot()
        self._status_lock = threading.Lock()
        self._online: bool | None = None
        self._grab_started: float | None = None
        self._index = 0
        self._file_clock: StreamClock | None = None
        self._reader = threading.Thread(
            target=self._read_loop, name=f"cam-{config.id}", daemon=True
        )
        self._delivery = threading.Thread(
            target=self._deliver_loop, name=f"cam-{config.id}-out", daemon=True
        )

    @property
    def online(self) -> bool | None:
        """None until the first open attempt has an outcome."""
        return self._online

    def start(self) -> None:
        ensure_ffmpeg_options()
        self._reader.start()
        self._delivery.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Stops both threads. A grab blocked on a silent stream returns within a few read
        timeouts (FFmpeg retries), so the default wait covers that."""
        self._stop.set()
        wait = timeout_s if timeout_s is not None else 3 * self.config.read_timeout_s + 2
        self._reader.join(wait)
        self._delivery.join(wait)

    def join(self, timeout_s: float | None = None) -> bool:
        """Waits for a file source to end and its last frame to be delivered."""
        self._delivery.join(timeout_s)
        return not self._delivery.is_alive()

    # -- reader thread -------------------------------------------------------------------------

    def _read_loop(self) -> None:
        cfg = self.config
        delay = cfg.reconnect_min_s
        try:
            while not self._stop.is_set():
                cap = self._open()
                if cap is None:
                    self.stats.open_failures += 1
                    self._set_online(False, self._open_failure_reason())
                    if cfg.is_file:
                        return
                    self._log.warning("camera unavailable; retrying", retry_in_s=delay)
                    self._stop.wait(delay)
                    delay = min(delay * 2, cfg.reconnect_max_s)
                    continue
                try:
                    grabbed_before = self.stats.frames_grabbed
                    self._pump(cap)
                except _StreamEnded as ended:
                    if self._stop.is_set():
                        return
                    progressed = self.stats.frames_grabbed > grabbed_before
                    if cfg.is_file and cfg.loop and progressed:  # a file of no frames: done
                        if ended.error:
                            self._log.error("camera file damaged; looping", reason=ended.reason)
                        continue
                    self.stats.disconnects += 1
                    self._set_online(False, ended.reason, error=ended.error)
                    if cfg.is_file:
                        return
                    if progressed:
                        delay = cfg.reconnect_min_s  # it worked for a while: a fresh outage
                    self._log.warning("camera stream lost; reconnecting", retry_in_s=delay)
                    self._stop.wait(delay)
                    delay = min(delay * 2, cfg.reconnect_max_s)
                finally:
                    cap.release()
        except Exception as exc:  # a bug here must not take the process down silently
            self._log.exception("camera reader crashed")
            self._set_online(False, f"reader crashed: {exc}")
        finally:
            self._reader_done.set()

    def _open(self) -> cv2.VideoCapture | None:
        cfg = self.config
        path = cfg.file_path
        if path is not None and not path.is_file():
            return None
        self._log.debug("opening camera")
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            int(cfg.open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            int(cfg.read_timeout_s * 1000),
        ]
        try:
            cap = cv2.VideoCapture(cfg.source, cv2.CAP_FFMPEG, params)
        except cv2.error as exc:
            self._log.error("OpenCV refused the camera source", error=str(exc))
            return None
        if not cap.isOpened():
            cap.release()
            return None
        self.stats.opens += 1
        return cap

    def _open_failure_reason(self) -> str:
        cfg = self.config
        path = cfg.file_path
        if path is not None and not path.is_file():
            return f"no such video file: {path}"
        if path is not None:
            return f"cannot open video file {path} (not a video, or damaged)"
        return (
            f"cannot open {cfg.redacted_url}: refused, unreachable, not a video stream, "
            f"or no answer within {cfg.open_timeout_s:g} s"
        )

    def _pump(self, cap: cv2.VideoCapture) -> None:
        """Grabs until the capture fails; raises `_StreamEnded` saying why."""
        cfg = self.config
        clock = self._clock()
        gate = FpsGate(cfg.detect_fps)
        native_fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if cfg.is_file else 0
        paced = cfg.is_file and cfg.realtime
        wait_for_consumer = cfg.is_file and not cfg.realtime
        pace_origin: float | None = None
        grabbed = 0
        media_ms = 0.0
        while not self._stop.is_set():
            self._grab_started = time.monotonic()
            ok = cap.grab()
            self._grab_started = None
            if not ok:
                break
            grabbed += 1
            self.stats.frames_grabbed += 1
            media_ms = self._media_ms(cap, grabbed, native_fps, media_ms)
            if paced:
                if pace_origin is None:
                    pace_origin = time.monotonic() - media_ms / 1000
                self._stop.wait(max(0.0, pace_origin + media_ms / 1000 - time.monotonic()))
            stamp = clock.stamp(media_ms)
            if not gate.admit(stamp):
                self.stats.frames_skipped_fps += 1
                continue
            ok, image = cap.retrieve()
            if not ok or image is None:
                raise _StreamEnded("frame could not be decoded")
            frame = Frame(cfg.id, stamp, self._resize(image), self._index, media_ms)
            self._index += 1
            self._set_online(True, "frames arriving")
            if self._slot.put(frame, wait=wait_for_consumer, stop=self._stop):
                self.stats.frames_dropped_slow_consumer += 1
        if self._stop.is_set():
            raise _StreamEnded("stopped", error=False)
        if not cfg.is_file:
            raise _StreamEnded(
                "stream ended or failed" if grabbed else "stream opened but sent no frame"
            )
        if self._file_clock is not None:  # a loop continues the timeline after this pass
            period_ms = 1000 / native_fps if native_fps > 0 else 0.0
            self._file_clock.shift(timedelta(milliseconds=media_ms + period_ms))
        if declared and grabbed < declared * TRUNCATED_RATIO:
            raise _StreamEnded(
                f"video file ended early: {grabbed} of the {declared} frames it declares "
                "(truncated or corrupt)"
            )
        raise _StreamEnded("end of video file", error=False)

    def _clock(self) -> StreamClock:
        if not self.config.is_file:
            return StreamClock(live=True, now=self._now)
        if self._file_clock is None:
            self._file_clock = StreamClock(
                live=False, anchor=self._start_time or self._now(), now=self._now
            )
        return self._file_clock

    @staticmethod
    def _media_ms(cap: cv2.VideoCapture, grabbed: int, native_fps: float, last: float) -> float:
        """The frame's media time; counted from the frame rate where the container has none."""
        media_ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))
        if media_ms > 0 or grabbed == 1:
            return media_ms
        return last + (1000 / native_fps if native_fps > 0 else 0.0)

    def _resize(self, image: Any) -> NDArray[np.uint8]:
        array: NDArray[np.uint8] = np.asarray(image, dtype=np.uint8)
        cfg = self.config
        if cfg.width is None and cfg.height is None:
            return array
        height, width = array.shape[:2]
        target_w = cfg.width or round(width * (cfg.height or height) / height)
        target_h = cfg.height or round(height * target_w / width)
        if (target_w, target_h) == (width, height):
            return array
        shrink = target_w * target_h < width * height
        interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        resized: NDArray[np.uint8] = np.asarray(
            cv2.resize(array, (target_w, target_h), interpolation=interpolation), dtype=np.uint8
        )
        return resized

    # -- delivery thread -----------------------------------------------------------------------

    def _deliver_loop(self) -> None:
        while True:
            frame = self._slot.take(0.25)
            if frame is not None:
                try:
                    self._on_frame(frame)
                    self.stats.frames_delivered += 1
                except Exception:
                    self.stats.callback_errors += 1
                    self._log.exception("frame consumer failed")
            self._check_stall()
            if self._reader_done.is_set() and self._slot.empty():
                return
            if self._stop.is_set():
                return

    def _check_stall(self) -> None:
        started = self._grab_started
        timeout = self.config.read_timeout_s
        if started is not None and self._online and time.monotonic() - started > timeout:
            self._set_online(False, f"no frame for {timeout:g} s")

    # -- status --------------------------------------------------------------------------------

    def _set_online(self, online: bool, reason: str, *, error: bool = True) -> None:
        with self._status_lock:
            if self._online is online:
                return
            self._online = online
            status = CameraStatus(
                camera_id=self.config.id, online=online, time=self._now(), reason=reason
            )
            if online:
                self._log.info("camera online", reason=reason)
            elif error:
                self._log.error("camera offline", reason=reason)
            else:
                self._log.info("camera offline", reason=reason)
            try:
                self._on_status(status)
            except Exception:
                self.stats.callback_errors += 1
                self._log.exception("status consumer failed")
