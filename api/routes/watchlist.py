"""The watch list: vessels whose sighting raises `watchlist_sighting`, managed by engineers.

Changes reach the detectors through the store (a NOTIFY on commit, and their periodic
re-read), so this route needs nothing from the detector and works with it in another process.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from api.deps import Caller, Connection, allow
from api.principal import Principal, Role
from shorewatch.store.watchlist_repo import WatchlistEntry, WatchlistRepo, WatchTarget

router = APIRouter(prefix="/watchlist", tags=["watchlist"])
_repo = WatchlistRepo()
# Who may change the list: it feeds every detector, whatever the area.
Editor = Annotated[Principal, Depends(allow(Role.ENGINEER))]


class NewWatchEntry(WatchTarget):
    """A vessel to watch for: at least one of mmsi, imo, name, callsign; unknown keys refused.
    Names and call signs match case-insensitively, ignoring AIS '@' padding and extra spaces."""


@router.get("", response_model=list[WatchlistEntry])
def list_watchlist(
    _caller: Caller,
    conn: Connection,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[WatchlistEntry]:
    return _repo.active(conn, limit=limit, offset=offset)


@router.post("", response_model=WatchlistEntry, status_code=status.HTTP_201_CREATED)
def add_entry(body: NewWatchEntry, caller: Editor, conn: Connection) -> WatchlistEntry:
    # Committed here, before the response, so the caller's next read (and the detectors'
    # notification) already sees it.
    with conn.transaction():
        return _repo.add(conn, body, caller.name)


@router.delete(
    "/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={404: {"description": "No such entry on the list"}},
)
def remove_entry(entry_id: uuid.UUID, caller: Editor, conn: Connection) -> None:
    with conn.transaction():
        removed = _repo.remove(conn, entry_id, caller.name)
    if not removed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no watch-list entry {entry_id}")
