"""Retrying database work that failed for a reason that passes: a lost connection (failover,
restart, `pg_terminate_backend`), an exhausted pool, a serialization failure or deadlock, or a
concurrent insert of the same alert. The work is one transaction, so a retry starts clean; the
caller acknowledges its message only after this returns, so nothing is lost while it waits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import psycopg
import structlog

from shorewatch.metrics import Metrics
from shorewatch.store import transient as store_transient

log = structlog.get_logger(__name__)
T = TypeVar("T")
TRANSIENT: tuple[type[Exception], ...] = (
    *store_transient.TRANSIENT,
    psycopg.errors.UniqueViolation,  # two workers opened the same alert: fold into the winner
)
MAX_DELAY_S = 5.0


def retrying(
    work: Callable[[], T],
    metrics: Metrics,
    stage: str,
    *,
    stop: threading.Event | None = None,
    **context: str,
) -> T:
    """`work()`, retried with a growing pause (up to 5 s) for as long as it fails transiently,
    until `stop` is set (then the last error is raised: the message stays unacknowledged)."""
    delay = 0.05
    while True:
        try:
            return work()
        except TRANSIENT as exc:
            metrics.store_retries.labels(stage=stage, error=type(exc).__name__).inc()
            log.warning("database work failed; retrying", stage=stage, error=str(exc), **context)
            if stop is not None and stop.wait(delay):
                raise
            if stop is None:
                threading.Event().wait(delay)
            delay = min(delay * 2, MAX_DELAY_S)
