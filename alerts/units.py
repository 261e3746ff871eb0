"""The dispatch desk: every change to a patrol unit, from the API, the bus or the alert it serves.

Dispatching moves the alert through the audited lifecycle (or, for an alert already
dispatched, audits the extra unit), records the assignment, sets the unit en route and tells
it. From then on the unit follows its alert: a resolved alert sends its units home
(`returning`), and the unit's own reports (on scene, back, out of service) come by API or MQTT.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

import structlog
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, ConfigDict

from alerts.actions import AlertActions, AlertNotFound
from alerts.dispatch import DISPATCHABLE, Suggestion, reach, suggest, suitable_kinds
from alerts.lifecycle import Action
from alerts.notify import UnitNotifier
from alerts.unit_states import check
from shorewatch.bus import Bus
from shorewatch.config.units import UnitSpec
from shorewatch.events import (
    Alert,
    AlertState,
    Message,
    UnitKind,
    UnitNotice,
    UnitPosition,
    UnitState,
    UnitStateReport,
)
from shorewatch.jurisdictions import Jurisdictions
from shorewatch.metrics import Metrics
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.timeseries import Conn
from shorewatch.store.units_repo import Assignment, Unit, UnitsRepo

log = structlog.get_logger(__name__)
Visible = Callable[[str | None], bool]
CLOSED = frozenset({AlertState.RESOLVED, AlertState.REVIEWED})
RELEASING = frozenset({UnitState.RETURNING, UnitState.AVAILABLE, UnitState.OUT_OF_SERVICE})
MAX_FIX_AGE = timedelta(days=7)
"""A tracker may upload a backlog after a dead spot, but not last month's trip."""
MAX_FIX_AHEAD = timedelta(minutes=5)


def everyone(_jurisdiction: str | None) -> bool:
    return True


class UnitNotFound(LookupError):
    pass


class OutsideArea(Exception):
    """The unit would serve a jurisdiction the caller does not administer."""


def _anywhere(_jurisdiction: str | None) -> bool:
    return True


class UnitExists(ValueError):
    pass


class UnitUnavailable(ValueError):
    """The unit is busy or out of service: it cannot take this alert."""


class UnknownJurisdiction(ValueError):
    pass


class ImplausibleTime(ValueError):
    """A fix stamped too far in the future or beyond the track's horizon."""


class DispatchOptions(BaseModel):
    """The units a dispatcher could send to an alert, best first."""

    model_config = ConfigDict(frozen=True)

    alert_id: uuid.UUID
    target_lat: float
    target_lon: float
    kinds: list[UnitKind]
    suggestions: list[Suggestion]


class Dispatched(BaseModel):
    model_config = ConfigDict(frozen=True)

    alert: Alert
    assignment: Assignment
    unit: Unit


