"""A small progress bar on stderr for long replays (no dependency for one line of text)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30
REDRAW_S = 0.2
CHECK_EVERY = 4096  # lines between clock reads: the bar must cost nothing per line


class Progress:
    """`advance()` once per line; redraws at most every REDRAW_S, and `close()` ends the line."""

    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = max(total, 1)
        self.done = 0
        self._stream = stream
        self._enabled = enabled
        self._clock = clock
        self._started = clock()
        self._drawn = self._started
        self._countdown = CHECK_EVERY

    def advance(self) -> None:
        self.done += 1
        self._countdown -= 1
        if self._countdown <= 0:
            self._countdown = CHECK_EVERY
            now = self._clock()
            if self._enabled and now - self._drawn >= REDRAW_S:
                self._drawn = now
                self._draw(now)

    def close(self) -> None:
        if self._enabled:
            self._draw(self._clock())
            self._stream.write("\n")
            self._stream.flush()

    def render(self, now: float) -> str:
        share = min(self.done / self.total, 1.0)
        filled = round(share * WIDTH)
        rate = self.done / max(now - self._started, 1e-9)
        return (
            f"\rreplay [{'#' * filled}{'.' * (WIDTH - filled)}] {share:4.0%} "
            f"{self.done:,}/{self.total:,} lines {rate:,.0f} lines/s"
        )

    def _draw(self, now: float) -> None:
        self._stream.write(self.render(now))
        self._stream.flush()
