"""Silences: temporary mutes of alert notifications, with who set them, why and until when.

Read by every role; set and expired by dispatchers and engineers (docs/api-access.md). A
caller restricted to some jurisdictions sets silences that mute only there, sees the silences
that reach into their areas, and may expire only those wholly inside them. Setting or expiring
one re-decides the open alerts in the same transaction (`alerts.silences.reevaluate`); those
that changed are published once it commits.
"""

from __future__ import annotations

import uuid
from typing import Annotated, NoReturn

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from fastapi.exceptions import RequestValidationError

from alerts.silences import reevaluate
from api.context import ApiContext
from api.deps import Caller, Connection, Context, allow
from api.principal import Principal, Role
from shorewatch.events import Alert
from shorewatch.store.silences_repo import MAX_DURATION, NewSilence, Silence, SilencesRepo

router = APIRouter(prefix="/silences", tags=["silences"])
_repo = SilencesRepo()
Setter = Annotated[Principal, Depends(allow(Role.DISPATCHER, Role.ENGINEER))]


def _sees(caller: Principal, silence: Silence) -> bool:
    return (
        caller.areas is None or silence.areas is None or not caller.areas.isdisjoint(silence.areas)
    )


def _owns(caller: Principal, silence: Silence) -> bool:
    return caller.areas is None or (
        silence.areas is not None and caller.areas.issuperset(silence.areas)
    )


def _refuse(field: str, message: str) -> NoReturn:
    """A 422 shaped like every other validation error of the API."""
    raise RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


@router.get("", response_model=list[Silence])
def list_silences(
    caller: Caller,
    conn: Connection,
    context: Context,
    include_over: Annotated[
        bool, Query(description="Also list silences that ended or were expired.")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Silence]:
    return _repo.listing(
        conn,
        context.actions.now(),
        areas=caller.areas,
        include_over=include_over,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{silence_id}", response_model=Silence, responses={404: {"description": "No such silence"}}
)
def get_silence(silence_id: uuid.UUID, caller: Caller, conn: Connection) -> Silence:
    silence = _repo.get(conn, silence_id)
    if silence is None or not _sees(caller, silence):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no silence {silence_id}")
    return silence


@router.post(
    "",
    response_model=Silence,
    status_code=status.HTTP_201_CREATED,
    responses={403: {"description": "Needs role dispatcher, engineer or admin"}},
)
def add_silence(body: NewSilence, caller: Setter, conn: Connection, context: Context) -> Silence:
    """Mute alerts matching every given field (kind, target, zone) from `starts_at` (default
    now) to `ends_at`. Matching alerts are still opened, updated and listed, marked `silenced`,
    but not pushed to the live feed or the bus, and do not escalate; open ones it matches now
    are withdrawn (published once more, marked silenced)."""
    now = context.actions.now()
    starts = body.starts_at or now
    if body.ends_at <= max(now, starts):
        _refuse("ends_at", "ends_at must be in the future and after starts_at")
    if body.ends_at - starts > MAX_DURATION:
        _refuse("ends_at", "a silence may last at most 30 days")
    with conn.transaction():
        silence = _repo.add(conn, body, created_by=caller.name, areas=caller.areas, now=now)
        changed = reevaluate(conn, now, context.metrics)
    _publish(context, changed)
    return silence


@router.delete(
    "/{silence_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        403: {"description": "Needs role dispatcher, engineer or admin, over all its areas"},
        404: {"description": "No such silence in force or pending"},
    },
)
def expire_silence(
    silence_id: uuid.UUID, caller: Setter, conn: Connection, context: Context
) -> None:
    """End a silence now (it stays on record, stamped with who expired it); the open alerts
    it held are published now, and escalate from now."""
    now = context.actions.now()
    with conn.transaction():  # committed before the response: the next read sees it over
        silence = _repo.get(conn, silence_id)
        if silence is None or not _sees(caller, silence):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no silence {silence_id}")
        if not _owns(caller, silence):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "this silence also covers areas outside yours"
            )
        if not _repo.expire(conn, silence_id, caller.name, now):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"silence {silence_id} is already over")
        changed = reevaluate(conn, now, context.metrics)
    _publish(context, changed)


def _publish(context: ApiContext, changed: list[Alert]) -> None:
    """After commit: the bus carries each change to the live feed, webhooks and units."""
    for alert in changed:
        context.publish_alert(alert)
