"""Alerts: the dispatcher's worklist, each alert's evidence and history, and its actions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from alerts.actions import AlertNotFound
from alerts.lifecycle import Action, InvalidTransition, allowed_actions
from api.deps import Caller, Connection, Context, VisibleAlert, allow
from api.principal import Principal, Role
from api.visibility import area_of
from shorewatch.events import Alert, AlertState, AuditEntry, Event, EventKind, Level, Outcome
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.events_query import events_with_ids

router = APIRouter(prefix="/alerts", tags=["alerts"])
_repo = AlertsRepo()


class AlertDetail(BaseModel):
    alert: Alert
    events: list[Event]
    history: list[AuditEntry]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Note = Annotated[str, AfterValidator(_no_nul)]


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note = Field(default="", max_length=2000)


@router.get("", response_model=list[Alert])
def list_alerts(
    caller: Caller,
    conn: Connection,
    state: Annotated[list[AlertState] | None, Query()] = None,
    level: Annotated[list[Level] | None, Query()] = None,
    kind: EventKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Alert]:
    return _repo.search(
        conn,
        states=state,
        levels=level,
        kind=kind,
        limit=limit,
        offset=offset,
        areas=caller.areas,
    )


@router.get(
    "/{alert_id}",
    response_model=AlertDetail,
    responses={404: {"description": "No such alert, or outside your jurisdiction"}},
)
def get_alert(
    alert_id: uuid.UUID, caller: Caller, conn: Connection, context: Context
) -> AlertDetail:
    """Seen by the users of every area its target has been in while it was open; the events
    are those the caller may see (the rule of `/events`: located in their areas)."""
    alert = _repo.get(conn, alert_id)
    if alert is None or not caller.sees_any(alert.all_jurisdictions()):  # outside: not told
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    return AlertDetail(
        alert=alert,
        events=events_with_ids(conn, list(alert.event_ids), area_of(caller, context.jurisdictions)),
        history=_repo.history(conn, alert_id),
    )


@router.post(
    "/{alert_id}/ack",
    response_model=Alert,
    responses={
        403: {"description": "Needs role operator, dispatcher or admin"},
        404: {"description": "No such alert in the caller's areas"},
        409: {"description": "Not allowed in the alert's state"},
    },
)
def acknowledge(
    alert_id: uuid.UUID,
    caller: Annotated[Principal, Depends(allow(Role.OPERATOR, Role.DISPATCHER))],
    _alert: VisibleAlert,
    context: Context,
    body: ActionBody | None = None,
) -> Alert:
    try:
        return context.actions.transition(
            alert_id, Action.ACKNOWLEDGE, caller.name, body.note if body else ""
        )
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


class ResolveBody(BaseModel):
    """How it ended, and what happened: the reviewer reads this."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"outcome": "confirmed", "note": "RIB intercepted at the cove, 2 held"}]
        },
    )
    outcome: Outcome
    note: Note = Field(min_length=1, max_length=2000)


class ReviewBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "true positive; approach_m right for RIBs"}]},
    )
    note: Note = Field(default="", max_length=2000)


def _transition(
    context: Context,
    alert_id: uuid.UUID,
    action: Action,
    actor: str,
    note: str,
    outcome: Outcome | None = None,
) -> Alert:
    try:
        return context.actions.transition(alert_id, action, actor, note, outcome=outcome)
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


def _responses(roles: str) -> dict[int | str, dict[str, object]]:
    allowed = "; ".join(
        f"{state.value}: {', '.join(a.value for a in allowed_actions(state)) or 'none'}"
        for state in AlertState
    )
    return {
        403: {"description": f"Needs role {roles}"},
        404: {"description": "No such alert in the caller's areas"},
        409: {"description": f"Not allowed in the alert's state (allowed: {allowed})"},
    }


@router.post("/{alert_id}/resolve", response_model=Alert, responses=_responses("dispatcher, admin"))
def resolve(
    alert_id: uuid.UUID,
    caller: Annotated[Principal, Depends(allow(Role.DISPATCHER))],
    _alert: VisibleAlert,
    context: Context,
    body: ResolveBody,
) -> Alert:
    """Close the alert with its outcome (confirmed, false_alarm, benign) and a note; from new,
    acknowledged or dispatched. Stamps `resolved_at`."""
    return _transition(context, alert_id, Action.RESOLVE, caller.name, body.note, body.outcome)


@router.post("/{alert_id}/review", response_model=Alert, responses=_responses("engineer, admin"))
def review(
    alert_id: uuid.UUID,
    caller: Annotated[Principal, Depends(allow(Role.ENGINEER))],
    _alert: VisibleAlert,
    context: Context,
    body: ReviewBody | None = None,
) -> Alert:
    """Record the after-action review of a resolved alert (final state). Stamps `reviewed_at`."""
    return _transition(context, alert_id, Action.REVIEW, caller.name, body.note if body else "")
