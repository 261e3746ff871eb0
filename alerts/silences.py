"""Silences and inhibition: the two ways an alert is kept quiet without losing its evidence.

A silence (set by a person, with an expiry and a reason) mutes notification the way
Alertmanager does: the event is stored, the alert is opened or updated and counted as usual,
but it is marked `silenced` and not pushed to the bus, the live feed or the escalation sweep.
Whether an alert is silenced is decided at each of its events and again whenever the silences
change (`reevaluate`): when one is set (the API withdraws the open alerts it matches: they are
published once more, marked silenced, so consoles drop them), expired, or starts or runs out
(`SilenceSweeper`, in the alerts role). An alert whose silence is lifted is published then and
escalates from then (`unsilenced_at`), without waiting for its target to speak again.

An inhibition rule (site YAML) folds an event into another open alert of the same target
instead of letting it raise its own: a camera sighting of a dark target adds evidence to that
alert rather than a second line for the same boat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from psycopg_pool import ConnectionPool

from shorewatch.config.alerts import InhibitRule
from shorewatch.events import OPEN_STATES, Alert, Event
from shorewatch.metrics import Metrics
from shorewatch.periodic import Periodic
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.silences_repo import Silence, SilencesRepo
from shorewatch.store.timeseries import Conn

_LINK_FACTS = ("associated_with", "track")
_ACTOR = "system"  # the audit's name for the service itself (alerts.service.SYSTEM_ACTOR)
_alerts = AlertsRepo()
_silences = SilencesRepo()


def silencing(
    silences: Iterable[Silence],
    alert: Alert,
    zone: str | None,
    at: datetime,
) -> Silence | None:
    """The first silence in force at `at` that matches the alert (in `zone`, where its latest
    event happened), or None."""
    return next(
        (
            s
            for s in silences
            if s.active(at) and s.matches(alert.kind, alert.target, zone, alert.all_jurisdictions())
        ),
        None,
    )


def linked_targets(event: Event) -> frozenset[str]:
    """The targets an event speaks of: its own, and a track it names as the same object
    (a camera track fused with a radar track says so in `associated_with`)."""
    linked = {v for k in _LINK_FACTS if isinstance(v := event.facts.get(k), str)}
    return frozenset(event.targets) | linked


def inhibiting(
    event: Event, rules: Sequence[InhibitRule], open_alerts: Sequence[Alert]
) -> Alert | None:
    """The open alert that this event folds into under the first matching rule, or None."""
    targets = linked_targets(event)
    for rule in rules:
        if rule.event != event.kind:
            continue
        host = next((a for a in open_alerts if a.kind == rule.into and a.target in targets), None)
        if host is not None:
            return host
    return None


def with_silence(alert: Alert, silenced: bool, now: datetime) -> Alert:
    """The alert marked (un)silenced; a lift stamps `unsilenced_at`, whence escalation counts."""
    lifted = alert.silenced and not silenced
    return alert.model_copy(
        update={"silenced": silenced, "unsilenced_at": now if lifted else alert.unsilenced_at}
    )


def reevaluate(conn: Conn, now: datetime, metrics: Metrics) -> list[Alert]:
    """Decide again, against the silences in force at `now`, which open alerts are silenced.
    Those whose answer changed are updated and audited in the caller's transaction and
    returned, for the caller to publish once it commits. Rows being folded right now are
    skipped: the fold decides them itself, and the next sweep catches a race."""
    in_force = _silences.active(conn, now)
    changed: list[Alert] = []
    for seen in _alerts.open_to_resilence(conn, include_loud=bool(in_force)):
        if (silencing(in_force, seen, seen.zone, now) is not None) == seen.silenced:
            continue  # read unlocked: only the few that change are locked, and decided again
        alert = _alerts.lock_if_free(conn, seen.id)
        if alert is None or alert.state not in OPEN_STATES:
            continue
        silence = silencing(in_force, alert, alert.zone, now)
        if (silence is not None) == alert.silenced:
            continue
        updated = with_silence(alert, silence is not None, now).model_copy(
            update={"updated_at": now}
        )
        _alerts.update(conn, updated)
        action = "unsilenced" if silence is None else "silenced"
        _alerts.record(
            conn,
            alert.id,
            actor=_ACTOR,
            action=action,
            from_state=alert.state,
            to_state=updated.state,
            note=(
                "no silence in force matches it now"
                if silence is None
                else f"silenced by {silence.id} ({silence.created_by}: {silence.reason})"
            ),
            at=now,
        )
        metrics.alerts.labels(action=action).inc()
        changed.append(updated)
    return changed


class SilenceSweeper:
    """Applies silences that start or run out on their own, on the service's clock: the
    alerts role runs it every `interval_s`; `run_once` is the whole sweep, for tests."""

    def __init__(
        self,
        pool: ConnectionPool,
        publish: Callable[[Alert], None],
        metrics: Metrics,
        clock: Callable[[], datetime],
        interval_s: float = 5.0,
    ) -> None:
        self._pool = pool
        self._publish = publish
        self._metrics = metrics
        self._clock = clock
        self._job = Periodic("silences", interval_s, self.run_once)

    def run_once(self) -> list[Alert]:
        """Re-decide every open alert now; returns those changed, as published."""
        with self._pool.connection() as conn, conn.transaction():
            changed = reevaluate(conn, self._clock(), self._metrics)
        for alert in changed:
            self._publish(alert)
        return changed

    def start(self) -> None:
        self._job.start()

    def stop(self) -> None:
        self._job.stop()
