"""Events in, alerts out: store the event, fold it into the target's open alert or open one.

One open alert per target and kind (the database enforces it too); a repeat updates that alert,
re-scores it and re-publishes it, so dispatchers see one line per threat, not one per report.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

import psycopg
import structlog
from psycopg_pool import ConnectionPool

from alerts.scoring import grade, score_factors
from shorewatch.config import SiteConfig
from shorewatch.events import Alert, AlertState, Event, Message
from shorewatch.metrics import Metrics
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.events_repo import EventsRepo
from shorewatch.zones import Zone

log = structlog.get_logger(__name__)
SYSTEM_ACTOR = "system"


class AlertService:
    def __init__(
        self,
        pool: ConnectionPool,
        site: SiteConfig,
        zones: Mapping[str, Zone],
        events: EventsRepo,
        publish: Callable[[Alert], None],
        metrics: Metrics,
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._site = site
        self._zones = zones
        self._events = events
        self._alerts = AlertsRepo()
        self._publish = publish
        self._metrics = metrics
        self._clock = clock

    def on_message(self, message: Message) -> None:
        if isinstance(message, Event):
            self.handle(message)

    def handle(self, event: Event) -> Alert | None:
        """Returns the alert as changed, or None when the event changed no alert."""
        for attempt in (1, 2):
            try:
                alert = self._fold(event)
                break
            except psycopg.errors.UniqueViolation:
                if attempt == 2:
                    raise
                log.info("concurrent alert creation; folding into the winner", event=event.id)
        if alert is not None:
            self._publish(alert)
        return alert

    def _fold(self, event: Event) -> Alert | None:
        now = self._clock()
        with self._pool.connection() as conn, conn.transaction():
            is_new_event = self._events.upsert(conn, event)
            current = self._alerts.open_for(conn, event.primary_target, event.kind)
            if current is not None and event.id in current.event_ids:
                return None  # a known episode re-published (closed): the row is updated
            if not is_new_event and current is None:
                return None  # replay of an event whose alert is already closed
            if current is None:
                alert = self._new_alert(event, now)
                self._alerts.insert(conn, alert)
                self._alerts.record(
                    conn,
                    alert.id,
                    actor=SYSTEM_ACTOR,
                    action="created",
                    from_state=None,
                    to_state=alert.state,
                    note=f"{event.kind.value} on {event.primary_target}",
                )
                self._metrics.alerts.labels(action="created").inc()
            else:
                alert = self._merge(current, event, now)
                self._alerts.update(conn, alert)
                self._alerts.record(
                    conn,
                    alert.id,
                    actor=SYSTEM_ACTOR,
                    action="updated",
                    from_state=current.state,
                    to_state=alert.state,
                    note=f"event {event.id} folded in; score {alert.score:.0f}",
                )
                self._metrics.alerts.labels(action="updated").inc()
        return alert

    def _new_alert(self, event: Event, now: datetime) -> Alert:
        factors = score_factors(event.kind, event.zone, 1, self._site.alerts, self._zones)
        score, level = grade(factors, self._site.alerts)
        return Alert(
            id=uuid.uuid4(),
            kind=event.kind,
            target=event.primary_target,
            score=score,
            level=level,
            factors=factors,
            state=AlertState.NEW,
            lat=event.lat,
            lon=event.lon,
            zone=event.zone,
            event_ids=(event.id,),
            event_count=1,
            created_at=now,
            updated_at=now,
        )

    def _merge(self, current: Alert, event: Event, now: datetime) -> Alert:
        count = current.event_count + 1
        factors = score_factors(event.kind, event.zone, count, self._site.alerts, self._zones)
        score, level = grade(factors, self._site.alerts)
        return current.model_copy(
            update={
                "score": score,
                "level": level,
                "factors": factors,
                "lat": event.lat,
                "lon": event.lon,
                "zone": event.zone or current.zone,
                "event_ids": (*current.event_ids, event.id),
                "event_count": count,
                "updated_at": now,
            }
        )
