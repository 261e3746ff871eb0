"""Events in, alerts out: store the event, fold it into the target's open alert or open one.

One open alert per target and kind (the database enforces it too); a repeat updates that alert,
re-scores it and re-publishes it, so dispatchers see one line per threat, not one per report.
The target's other open alerts are re-scored on the new evidence too (alerts/scoring.py), an
inhibition rule may fold the event into another kind's alert, and a silence keeps the change
off the bus (alerts/silences.py).

Events that queued up together are handled as one batch in one transaction of a handful of
statements whatever its size: the events stored in one, the targets' open alerts (locked),
their events and the silences read once, the events folded in memory in order
(alerts/folding.py), the alerts and their audit lines written in one statement each.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

import psycopg
import structlog
from psycopg_pool import ConnectionPool

from alerts.folding import SYSTEM_ACTOR, Batch, Folded, Folder
from alerts.retry import retrying
from alerts.silences import linked_targets
from shorewatch.config.site import SiteConfig
from shorewatch.events import Alert, Event, Message
from shorewatch.metrics import Metrics
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.events_repo import EventsRepo
from shorewatch.store.silences_repo import SilencesRepo
from shorewatch.store.timeseries import Conn
from shorewatch.zones import Zone

__all__ = ["SYSTEM_ACTOR", "AlertService"]
log = structlog.get_logger(__name__)
# What a bad event raises (a value the database or the schema refuses): it is left out of its
# batch. Transient errors never get here: `retrying` retries them.
_REFUSED = (psycopg.Error, ValueError)


class AlertService:
    def __init__(
        self,
        pool: ConnectionPool,
        site: SiteConfig,
        zones: Mapping[str, Zone],
        events: EventsRepo,
        publish: Callable[[list[Alert]], None],
        metrics: Metrics,
        clock: Callable[[], datetime],
        jurisdiction_of: Callable[[float, float], str | None] = lambda _lat, _lon: None,
    ) -> None:
        self._pool = pool
        self._events = events
        self._alerts = AlertsRepo()
        self._silences = SilencesRepo()
        self._publish = publish
        self._metrics = metrics
        self._clock = clock
        # An alert's jurisdiction follows its target: each event sets the latest one and adds
        # it to the set of areas whose users see the alert (alerts/silences.py, api/deps.py).
        self._folder = Folder(site, zones, jurisdiction_of)

    def on_message(self, message: Message) -> None:
        if isinstance(message, Event):
            self.handle(message)

    def on_messages(self, messages: list[Message]) -> None:
        events = [m for m in messages if isinstance(m, Event)]
        if events:
            self.handle_many(events)

    def handle(self, event: Event) -> Alert | None:
        """Returns the alert the event landed in, or None when it changed no alert. Every
        alert it changed that no silence holds is published."""
        return self.handle_many([event])[0]

    def handle_many(self, events: list[Event]) -> list[Alert | None]:
        """Events that queued up together, folded in one transaction and published after it
        commits, each alert once in its last state: the same alerts, audit lines and
        publications as handling them one by one. Retried whole on a transient error; the bus
        acknowledges them only after this. When the store refuses the batch, its events are
        handled one by one and a bad one is left out (logged, counted), not the rest with it."""
        try:
            folded = retrying(
                lambda: self._fold_batch(events),
                self._metrics,
                "alerts",
                subject=f"{len(events)} events",
            )
        except _REFUSED as exc:
            if len(events) == 1:
                self._refused(events[0], exc)
                return [None]
            log.warning("alert batch refused; folding its events one by one", error=str(exc))
            return [self.handle(event) for event in events]
        latest: dict[uuid.UUID, Alert] = {}
        for each in folded:
            for alert in each.changed:
                latest.pop(alert.id, None)  # one publish per alert: its last state, in order
                latest[alert.id] = alert
        audible = [alert for alert in latest.values() if not alert.silenced]
        if audible:
            self._publish(audible)
        return [each.host for each in folded]

    def _fold_batch(self, events: list[Event]) -> list[Folded]:
        now = self._clock()
        with self._pool.connection() as conn, conn.transaction():
            batch = self._read(conn, events, now)
            fresh = self._events.upsert_many(conn, events)
            folded = [
                self._folder.fold(batch, event, is_new, now)
                for event, is_new in zip(events, fresh, strict=True)
            ]
            self._alerts.save_many(conn, list(batch.written.values()))
            self._alerts.record_many(conn, batch.history)
        for action, count in batch.counts.items():
            self._metrics.alerts.labels(action=action).inc(count)
        return folded

    def _read(self, conn: Conn, events: list[Event], now: datetime) -> Batch:
        """Everything the batch's folds read, in three statements, before its events are
        stored (so a re-published event's old row is what the events before it see). The
        targets' open alerts are locked in id order: no deadlock between two workers."""
        targets = sorted({t for event in events for t in linked_targets(event)})
        open_alerts = self._alerts.open_for_targets(conn, targets)
        ids: list[object] = [i for a in open_alerts for i in a.event_ids]
        stored = self._events.list_for_alert(conn, ids) if ids else []
        return Batch.of(open_alerts, stored, self._silences.active(conn, now))

    def _refused(self, event: Event, exc: Exception) -> None:
        self._metrics.store_rejected.labels(reason=type(exc).__name__).inc()
        log.error(
            "event refused; left out of its batch",
            event_id=str(event.id),
            kind=event.kind.value,
            error=str(exc),
        )
