"""When a frame was taken, and which frames to hand on: pure logic, no OpenCV.

A camera's own clock is not available through OpenCV (RTCP sender reports are not exposed), so
frame times are the stream's media time (`CAP_PROP_POS_MSEC`) anchored to the wall clock. Media
time keeps the spacing of frames that arrive in a burst (network jitter, decoder buffering,
FFmpeg's probing at connect); the anchor puts them on UTC. The anchor is the smallest
`arrival - media time` seen, the least-delayed frame's, so a frame is never stamped later than
it arrived and a burst does not push the clock into the future. A live stream's media time can
jump back (a server restarts or loops its source) or fall behind (the network stalls): then, or
when the stream lags the wall clock by more than `max_drift_s`, the clock re-anchors. A file
(replay) never re-anchors: its times are the anchor plus media time, however fast it is read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

MIN_STEP = timedelta(milliseconds=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


class StreamClock:
    """Maps one opened stream's media time (ms) to strictly increasing UTC timestamps."""

    def __init__(
        self,
        *,
        live: bool,
        anchor: datetime | None = None,
        max_drift_s: float = 2.0,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._live = live
        self._anchor = anchor
        self._max_drift = timedelta(seconds=max_drift_s)
        self._now = now
        self._last_media_ms: float | None = None
        self._last: datetime | None = None
        self.reanchors = 0

    def stamp(self, media_ms: float) -> datetime:
        candidate = self._now() - timedelta(milliseconds=media_ms)
        if self._anchor is None:
            self._anchor = candidate
        elif self._live:
            went_back = self._last_media_ms is not None and media_ms <= self._last_media_ms
            if went_back or candidate - self._anchor > self._max_drift:
                self._anchor = candidate
                self.reanchors += 1
            elif candidate < self._anchor:  # less delayed than any frame before it
                self._anchor = candidate
        self._last_media_ms = media_ms
        stamp = self._anchor + timedelta(milliseconds=media_ms)
        if self._last is not None and stamp <= self._last:
            stamp = self._last + MIN_STEP
        self._last = stamp
        return stamp

    def shift(self, by: timedelta) -> None:
        """Moves the anchor on (a looping file starts its media time again at 0)."""
        if self._anchor is not None:
            self._anchor += by
        self._last_media_ms = None


class FpsGate:
    """Lets frames through at `fps` of their own timestamps; the rest are dropped undecoded.

    A quarter-period tolerance keeps an exact divisor steady (15 fps → 5 fps is every third
    frame even with rounding), and after a gap the schedule restarts instead of bursting.
    """

    def __init__(self, fps: float) -> None:
        self._period = timedelta(seconds=1.0 / fps)
        self._slack = self._period / 4
        self._next: datetime | None = None

    def admit(self, stamp: datetime) -> bool:
        if self._next is None or stamp - self._next > self._period:
            self._next = stamp + self._period
            return True
        if stamp >= self._next - self._slack:
            self._next += self._period
            return True
        return False

    def reset(self) -> None:
        self._next = None
