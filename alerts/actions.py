"""Operator actions on alerts: one audited lifecycle transition per call."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from psycopg_pool import ConnectionPool

from alerts.lifecycle import Action, apply
from shorewatch.events import Alert
from shorewatch.store.alerts_repo import AlertsRepo


class AlertNotFound(LookupError):
    pass


class AlertActions:
    def __init__(
        self, pool: ConnectionPool, publish: Callable[[Alert], None], clock: Callable[[], datetime]
    ) -> None:
        self._pool = pool
        self._alerts = AlertsRepo()
        self._publish = publish
        self._clock = clock

    def transition(self, alert_id: uuid.UUID, action: Action, actor: str, note: str = "") -> Alert:
        """Raises AlertNotFound, or InvalidTransition naming the allowed actions."""
        now = self._clock()
        with self._pool.connection() as conn, conn.transaction():
            current = self._alerts.get(conn, alert_id, lock=True)
            if current is None:
                raise AlertNotFound(f"no alert {alert_id}")
            state = apply(current.state, action)
            changes: dict[str, object] = {"state": state, "updated_at": now}
            if action is Action.ACKNOWLEDGE:
                changes["acknowledged_by"] = actor
            alert = current.model_copy(update=changes)
            self._alerts.update(conn, alert)
            self._alerts.record(
                conn,
                alert_id,
                actor=actor,
                action=action.value,
                from_state=current.state,
                to_state=state,
                note=note,
                at=now,
            )
        self._publish(alert)
        return alert
