"""Polling for what a running service does asynchronously (rows, alerts, pushes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(predicate: Callable[[], object], timeout_s: float = 15.0) -> Any:
    """The first truthy value `predicate` returns; AssertionError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout_s}s")
