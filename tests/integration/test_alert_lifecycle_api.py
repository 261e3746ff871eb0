"""Acceptance 1 through the API: every state x action on a real alert in PostgreSQL. Each
allowed transition answers 200, moves the alert and appends one audit row (who, when, from,
to, note); each refused one answers 409 naming the allowed actions and writes nothing.

`dispatch` is served by the units module (`POST /alerts/{id}/dispatch` with a unit); here it is
applied through `AlertActions.transition`, the same call that route makes, so the matrix does
not depend on having a free unit.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import datetime

import psycopg
import pytest

from alerts.actions import AlertActions
from alerts.lifecycle import Action, InvalidTransition
from shorewatch.events import AlertState, EventKind
from tests.alerting import Rig, event, running, site

S, A = AlertState, Action
EXPECTED = {
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
PATH_TO = {
    S.NEW: [],
    S.ACKNOWLEDGED: [A.ACKNOWLEDGE],
    S.DISPATCHED: [A.ACKNOWLEDGE, A.DISPATCH],
    S.RESOLVED: [A.RESOLVE],
    S.REVIEWED: [A.RESOLVE, A.REVIEW],
}
STAMP = {
    A.ACKNOWLEDGE: "acknowledged_at",
    A.DISPATCH: "dispatched_at",
    A.RESOLVE: "resolved_at",
    A.REVIEW: "reviewed_at",
}
ROUTE = {A.ACKNOWLEDGE: "ack", A.RESOLVE: "resolve", A.REVIEW: "review"}


@pytest.fixture
def rig(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Rig]:
    with running(site(), dsn, mqtt_url, topic_root) as rig:
        yield rig


def act(rig: Rig, alert_id: str, action: Action, note: str) -> tuple[int, object]:
    """One action as the operator's client does it: (status, JSON body)."""
    if action is A.DISPATCH:
        actions = AlertActions(rig.service.pool, rig.published.append, rig.clock)
        try:
            alert = actions.transition(uuid.UUID(alert_id), action, "lee", note)
        except InvalidTransition as exc:
            return 409, {"detail": str(exc)}
        return 200, alert.model_dump(mode="json")
    body: dict[str, str] = {"note": note}
    if action is A.RESOLVE:
        body["outcome"] = "false_alarm"
    response = rig.api.post(f"/api/v1/alerts/{alert_id}/{ROUTE[action]}", json=body)
    return response.status_code, response.json()


def history(rig: Rig, alert_id: str) -> list[dict[str, object]]:
    detail = rig.api.get(f"/api/v1/alerts/{alert_id}").json()
    rows: list[dict[str, object]] = detail["history"]
    return rows


def test_every_state_action_pair_through_the_api(rig: Rig) -> None:
    failures: list[str] = []
    for n, (state, action) in enumerate(itertools.product(AlertState, Action)):
        alert = rig.alerts.handle(event(EventKind.DARK_TARGET, f"radar:matrix-{n}"))
        assert alert is not None
        alert_id = str(alert.id)
        for step in PATH_TO[state]:
            assert act(rig, alert_id, step, f"to {state}")[0] == 200
        before = history(rig, alert_id)
        rig.clock.advance(7)
        status, body = act(rig, alert_id, action, f"{action} from {state}")
        after = history(rig, alert_id)
        case = f"{state.value} x {action.value}"
        assert isinstance(body, dict)
        if (state, action) in EXPECTED:
            to = EXPECTED[(state, action)]
            actor = "lee" if action is A.DISPATCH else "service-token"
            note = f"{action} from {state}"
            if action is A.RESOLVE:
                note = f"[false_alarm] {note}"
            row = after[-1] if after else {}
            checks = {
                "status 200": status == 200,
                "state": body.get("state") == to.value,
                "stamp": body.get(STAMP[action]) is not None,
                "one audit row": len(after) == len(before) + 1,
                "audit who/what": (row.get("actor"), row.get("action")) == (actor, action.value),
                "audit from/to": (row.get("from_state"), row.get("to_state"))
                == (state.value, to.value),
                "audit note": row.get("note") == note,
                "audit when": row.get("at") == body.get(STAMP[action]),
            }
        else:
            checks = {
                "status 409": status == 409,
                "names allowed": body.get("detail")
                == f"cannot {action.value} an alert that is {state.value}; "
                f"allowed: {ALLOWED_TEXT[state]}",
                "no audit row": after == before,
            }
        failures += [f"{case}: {name} ({status} {body})" for name, ok in checks.items() if not ok]
    assert not failures, "\n".join(failures)


def test_full_loop_stamps_times_outcome_and_keeps_the_audit_append_only(rig: Rig, dsn: str) -> None:
    alert = rig.alerts.handle(event(EventKind.DARK_TARGET, "radar:loop"))
    assert alert is not None
    alert_id = str(alert.id)
    for seconds, action in ((30, A.ACKNOWLEDGE), (60, A.DISPATCH), (600, A.RESOLVE)):
        rig.clock.advance(seconds)
        assert act(rig, alert_id, action, "ok")[0] == 200
    rig.clock.advance(3600)
    status, body = act(rig, alert_id, A.REVIEW, "true positive")
    assert status == 200
    assert isinstance(body, dict)
    assert body["outcome"] == "false_alarm"
    created = alert.created_at
    got = {k: datetime.fromisoformat(str(body[k])) - created for k in STAMP.values()}
    assert {k: v.total_seconds() for k, v in got.items()} == {
        "acknowledged_at": 30,
        "dispatched_at": 90,
        "resolved_at": 690,
        "reviewed_at": 4290,
    }
    assert [h["action"] for h in history(rig, alert_id)] == [
        "created",
        "acknowledge",
        "dispatch",
        "resolve",
        "review",
    ]
    with psycopg.connect(dsn) as conn, pytest.raises(psycopg.errors.RaiseException):
        conn.execute("UPDATE alert_history SET note = 'rewritten'")


@pytest.mark.parametrize(
    "body",
    [
        {"note": "no outcome"},
        {"outcome": "maybe", "note": "x"},
        {"outcome": "benign"},
        {"outcome": "benign", "note": ""},
        {"outcome": "benign", "note": "nul \x00"},
        {"outcome": "benign", "note": "x", "extra": 1},
    ],
)
def test_resolve_refuses_bad_bodies_with_422(rig: Rig, body: dict[str, object]) -> None:
    alert = rig.alerts.handle(event(EventKind.DARK_TARGET, "radar:bad-body"))
    assert alert is not None
    response = rig.api.post(f"/api/v1/alerts/{alert.id}/resolve", json=body)
    assert response.status_code == 422, response.text
    assert history(rig, str(alert.id))[-1]["action"] == "created"


def test_unknown_alert_is_404(rig: Rig) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    body = {"outcome": "benign", "note": "x"}
    assert rig.api.post(f"/api/v1/alerts/{missing}/resolve", json=body).status_code == 404
    assert rig.api.post(f"/api/v1/alerts/{missing}/review", json={}).status_code == 404
