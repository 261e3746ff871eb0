"""Alerts: the dispatcher's worklist, each alert's evidence and history, and its actions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from alerts.actions import AlertNotFound
from alerts.lifecycle import Action, InvalidTransition
from api.deps import Caller, Connection, Context
from shorewatch.events import Alert, AlertState, AuditEntry, Event, EventKind, Level
from shorewatch.store.alerts_repo import AlertsRepo

router = APIRouter(prefix="/alerts", tags=["alerts"])
_repo = AlertsRepo()


class AlertDetail(BaseModel):
    alert: Alert
    events: list[Event]
    history: list[AuditEntry]


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=2000)


@router.get("", response_model=list[Alert])
def list_alerts(
    _caller: Caller,
    conn: Connection,
    state: Annotated[list[AlertState] | None, Query()] = None,
    level: Annotated[list[Level] | None, Query()] = None,
    kind: EventKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Alert]:
    return _repo.search(conn, states=state, levels=level, kind=kind, limit=limit, offset=offset)


@router.get("/{alert_id}", response_model=AlertDetail)
def get_alert(
    alert_id: uuid.UUID, _caller: Caller, conn: Connection, context: Context
) -> AlertDetail:
    alert = _repo.get(conn, alert_id)
    if alert is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    return AlertDetail(
        alert=alert,
        events=context.events.list_for_alert(conn, list(alert.event_ids)),
        history=_repo.history(conn, alert_id),
    )


@router.post(
    "/{alert_id}/ack",
    response_model=Alert,
    responses={
        404: {"description": "No such alert"},
        409: {"description": "Not allowed in the alert's state"},
    },
)
def acknowledge(
    alert_id: uuid.UUID, caller: Caller, context: Context, body: ActionBody | None = None
) -> Alert:
    try:
        return context.actions.transition(
            alert_id, Action.ACKNOWLEDGE, caller.name, body.note if body else ""
        )
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
