"""The lifecycle state machine over the full state x action matrix: every allowed move lands
where the design says and stamps its time; every refused one names the allowed actions."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from alerts.lifecycle import (
    STAMPS,
    Action,
    InvalidTransition,
    OutcomeMismatch,
    allowed_actions,
    changes,
)
from shorewatch.events import AlertState, Outcome

S, A = AlertState, Action
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# Written out from the design (DESIGN.md "Alerts", issue 5), not derived from the code.
EXPECTED: dict[tuple[AlertState, Action], AlertState] = {
    (S.NEW, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.NEW, A.RESOLVE): S.RESOLVED,
    (S.ACKNOWLEDGED, A.DISPATCH): S.DISPATCHED,
    (S.ACKNOWLEDGED, A.RESOLVE): S.RESOLVED,
    (S.DISPATCHED, A.RESOLVE): S.RESOLVED,
    (S.RESOLVED, A.REVIEW): S.REVIEWED,
}
ALLOWED_TEXT = {
    S.NEW: "acknowledge, resolve",
    S.ACKNOWLEDGED: "dispatch, resolve",
    S.DISPATCHED: "resolve",
    S.RESOLVED: "review",
    S.REVIEWED: "none (final state)",
}
MATRIX = list(itertools.product(AlertState, Action))


def _outcome(action: Action) -> Outcome | None:
    return Outcome.FALSE_ALARM if action is Action.RESOLVE else None


@pytest.mark.parametrize(("state", "action"), MATRIX, ids=[f"{s}-{a}" for s, a in MATRIX])
def test_state_action_matrix(state: AlertState, action: Action) -> None:
    outcome = _outcome(action)
    if (state, action) in EXPECTED:
        update = changes(state, action, at=AT, actor="kim", outcome=outcome)
        assert update["state"] is EXPECTED[(state, action)]
        assert update[STAMPS[action]] == AT
        assert update["updated_at"] == AT
        assert update.get("acknowledged_by") == ("kim" if action is Action.ACKNOWLEDGE else None)
        assert update.get("outcome") is outcome
    else:
        with pytest.raises(InvalidTransition) as caught:
            changes(state, action, at=AT, actor="kim", outcome=outcome)
        message = str(caught.value)
        assert message == (
            f"cannot {action.value} an alert that is {state.value}; allowed: {ALLOWED_TEXT[state]}"
        )
        assert caught.value.allowed == allowed_actions(state)


def test_matrix_is_the_whole_table() -> None:
    allowed = {(s, a) for s in AlertState for a in allowed_actions(s)}
    assert allowed == set(EXPECTED)


@pytest.mark.parametrize("action", [a for a in Action if a is not Action.RESOLVE])
def test_only_resolve_takes_an_outcome(action: Action) -> None:
    state = next(s for (s, a) in EXPECTED if a is action)
    with pytest.raises(OutcomeMismatch, match="takes no outcome"):
        changes(state, action, at=AT, actor="kim", outcome=Outcome.BENIGN)


def test_resolve_needs_an_outcome() -> None:
    with pytest.raises(OutcomeMismatch, match="needs an outcome"):
        changes(AlertState.DISPATCHED, Action.RESOLVE, at=AT, actor="kim")


def test_refusal_comes_before_the_outcome_check() -> None:
    with pytest.raises(InvalidTransition):
        changes(AlertState.REVIEWED, Action.RESOLVE, at=AT, actor="kim")
