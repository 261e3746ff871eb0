"""The watch list managed through the API, as rows in PostgreSQL.

Entries are never deleted, only stamped `removed_at` / `removed_by`, so the record of who put a
vessel on the list and who took it off survives. A trigger NOTIFYs `CHANNEL` on every change,
which is how detectors in any process learn of it.
"""

from __future__ import annotations

import re
import uuid

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from shorewatch.store.timeseries import Conn

CHANNEL = "shorewatch_watchlist"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

COLUMNS = ("id", "mmsi", "imo", "name", "callsign", "reason", "points", "created_at", "created_by")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM watchlist"


class WatchTarget(BaseModel):
    """A vessel of interest and what a sighting of it weighs; any one identifier is enough.

    Numbers must be JSON numbers and names printable, so a hostile or sloppy payload is refused
    here (422) rather than reaching the database."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    mmsi: int | None = Field(default=None, ge=0, le=999_999_999, strict=True)
    imo: int | None = Field(default=None, ge=0, le=9_999_999, strict=True)
    name: str | None = Field(default=None, min_length=1, max_length=64)
    callsign: str | None = Field(default=None, min_length=1, max_length=16)
    reason: str = Field(default="", max_length=500)
    points: float = Field(default=30.0, ge=0, le=100, strict=True, allow_inf_nan=False)

    @field_validator("name", "callsign")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and (_CONTROL.search(value) or not any(c.isalnum() for c in value)):
            raise ValueError("must be printable text with at least one letter or digit")
        return value

    @field_validator("reason")
    @classmethod
    def _storable(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @model_validator(mode="after")
    def _identified(self) -> WatchTarget:
        if self.mmsi is None and self.imo is None and self.name is None and self.callsign is None:
            raise ValueError("give at least one of mmsi, imo, name, callsign")
        return self


class WatchlistEntry(BaseModel):
    """An active entry as stored: what was asked for, plus who added it and when."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    mmsi: int | None
    imo: int | None
    name: str | None
    callsign: str | None
    reason: str
    points: float
    created_at: AwareDatetime
    created_by: str


def _entry(row: tuple[object, ...]) -> WatchlistEntry:
    return WatchlistEntry.model_validate(dict(zip(COLUMNS, row, strict=True)))


class WatchlistRepo:
    def active(
        self, conn: Conn, *, limit: int | None = None, offset: int = 0
    ) -> list[WatchlistEntry]:
        """Entries not removed, oldest first."""
        rows = conn.execute(
            f"{_SELECT} WHERE removed_at IS NULL ORDER BY created_at, id LIMIT %s OFFSET %s",
            (limit, offset),
        ).fetchall()
        return [_entry(row) for row in rows]

    def add(self, conn: Conn, target: WatchTarget, created_by: str) -> WatchlistEntry:
        row = conn.execute(
            "INSERT INTO watchlist (id, mmsi, imo, name, callsign, reason, points, created_by) "
            f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {', '.join(COLUMNS)}",
            (
                uuid.uuid4(),
                target.mmsi,
                target.imo,
                target.name,
                target.callsign,
                target.reason,
                target.points,
                created_by,
            ),
        ).fetchone()
        assert row is not None
        return _entry(row)

    def remove(self, conn: Conn, entry_id: uuid.UUID, removed_by: str) -> bool:
        """Take an entry off the list; False when there is no such active entry."""
        row = conn.execute(
            "UPDATE watchlist SET removed_at = now(), removed_by = %s "
            "WHERE id = %s AND removed_at IS NULL RETURNING id",
            (removed_by, entry_id),
        ).fetchone()
        return row is not None