class UnitDesk:
    def __init__(
        self,
        pool: ConnectionPool,
        repo: UnitsRepo,
        bus: Bus,
        metrics: Metrics,
        clock: Callable[[], datetime],
        *,
        zone_kinds: Mapping[str, str] | None = None,
        jurisdictions: Jurisdictions | None = None,
        notifier: UnitNotifier | None = None,
    ) -> None:
        self._pool = pool
        self.repo = repo
        self._bus = bus
        self._clock = clock
        self._zone_kinds = zone_kinds or {}
        self._jurisdictions = jurisdictions or Jurisdictions()
        self._alerts = AlertsRepo()
        self._notifier = notifier or UnitNotifier(bus, metrics, self._mark_notified, clock)

    def close(self) -> None:
        self._notifier.close()

    def now(self) -> datetime:
        return self._clock()

    # Units -------------------------------------------------------------------------------

    def seed(self, specs: Iterable[UnitSpec]) -> None:
        """Declarations from the site YAML; a unit's state and position survive a restart."""
        with self._pool.connection() as conn, conn.transaction():
            for spec in specs:
                self.repo.upsert(conn, self._placed(spec))

    def create(self, spec: UnitSpec, may_serve: Visible = _anywhere) -> Unit:
        """`may_serve` is the caller's area check: an admin of a town cannot create a unit for
        another town (raises OutsideArea), nor one they would then be unable to see."""
        placed = self._placed(spec)
        if not may_serve(placed.jurisdiction):
            raise OutsideArea(
                f"unit {spec.id}: {placed.jurisdiction or 'no area'} is outside yours"
            )
        with self._pool.connection() as conn, conn.transaction():
            unit = self.repo.insert(conn, placed)
        if unit is None:
            raise UnitExists(f"unit {spec.id} exists")
        return unit

    def _placed(self, spec: UnitSpec) -> UnitSpec:
        """A unit with no declared area serves the one its home base lies in; a declared one
        must exist, or the unit would be visible to unrestricted callers only."""
        if spec.jurisdiction is None:
            area = self._jurisdictions.locate(spec.home_lat, spec.home_lon)
            return spec.model_copy(update={"jurisdiction": area})
        if spec.jurisdiction not in self._jurisdictions:
            known = ", ".join(sorted(j.id for j in self._jurisdictions)) or "none declared"
            raise UnknownJurisdiction(
                f"unit {spec.id}: unknown jurisdiction {spec.jurisdiction!r} (known: {known})"
            )
        return spec

    def record_position(self, fix: UnitPosition, *, publish: bool = False) -> None:
        """Store a fix (raises UnitNotFound for an unknown unit); `publish` also puts it on the
        unit's topic, for a fix that came in by API rather than over MQTT."""
        now = self._clock()
        if not now - MAX_FIX_AGE <= fix.time <= now + MAX_FIX_AHEAD:
            raise ImplausibleTime(
                f"fix time {fix.time.isoformat()} is outside [now - {MAX_FIX_AGE.days} days, "
                f"now + {int(MAX_FIX_AHEAD.total_seconds())} s]"
            )
        with self._pool.connection() as conn, conn.transaction():
            known = self.repo.record_position(conn, fix)
        if not known:
            raise UnitNotFound(f"no unit {fix.unit_id}")
        if publish:
            self._bus.publish(self._bus.topics.unit_position(fix.unit_id), fix)

    def report_state(
        self,
        unit_id: str,
        state: UnitState,
        actor: str,
        note: str = "",
        visible: Visible = everyone,
    ) -> Unit:
        """A unit's own report; raises UnitNotFound or InvalidUnitTransition."""
        now = self._clock()
        with self._pool.connection() as conn, conn.transaction():
            unit = self.repo.get(conn, unit_id, lock=True)
            if unit is None or not visible(unit.jurisdiction):
                raise UnitNotFound(f"no unit {unit_id}")
            if not check(unit.state, state):
                return unit
            current_alert = unit.current_alert
            if state is UnitState.ON_SCENE:
                self.repo.mark_arrived(conn, unit_id, now)
            elif state in RELEASING:
                self.repo.release(conn, unit_id, now, f"{state.value} reported by {actor}")
                current_alert = None
            self.repo.set_state(conn, unit_id, state, current_alert, now)
            changed = self.repo.get(conn, unit_id)
        assert changed is not None
        log.info("unit state", unit=unit_id, state=state.value, actor=actor, note=note)
        return changed

    # Dispatch ----------------------------------------------------------------------------

    def options(
        self,
        conn: Conn,
        alert: Alert,
        *,
        kind: UnitKind | None = None,
        limit: int | None = None,
        visible: Visible = everyone,
    ) -> DispatchOptions:
        kinds = (
            (kind,) if kind else suitable_kinds(alert.kind, self._zone_kinds.get(alert.zone or ""))
        )
        units = [
            u
            for u in self.repo.search(conn, states=sorted(DISPATCHABLE), kinds=list(kinds))
            if visible(u.jurisdiction)
        ]
        return DispatchOptions(
            alert_id=alert.id,
            target_lat=alert.lat,
            target_lon=alert.lon,
            kinds=list(kinds),
            suggestions=suggest(units, (alert.lat, alert.lon), kinds, limit),
        )

    def dispatch(
        self,
        actions: AlertActions,
        alert_id: uuid.UUID,
        unit_id: str,
        actor: str,
        note: str = "",
        visible: Visible = everyone,
    ) -> Dispatched:
        """Send a unit; raises AlertNotFound, UnitNotFound, UnitUnavailable or
        InvalidTransition (the alert cannot be dispatched in its state). The transition, the
        assignment and the unit's state commit together on one connection, then publish."""
        now = self._clock()
        with self._pool.connection() as conn, conn.transaction():
            alert = self._alerts.get(conn, alert_id)
            if alert is None or not any(map(visible, alert.all_jurisdictions() or {None})):
                raise AlertNotFound(f"no alert {alert_id}")
            unit = self.repo.get(conn, unit_id, lock=True)  # held until the assignment is in
            if unit is None or not visible(unit.jurisdiction):
                raise UnitNotFound(f"no unit {unit_id}")
            if unit.state not in DISPATCHABLE:
                raise UnitUnavailable(
                    f"unit {unit_id} is {unit.state.value}; only available or returning units "
                    "can be dispatched"
                )
            distance, eta = reach(unit, (alert.lat, alert.lon))
            transitioned: Alert | None = None
            audit_note = f"unit {unit.id} ({unit.name})" + (f": {note}" if note else "")
            if alert.state is AlertState.DISPATCHED:
                # Reinforcement: the alert stays where it is, the extra unit is still audited.
                self._alerts.record(
                    conn,
                    alert.id,
                    actor=actor,
                    action="assign",
                    from_state=alert.state,
                    to_state=alert.state,
                    note=audit_note,
                    at=now,
                )
            else:
                # In this transaction: if the unit part fails, the alert stays as it was.
                alert = actions.apply(conn, alert.id, Action.DISPATCH, actor, audit_note)
                transitioned = alert
            assignment = self.repo.assign(
                conn,
                alert_id=alert.id,
                unit_id=unit.id,
                assigned_by=actor,
                at=now,
                note=note,
                distance_m=round(distance, 1),
                eta_s=round(eta, 1),
            )
            self.repo.set_state(conn, unit.id, UnitState.EN_ROUTE, alert.id, now)
            sent = self.repo.get(conn, unit.id)
        assert sent is not None
        if transitioned is not None:
            actions.announce(transitioned)  # after commit: nothing is broadcast that failed
        notice = UnitNotice(
            unit_id=unit.id,
            alert_id=alert.id,
            kind=alert.kind,
            target=alert.target,
            level=alert.level,
            lat=alert.lat,
            lon=alert.lon,
            distance_m=assignment.distance_m,
            eta_s=assignment.eta_s,
            note=note,
            assigned_by=actor,
            assigned_at=now,
        )
        self._notifier.notify(notice, assignment.id, unit.webhook_url)
        log.info("unit dispatched", unit=unit.id, alert=str(alert.id), actor=actor)
        return Dispatched(alert=alert, assignment=assignment, unit=sent)

    # Following the alert -----------------------------------------------------------------

    def follow(self, alert: Alert) -> list[str]:
        """A resolved (or reviewed) alert releases its units: they head home. Returns them."""
        if alert.state not in CLOSED:
            return []
        now = self._clock()
        with self._pool.connection() as conn, conn.transaction():
            released = self.repo.units_on(conn, alert.id)
            for unit_id in released:
                self.repo.release(conn, unit_id, now, f"alert {alert.state.value}")
                self.repo.set_state(conn, unit_id, UnitState.RETURNING, None, now)
        for unit_id in released:
            log.info("unit returning", unit=unit_id, alert=str(alert.id))
        return released

    def on_message(self, message: Message) -> None:
        """Bus input: unit fixes and state reports, and alert changes to follow."""
        if isinstance(message, UnitPosition):
            try:
                self.record_position(message)
            except (UnitNotFound, ImplausibleTime) as exc:
                log.warning("unit position ignored", unit=message.unit_id, error=str(exc))
        elif isinstance(message, UnitStateReport):
            try:
                self.report_state(
                    message.unit_id, message.state, f"unit:{message.unit_id}", message.note
                )
            except (UnitNotFound, ValueError) as exc:
                log.warning("unit state report refused", unit=message.unit_id, error=str(exc))
        elif isinstance(message, Alert):
            self.follow(message)

    def _mark_notified(self, assignment_id: int, at: datetime) -> None:
        with self._pool.connection() as conn, conn.transaction():
            self.repo.mark_notified(conn, assignment_id, at)
