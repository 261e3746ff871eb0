"""The alert lifecycle as a pure state machine: which action moves an alert where, and which
fields that move sets (its state, its timestamp for the statistics, the outcome).

new → acknowledged → dispatched → resolved → reviewed; an alert may also be resolved straight
from new or acknowledged (a false alarm needs no unit). Escalation is not a transition: it
raises the level of an alert that stays `new` (alerts/escalation.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shorewatch.events import AlertState, Outcome


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

STAMPS: dict[Action, str] = {
    Action.ACKNOWLEDGE: "acknowledged_at",
    Action.DISPATCH: "dispatched_at",
    Action.RESOLVE: "resolved_at",
    Action.REVIEW: "reviewed_at",
}
"""The Alert field each action stamps: time to acknowledge / dispatch / resolve are read off
these against `created_at`."""


class InvalidTransition(ValueError):
    def __init__(self, state: AlertState, action: Action) -> None:
        self.state = state
        self.action = action
        self.allowed = allowed_actions(state)
        allowed = ", ".join(a.value for a in self.allowed) or "none (final state)"
        super().__init__(
            f"cannot {action.value} an alert that is {state.value}; allowed: {allowed}"
        )


class OutcomeMismatch(ValueError):
    """Resolving needs an outcome; no other action takes one."""


def allowed_actions(state: AlertState) -> tuple[Action, ...]:
    return tuple(action for (source, action) in TRANSITIONS if source == state)


def apply(state: AlertState, action: Action) -> AlertState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(state, action) from None


def changes(
    state: AlertState,
    action: Action,
    *,
    at: datetime,
    actor: str,
    outcome: Outcome | None = None,
) -> dict[str, object]:
    """The Alert fields this transition sets; raises InvalidTransition or OutcomeMismatch."""
    target = apply(state, action)
    if (action is Action.RESOLVE) != (outcome is not None):
        raise OutcomeMismatch(
            "resolve needs an outcome" if outcome is None else f"{action.value} takes no outcome"
        )
    update: dict[str, object] = {"state": target, STAMPS[action]: at, "updated_at": at}
    if action is Action.ACKNOWLEDGE:
        update["acknowledged_by"] = actor
    if outcome is not None:
        update["outcome"] = outcome
    return update
