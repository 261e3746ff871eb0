"""A job run every few seconds on a thread of its own (silence sweeps, escalation): a tick that
fails is logged and tried again at the next interval, never ending the thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class Periodic:
    def __init__(self, name: str, interval_s: float, tick: Callable[[], object]) -> None:
        self._name = name
        self._interval_s = interval_s
        self._tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._tick()
            except Exception:
                log.exception("periodic job failed; retrying next interval", job=self._name)
