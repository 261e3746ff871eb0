"""Escalation: an alert nobody acknowledged within its level's deadline is raised one level and
re-published, so it reaches whoever watches the higher level and is pushed again to those who
missed it. Each escalation restarts the clock with the new level's deadline, up to
`max_escalations`; acknowledging (or resolving) stops it. Silenced alerts do not escalate; one
whose silence is lifted counts from the lift (`unsilenced_at`), when it was first pushed.

Runs in the alerts role as a thread on the service's (injected) clock; `run_once` is the whole
sweep, so a test can drive it by moving the clock instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from psycopg_pool import ConnectionPool

from alerts.scoring import raise_level
from alerts.service import SYSTEM_ACTOR
from shorewatch.config.alerts import EscalationConfig
from shorewatch.events import Alert, AlertState, Level
from shorewatch.metrics import Metrics
from shorewatch.periodic import Periodic
from shorewatch.store.alerts_repo import AlertsRepo


def deadline(alert: Alert, config: EscalationConfig) -> datetime | None:
    """When this alert escalates unless acknowledged; None when it never will."""
    seconds = config.ack_deadline_s.for_level(alert.level)
    if (
        seconds is None
        or alert.state is not AlertState.NEW
        or alert.silenced
        or alert.escalations >= config.max_escalations
    ):
        return None
    since = alert.escalated_at or alert.created_at
    if alert.unsilenced_at is not None:  # silenced until then: nobody was told before
        since = max(since, alert.unsilenced_at)
    return since + timedelta(seconds=seconds)


def escalate(alert: Alert, now: datetime) -> Alert:
    return alert.model_copy(
        update={
            "escalations": alert.escalations + 1,
            "escalated_at": now,
            "level": raise_level(alert.level, 1),
            "updated_at": now,
        }
    )


class Escalator:
    def __init__(
        self,
        pool: ConnectionPool,
        config: EscalationConfig,
        publish: Callable[[Alert], None],
        metrics: Metrics,
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._config = config
        self._publish = publish
        self._metrics = metrics
        self._clock = clock
        self._alerts = AlertsRepo()
        self._job = Periodic("escalation", config.interval_s, self.run_once)

    def run_once(self) -> list[Alert]:
        """Escalate every alert past its deadline now; returns them as published."""
        now = self._clock()
        # Only alerts that may be due are read: `deadline` counts from when they opened or last
        # escalated, or later (a lifted silence).
        waited_since = {
            lv: now - timedelta(seconds=seconds)
            for lv in Level
            if (seconds := self._config.ack_deadline_s.for_level(lv)) is not None
        }
        escalated: list[Alert] = []
        with self._pool.connection() as conn, conn.transaction():
            for alert in self._alerts.awaiting_ack(conn, waited_since):
                due = deadline(alert, self._config)
                if due is None or now < due:
                    continue
                raised = escalate(alert, now)
                self._alerts.update(conn, raised)
                self._alerts.record(
                    conn,
                    alert.id,
                    actor=SYSTEM_ACTOR,
                    action="escalated",
                    from_state=alert.state,
                    to_state=raised.state,
                    note=(
                        f"not acknowledged by {due.astimezone(UTC):%H:%M:%S}Z; escalation "
                        f"{raised.escalations}, level {alert.level.value} -> {raised.level.value}"
                    ),
                    at=now,
                )
                escalated.append(raised)
        for alert in escalated:
            self._metrics.alerts.labels(action="escalated").inc()
            self._publish(alert)
        return escalated

    def start(self) -> None:
        self._job.start()

    def stop(self) -> None:
        self._job.stop()
