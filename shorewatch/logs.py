"""Structured logging, and a limiter so a flood of bad input cannot flood the log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import structlog


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=False,
    )


class RateLimitedLog:
    """Logs at most `per_interval` messages per key per interval, then one summary of the rest."""

    def __init__(
        self,
        name: str,
        per_interval: int = 5,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = structlog.get_logger(name)
        self._per_interval = per_interval
        self._interval_s = interval_s
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def warning(self, key: str, message: str, **fields: object) -> bool:
        """Returns whether the message was written (False when suppressed)."""
        now = self._clock()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= self._interval_s:
            if count > self._per_interval:
                self._log.warning(
                    "suppressed repeats", key=key, suppressed=count - self._per_interval
                )
            started, count = now, 0
        count += 1
        self._windows[key] = (started, count)
        if count <= self._per_interval:
            self._log.warning(message, key=key, **fields)
            return True
        return False
