"""Operator actions on alerts: one audited lifecycle transition per call."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from psycopg_pool import ConnectionPool

from alerts.lifecycle import Action, changes
from shorewatch.events import Alert, Outcome
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.timeseries import Conn


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

    def now(self) -> datetime:
        """The service clock (injected), for routes that stamp or compare times."""
        return self._clock()

    def transition(
        self,
        alert_id: uuid.UUID,
        action: Action,
        actor: str,
        note: str = "",
        *,
        outcome: Outcome | None = None,
    ) -> Alert:
        """Raises AlertNotFound, InvalidTransition naming the allowed actions, or
        OutcomeMismatch (resolve without an outcome, or an outcome on another action)."""
        with self._pool.connection() as conn, conn.transaction():
            alert = self.apply(conn, alert_id, action, actor, note, outcome=outcome)
        self.announce(alert)
        return alert

    def apply(
        self,
        conn: Conn,
        alert_id: uuid.UUID,
        action: Action,
        actor: str,
        note: str = "",
        *,
        outcome: Outcome | None = None,
    ) -> Alert:
        """The transition inside the caller's transaction, unpublished: a caller that changes
        more in the same transaction (dispatch) commits first, then `announce`s."""
        now = self._clock()
        current = self._alerts.get(conn, alert_id, lock=True)
        if current is None:
            raise AlertNotFound(f"no alert {alert_id}")
        alert = current.model_copy(
            update=changes(current.state, action, at=now, actor=actor, outcome=outcome)
        )
        self._alerts.update(conn, alert)
        self._alerts.record(
            conn,
            alert_id,
            actor=actor,
            action=action.value,
            from_state=current.state,
            to_state=alert.state,
            # The outcome leads the audit note, so the record keeps it whatever happens
            # to the alert row later.
            note=f"[{outcome.value}] {note}" if outcome is not None else note,
            at=now,
        )
        return alert

    def announce(self, alert: Alert) -> None:
        """Publish a committed change."""
        self._publish(alert)
