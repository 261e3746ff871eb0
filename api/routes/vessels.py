"""Vessels: AIS identities and the last position heard from each. A restricted caller sees the
vessels whose last position lies in their areas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from api.deps import Caller, Connection, Context
from api.params import PRINTABLE
from api.visibility import PositionFilter, area_of, position_filter
from shorewatch.store.vessels_repo import Vessel, VesselsRepo

router = APIRouter(prefix="/vessels", tags=["vessels"])
_repo = VesselsRepo()


def _seen(vessel: Vessel, visible: PositionFilter) -> bool:
    position = vessel.last_position
    return position is not None and visible(position.lat, position.lon)


@router.get("", response_model=list[Vessel])
def list_vessels(
    caller: Caller,
    conn: Connection,
    context: Context,
    name: Annotated[
        str | None,
        Query(max_length=64, pattern=PRINTABLE, description="Part of the name or call sign."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Vessel]:
    """By MMSI."""
    area = area_of(caller, context.jurisdictions)
    return _repo.search(conn, name=name, limit=limit, offset=offset, area=area)


@router.get(
    "/{mmsi}",
    response_model=Vessel,
    responses={404: {"description": "Never heard, or not in the caller's areas"}},
)
def get_vessel(
    mmsi: Annotated[int, Path(ge=0, le=999_999_999)],
    caller: Caller,
    conn: Connection,
    context: Context,
) -> Vessel:
    vessel = _repo.get(conn, mmsi)
    visible = position_filter(caller, context.jurisdictions)
    if vessel is None or (visible is not None and not _seen(vessel, visible)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no vessel {mmsi}")
    return vessel
