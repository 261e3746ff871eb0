"""Alert changes POSTed to the site's webhooks (`alerts.webhooks`): pagers, chat, case systems.

Runs in the alerts role, subscribed to the alert topics like the units that follow alerts, so
every change is seen whoever made it (scoring, escalation, an API action). The bus handler only
matches and queues: posting runs on a small pool, and when its queue is full a delivery is
dropped, counted and logged rather than holding up the bus. Silenced alerts are never sent: a
silence mutes notification. The body is the Alert JSON as on the bus; with a `secret` it is
signed (HMAC-SHA256) so a receiver can tell it came from us and was not altered.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import structlog

from alerts.webhooks import WebhookPoster
from shorewatch.config.alerts import WebhookSpec
from shorewatch.events import Alert, Level, Message
from shorewatch.jurisdictions import Jurisdictions
from shorewatch.logs import RateLimitedLog
from shorewatch.metrics import Metrics

log = structlog.get_logger(__name__)
SIGNATURE_HEADER = "X-ShoreWatch-Signature"
LEVEL_RANK = {Level.BLUE: 0, Level.YELLOW: 1, Level.ORANGE: 2, Level.RED: 3}


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the exact body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Route:
    """A webhook with its jurisdiction filter widened to every area below the named ones."""

    spec: WebhookSpec
    areas: frozenset[str] | None

    @classmethod
    def build(cls, spec: WebhookSpec, jurisdictions: Jurisdictions) -> Route:
        if spec.jurisdictions is None:
            return cls(spec, None)
        return cls(spec, frozenset().union(*(jurisdictions.area(j) for j in spec.jurisdictions)))

    def matches(self, alert: Alert) -> bool:
        spec = self.spec
        return (
            not alert.silenced
            and LEVEL_RANK[alert.level] >= LEVEL_RANK[spec.min_level]
            and (spec.kinds is None or alert.kind in spec.kinds)
            and (self.areas is None or not self.areas.isdisjoint(alert.all_jurisdictions()))
        )

    def headers(self, body: bytes) -> dict[str, str]:
        secret = self.spec.secret
        return {} if secret is None else {SIGNATURE_HEADER: sign(secret.get_secret_value(), body)}


class AlertWebhooks:
    def __init__(
        self,
        specs: Iterable[WebhookSpec],
        jurisdictions: Jurisdictions,
        metrics: Metrics,
        *,
        workers: int = 4,
        queue_size: int = 1000,
        timeout_s: float = 5.0,
        attempts: int = 4,
        backoff_s: float = 0.5,
    ) -> None:
        self.routes = tuple(Route.build(spec, jurisdictions) for spec in specs)
        self._metrics = metrics
        self._poster = WebhookPoster(
            self._count, timeout_s=timeout_s, attempts=attempts, backoff_s=backoff_s
        )
        # Deliveries running or waiting; the executor's own queue is unbounded.
        self._slots = threading.BoundedSemaphore(workers + queue_size)
        self._waiting = 0  # queued, not yet started: what a shutdown cancels
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alert-hook")
        self._drops = RateLimitedLog(__name__)

    def on_message(self, message: Message) -> None:
        """Bus handler: queue a POST for each matching webhook; never blocks on the network."""
        if not isinstance(message, Alert) or message.silenced:
            return
        body: bytes | None = None
        for route in self.routes:
            if route.matches(message):
                body = body or message.model_dump_json().encode()
                self._enqueue(route, message, body)

    def close(self) -> None:
        """Cut back-off waits short and finish the POSTs in flight; queued ones are dropped."""
        self._poster.close()
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            cancelled, self._waiting = self._waiting, 0
        if cancelled:
            self._metrics.alert_webhooks.labels(outcome="dropped").inc(cancelled)
            log.warning("alert webhooks closed; queued changes not sent", dropped=cancelled)

    def _enqueue(self, route: Route, alert: Alert, body: bytes) -> None:
        if not self._slots.acquire(blocking=False):
            self._count("dropped")
            self._drops.warning(
                "alert-webhook-full",
                "alert webhook queue full; change not sent",
                alert=str(alert.id),
                host=urlsplit(route.spec.url).hostname,
            )
            return
        with self._lock:
            self._waiting += 1
        try:
            self._executor.submit(self._send, route, alert, body)
        except RuntimeError:  # shutting down: the service is stopping
            with self._lock:
                self._waiting -= 1
            self._slots.release()
            log.warning("alert webhooks closed; change not sent", alert=str(alert.id))

    def _send(self, route: Route, alert: Alert, body: bytes) -> None:
        with self._lock:
            self._waiting -= 1
        try:
            delivered, error = self._poster.post(route.spec.url, body, route.headers(body))
            if not delivered:
                log.warning(
                    "alert webhook failed",
                    alert=str(alert.id),
                    host=urlsplit(route.spec.url).hostname,
                    error=error,
                )
        except Exception:  # the executor would keep it in a future nobody reads
            log.exception("alert webhook task failed", alert=str(alert.id))
        finally:
            self._slots.release()

    def _count(self, outcome: str) -> None:
        self._metrics.alert_webhooks.labels(outcome=outcome).inc()
