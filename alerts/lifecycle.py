"""The alert lifecycle as a pure state machine: which action moves an alert where."""

from __future__ import annotations

from enum import StrEnum

from shorewatch.events import AlertState


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    DISPATCH = "dispatch"
    RESOLVE = "resolve"
    REVIEW = "review"


TRANSITIONS: dict[tuple[AlertState, Action], AlertState] = {
    (AlertState.NEW, Action.ACKNOWLEDGE): AlertState.ACKNOWLEDGED,
    (AlertState.NEW, Action.RESOLVE): AlertState.RESOLVED,
    (AlertState.ACKNOWLEDGED, Action.DISPATCH): AlertState.DISPATCHED,
    (AlertState.ACKNOWLEDGED, Action.RESOLVE): AlertState.RESOLVED,
    (AlertState.DISPATCHED, Action.RESOLVE): AlertState.RESOLVED,
    (AlertState.RESOLVED, Action.REVIEW): AlertState.REVIEWED,
}


class InvalidTransition(ValueError):
    def __init__(self, state: AlertState, action: Action) -> None:
        self.state = state
        self.action = action
        self.allowed = allowed_actions(state)
        allowed = ", ".join(a.value for a in self.allowed) or "none (final state)"
        super().__init__(
            f"cannot {action.value} an alert that is {state.value}; allowed: {allowed}"
        )


def allowed_actions(state: AlertState) -> tuple[Action, ...]:
    return tuple(action for (source, action) in TRANSITIONS if source == state)


def apply(state: AlertState, action: Action) -> AlertState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(state, action) from None
