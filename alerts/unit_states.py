"""A patrol unit's states as a pure state machine: which reports move it where.

`en_route` is reached only by dispatching the unit to an alert, so a unit is never "on its
way" without a record of where to; the other states follow the unit's own reports (API or
MQTT) and the alert it serves (resolved: returning).
"""

from __future__ import annotations

from shorewatch.events import UnitState

S = UnitState
REPORTABLE: dict[UnitState, frozenset[UnitState]] = {
    S.ON_SCENE: frozenset({S.EN_ROUTE}),
    S.RETURNING: frozenset({S.EN_ROUTE, S.ON_SCENE}),
    # Stood down on the way or on scene (a land unit is free as soon as it is done).
    S.AVAILABLE: frozenset({S.RETURNING, S.OUT_OF_SERVICE, S.EN_ROUTE, S.ON_SCENE}),
    S.OUT_OF_SERVICE: frozenset({S.AVAILABLE, S.RETURNING, S.EN_ROUTE, S.ON_SCENE}),
}
"""Target state: the states a unit may report it from."""


class InvalidUnitTransition(ValueError):
    def __init__(self, current: UnitState, wanted: UnitState) -> None:
        self.current = current
        self.wanted = wanted
        self.allowed = allowed_reports(current)
        if wanted is S.EN_ROUTE:
            reason = "en_route is set by dispatching the unit to an alert"
        else:
            reason = f"cannot go from {current.value} to {wanted.value}"
        allowed = ", ".join(s.value for s in self.allowed) or "none"
        super().__init__(f"{reason}; allowed from {current.value}: {allowed}")


def allowed_reports(current: UnitState) -> tuple[UnitState, ...]:
    return tuple(target for target, sources in REPORTABLE.items() if current in sources)


def check(current: UnitState, wanted: UnitState) -> bool:
    """True when the report changes the state, False for a repeat of the current one; raises
    InvalidUnitTransition for a move the unit cannot make."""
    if wanted is current:
        return False
    if current not in REPORTABLE.get(wanted, frozenset()):
        raise InvalidUnitTransition(current, wanted)
    return True
