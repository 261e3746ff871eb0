"""Events in, alerts out: store the event, fold it into the target's open alert or open one.

One open alert per target and kind (the database enforces it too); a repeat updates that alert,
re-scores it and re-publishes it, so dispatchers see one line per threat, not one per report.
The target's other open alerts are re-scored on the new evidence too (alerts/scoring.py), an
inhibition rule may fold the event into another kind's alert, and a silence keeps the change
off the bus (alerts/silences.py).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog
from psycopg_pool import ConnectionPool

from alerts.retry import retrying
from alerts.scoring import grade, score_factors
from alerts.silences import inhibiting, linked_targets, silencing
from shorewatch.config.site import SiteConfig
from shorewatch.events import Alert, AlertState, Event, Level, Message
from shorewatch.metrics import Metrics
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.events_repo import EventsRepo
from shorewatch.store.silences_repo import SilencesRepo
from shorewatch.store.timeseries import Conn
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
        jurisdiction_of: Callable[[float, float], str | None] = lambda _lat, _lon: None,
    ) -> None:
        self._pool = pool
        self._site = site
        self._zones = zones
        self._events = events
        self._alerts = AlertsRepo()
        self._silences = SilencesRepo()
        self._publish = publish
        self._metrics = metrics
        self._clock = clock
        # Set once, where the alert opens: its owner does not change while it is handled.
        self._jurisdiction_of = jurisdiction_of

    def on_message(self, message: Message) -> None:
        if isinstance(message, Event):
            self.handle(message)

    def on_messages(self, messages: list[Message]) -> None:
        events = [m for m in messages if isinstance(m, Event)]
        if events:
            self.handle_many(events)

    def handle_many(self, events: list[Event]) -> list[Alert | None]:
        """Events that queued up together, folded in one transaction (each in a savepoint of
        its own) and published after it commits: at a high event rate one commit serves many.
        Retried whole on a transient error; the bus acknowledges them only after this."""

        def fold_all() -> list[_Folded]:
            with self._pool.connection() as conn, conn.transaction():
                return [self._fold(event, conn) for event in events]

        folded = retrying(fold_all, self._metrics, "alerts", subject=f"{len(events)} events")
        latest: dict[uuid.UUID, Alert] = {}
        for each in folded:
            for alert in each.changed:
                latest.pop(alert.id, None)  # one publish per alert: its last state, in order
                latest[alert.id] = alert
        for alert in latest.values():
            if not alert.silenced:
                self._publish(alert)
        return [each.host for each in folded]

    def handle(self, event: Event) -> Alert | None:
        """Returns the alert the event landed in, or None when it changed no alert. Every
        alert it changed that no silence holds is published."""
        folded = retrying(lambda: self._fold(event), self._metrics, "alerts", subject=str(event.id))
        for alert in folded.changed:
            if not alert.silenced:
                self._publish(alert)
        return folded.host

    def _fold(self, event: Event, outer: Conn | None = None) -> _Folded:
        now = self._clock()
        with self._connection(outer) as conn, conn.transaction():
            is_new_event = self._events.upsert(conn, event)
            open_alerts = self._alerts.open_for_targets(conn, sorted(linked_targets(event)))
            if any(event.id in a.event_ids for a in open_alerts):
                return _Folded(None, [])  # a known episode re-published (closed): row updated
            if not is_new_event:
                return _Folded(None, [])  # replay of an event whose alert is already closed
            host, inhibited = self._host(event, open_alerts)
            target = host.target if host is not None else event.primary_target
            group = [a for a in open_alerts if a.target == target]
            evidence = self._group_events(conn, group, event)
            if host is None:
                base, action = self._new_alert(event, now), "created"
                note = f"{event.kind.value} on {event.primary_target}"
            else:
                base, action = (
                    self._merge(host, event, now),
                    "inhibited" if inhibited else "updated",
                )
                note = f"{event.kind.value} event {event.id} folded in"
            silence = silencing(self._silences.active(conn, now), base, base.zone, now)
            alert = self._scored(base, evidence, silenced=silence is not None)
            if host is None:
                self._alerts.insert(conn, alert)
            else:
                self._alerts.update(conn, alert)
            if silence is not None:
                note += f"; silenced by {silence.id} ({silence.created_by}: {silence.reason})"
                self._metrics.alerts.labels(action="silenced").inc()
            self._alerts.record(
                conn,
                alert.id,
                actor=SYSTEM_ACTOR,
                action=action,
                from_state=host.state if host is not None else None,
                to_state=alert.state,
                note=f"{note}; score {alert.score:.0f} {alert.level.value}",
                at=now,
            )
            self._metrics.alerts.labels(action=action).inc()
            changed = [alert]
            for sibling in group:
                if sibling.id != alert.id:
                    rescored = self._rescore(conn, sibling, evidence, event, now)
                    changed += [rescored] if rescored is not None else []
        return _Folded(alert, changed)

    @contextlib.contextmanager
    def _connection(self, outer: Conn | None) -> Iterator[Conn]:
        """The caller's connection (the event's transaction is then a savepoint in the
        caller's), or one from the pool."""
        if outer is not None:
            yield outer
        else:
            with self._pool.connection() as conn:
                yield conn

    def _host(self, event: Event, open_alerts: list[Alert]) -> tuple[Alert | None, bool]:
        """The open alert the event belongs in, and whether an inhibition rule sent it there."""
        host = inhibiting(event, self._site.alerts.inhibit, open_alerts)
        if host is not None:
            return host, True
        same = (a for a in open_alerts if a.kind == event.kind and a.target == event.primary_target)
        return next(same, None), False

    def _group_events(self, conn: Conn, group: list[Alert], event: Event) -> list[Event]:
        """The events of every open alert of the target, and the new one."""
        ids: list[object] = [i for a in group for i in a.event_ids]
        stored = self._events.list_for_alert(conn, ids) if ids else []
        return [e for e in stored if e.id != event.id] + [event]

    def _scored(self, alert: Alert, evidence: list[Event], *, silenced: bool) -> Alert:
        config = self._site.alerts
        factors = score_factors(evidence, alert.event_count, config, self._zones)
        score, level = grade(factors, config, alert.escalations)
        return alert.model_copy(
            update={"factors": factors, "score": score, "level": level, "silenced": silenced}
        )

    def _rescore(
        self, conn: Conn, sibling: Alert, evidence: list[Event], event: Event, now: datetime
    ) -> Alert | None:
        """Another open alert of the same target, re-scored on the new evidence; None when
        its score and factors did not change."""
        alert = self._scored(sibling, evidence, silenced=sibling.silenced)
        if alert.factors == sibling.factors and alert.level == sibling.level:
            return None
        alert = alert.model_copy(update={"updated_at": now})
        self._alerts.update(conn, alert)
        self._alerts.record(
            conn,
            alert.id,
            actor=SYSTEM_ACTOR,
            action="rescored",
            from_state=sibling.state,
            to_state=alert.state,
            note=(
                f"{event.kind.value} event {event.id} on the same target; score "
                f"{sibling.score:.0f} {sibling.level.value} -> {alert.score:.0f} "
                f"{alert.level.value}"
            ),
            at=now,
        )
        self._metrics.alerts.labels(action="rescored").inc()
        return alert

    def _new_alert(self, event: Event, now: datetime) -> Alert:
        """Unscored: `_scored` fills in factors, score and level from the target's evidence."""
        return Alert(
            id=uuid.uuid4(),
            kind=event.kind,
            target=event.primary_target,
            score=0.0,
            level=Level.BLUE,
            state=AlertState.NEW,
            lat=event.lat,
            lon=event.lon,
            zone=event.zone,
            jurisdiction=self._jurisdiction_of(event.lat, event.lon),
            event_ids=(event.id,),
            event_count=1,
            created_at=now,
            updated_at=now,
        )

    def _merge(self, current: Alert, event: Event, now: datetime) -> Alert:
        return current.model_copy(
            update={
                "lat": event.lat,
                "lon": event.lon,
                "zone": event.zone or current.zone,
                "event_ids": (*current.event_ids, event.id),
                "event_count": current.event_count + 1,
                "updated_at": now,
            }
        )


@dataclass(frozen=True)
class _Folded:
    host: Alert | None
    changed: list[Alert]
