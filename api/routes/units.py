"""Patrol units and dispatch: where the units are, which could go, and sending one.

Everyone reads; dispatchers send units and report their states and positions; admins declare
new units. Units and alerts outside the caller's areas are 404s, as if they did not exist.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from alerts.actions import AlertNotFound
from alerts.lifecycle import InvalidTransition
from alerts.unit_states import InvalidUnitTransition
from alerts.units import (
    Dispatched,
    DispatchOptions,
    ImplausibleTime,
    OutsideArea,
    UnitDesk,
    UnitExists,
    UnitNotFound,
    UnitUnavailable,
    UnknownJurisdiction,
)
from api.deps import Caller, Connection, Context, VisibleAlert, allow
from api.errors import unprocessable
from api.principal import Principal, Role
from shorewatch.config.units import UnitSpec
from shorewatch.events import (
    Degrees,
    Knots,
    Latitude,
    Longitude,
    UnitId,
    UnitKind,
    UnitPosition,
    UnitState,
)
from shorewatch.store.units_repo import Assignment, Unit

router = APIRouter(tags=["units"])
Dispatcher = Annotated[Principal, Depends(allow(Role.DISPATCHER))]
Admin = Annotated[Principal, Depends(allow())]
UnitPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$", examples=["lysekil-pb1"])]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such unit (or alert) in the caller's areas"}
}


def get_desk(context: Context) -> UnitDesk:
    return context.units


Desk = Annotated[UnitDesk, Depends(get_desk)]


def _storable(value: str) -> str:
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        raise ValueError("must be UTF-8 text without NUL characters")
    return value


Note = Annotated[str, Field(default="", max_length=2000), AfterValidator(_storable)]


class PositionReport(BaseModel):
    """A unit's fix; `time` defaults to when it arrives."""

    model_config = ConfigDict(extra="forbid")
    lat: Latitude
    lon: Longitude
    time: AwareDatetime | None = None
    sog_kn: Knots | None = None
    cog_deg: Degrees | None = None


class StateReport(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"state": "on_scene", "note": ""}]}
    )
    state: UnitState
    note: Note = ""


class DispatchBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"unit_id": "lysekil-pb1", "note": "intercept"}]},
    )
    unit_id: UnitId
    note: Note = ""


def _visible_unit(desk: UnitDesk, conn: Connection, unit_id: str, caller: Principal) -> Unit:
    unit = desk.repo.get(conn, unit_id)
    if unit is None or not caller.sees(unit.jurisdiction):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no unit {unit_id}")
    return unit


@router.get("/units", response_model=list[Unit])
def list_units(
    caller: Caller,
    conn: Connection,
    desk: Desk,
    state: Annotated[list[UnitState] | None, Query()] = None,
    kind: UnitKind | None = None,
) -> list[Unit]:
    units = desk.repo.search(conn, states=state, kinds=[kind] if kind else None)
    return [u for u in units if caller.sees(u.jurisdiction)]


@router.post(
    "/units",
    response_model=Unit,
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"description": "Needs role admin"},
        409: {"description": "Id taken"},
        422: {"description": "Invalid unit, or a jurisdiction the site does not declare"},
    },
)
def create_unit(body: UnitSpec, caller: Admin, desk: Desk) -> Unit:
    try:
        return desk.create(body, caller.sees)
    except OutsideArea as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc
    except UnitExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except UnknownJurisdiction as exc:
        raise unprocessable(("body", "jurisdiction"), str(exc), body.jurisdiction) from exc


@router.get("/units/{unit_id}", response_model=Unit, responses=NOT_FOUND)
def get_unit(unit_id: UnitPath, caller: Caller, conn: Connection, desk: Desk) -> Unit:
    return _visible_unit(desk, conn, unit_id, caller)


@router.get("/units/{unit_id}/track", response_model=list[UnitPosition], responses=NOT_FOUND)
def get_track(
    unit_id: UnitPath,
    caller: Caller,
    conn: Connection,
    desk: Desk,
    minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60)] = 60,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[UnitPosition]:
    """The unit's reported fixes over the last `minutes`, oldest first."""
    _visible_unit(desk, conn, unit_id, caller)
    since = desk.now() - timedelta(minutes=minutes)
    return desk.repo.track(conn, unit_id, since, limit)


@router.post(
    "/units/{unit_id}/position",
    response_model=Unit,
    responses={**NOT_FOUND, 403: {"description": "Needs role dispatcher or admin"}},
)
def report_position(
    unit_id: UnitPath, body: PositionReport, caller: Dispatcher, conn: Connection, desk: Desk
) -> Unit:
    """Store the fix and pass it on to `shorewatch/units/{unit}/position`."""
    _visible_unit(desk, conn, unit_id, caller)
    fix = UnitPosition(
        unit_id=unit_id,
        time=body.time or desk.now(),
        lat=body.lat,
        lon=body.lon,
        sog_kn=body.sog_kn,
        cog_deg=body.cog_deg,
    )
    try:
        desk.record_position(fix, publish=True)
    except ImplausibleTime as exc:
        raise unprocessable(("body", "time"), str(exc), fix.time.isoformat()) from exc
    except UnitNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return _visible_unit(desk, conn, unit_id, caller)


@router.post(
    "/units/{unit_id}/state",
    response_model=Unit,
    responses={
        **NOT_FOUND,
        403: {"description": "Needs role dispatcher or admin"},
        409: {"description": "The unit cannot make that move; the message names the allowed"},
    },
)
def report_state(unit_id: UnitPath, body: StateReport, caller: Dispatcher, desk: Desk) -> Unit:
    try:
        return desk.report_state(unit_id, body.state, caller.name, body.note, caller.sees)
    except UnitNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except InvalidUnitTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.get("/alerts/{alert_id}/suggestions", response_model=DispatchOptions, responses=NOT_FOUND)
def suggestions(
    alert: VisibleAlert,
    caller: Caller,
    conn: Connection,
    desk: Desk,
    kind: Annotated[
        UnitKind | None, Query(description="Only this kind; default: what suits the alert.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> DispatchOptions:
    """The nearest free units that suit the alert, with distance and ETA at top speed."""
    return desk.options(conn, alert, kind=kind, limit=limit, visible=caller.sees)


@router.post(
    "/alerts/{alert_id}/dispatch",
    response_model=Dispatched,
    responses={
        **NOT_FOUND,
        403: {"description": "Needs role dispatcher or admin"},
        409: {"description": "Alert not dispatchable in its state, or unit not free"},
    },
)
def dispatch(
    alert_id: uuid.UUID, body: DispatchBody, caller: Dispatcher, context: Context, desk: Desk
) -> Dispatched:
    """Send a unit: the alert moves to dispatched (audited; a further unit on a dispatched
    alert is audited as `assign`), the unit goes en route and is told over MQTT and webhook."""
    try:
        return desk.dispatch(
            context.actions, alert_id, body.unit_id, caller.name, body.note, caller.sees
        )
    except (AlertNotFound, UnitNotFound) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except (InvalidTransition, UnitUnavailable) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.get("/alerts/{alert_id}/assignments", response_model=list[Assignment], responses=NOT_FOUND)
def assignments(
    alert: VisibleAlert, _caller: Caller, conn: Connection, desk: Desk
) -> list[Assignment]:
    """Every unit sent to the alert, with when it was told, arrived and was released."""
    return desk.repo.for_alert(conn, alert.id)
