"""Silences as rows in PostgreSQL: who muted which alerts, from when to when, and why.

Rows are never deleted; expiring a silence early stamps `expired_at` / `expired_by`, so the
record of every mute survives for the review of what operators did not see.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from shorewatch.events import EventKind
from shorewatch.store.timeseries import Conn

MAX_DURATION = timedelta(days=30)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
COLUMNS = (
    "id",
    "kind",
    "target",
    "zone",
    "starts_at",
    "ends_at",
    "reason",
    "areas",
    "created_by",
    "created_at",
    "expired_at",
    "expired_by",
)
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM silences"


class SilenceMatcher(BaseModel):
    """What a silence mutes: alerts of this kind, on this target, in this zone. A field left
    out matches anything; at least one must be given (no silencing everything)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    kind: EventKind | None = None
    target: str | None = Field(
        default=None, min_length=1, max_length=64, examples=["radar:radar-south-3"]
    )
    zone: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$", examples=["cove-landing"]
    )

    @field_validator("target")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and _CONTROL.search(value):
            raise ValueError("must be printable text")
        return value

    @model_validator(mode="after")
    def _narrow(self) -> SilenceMatcher:
        if self.kind is None and self.target is None and self.zone is None:
            raise ValueError("give at least one of kind, target, zone")
        return self


class NewSilence(SilenceMatcher):
    """A silence to create; `starts_at` defaults to now. It may last at most 30 days: noise
    that lasts longer is a threshold or zone to tune, not a mute."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "loitering",
                    "zone": "cove-landing",
                    "starts_at": "2030-01-01T18:00:00Z",
                    "ends_at": "2030-01-02T06:00:00Z",
                    "reason": "local fishing fleet working the bank tonight",
                }
            ]
        },
    )

    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime
    reason: str = Field(min_length=1, max_length=500, examples=["buoy tender working the fairway"])

    @field_validator("reason")
    @classmethod
    def _storable(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> NewSilence:
        if self.starts_at is not None:
            if self.ends_at <= self.starts_at:
                raise ValueError("ends_at must be after starts_at")
            if self.ends_at - self.starts_at > MAX_DURATION:
                raise ValueError("a silence may last at most 30 days")
        return self


class Silence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID
    kind: EventKind | None
    target: str | None
    zone: str | None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str
    areas: tuple[str, ...] | None = None
    """The jurisdictions of whoever set it (theirs and those below); it mutes only alerts
    there. None: everywhere."""
    created_by: str
    created_at: AwareDatetime
    expired_at: AwareDatetime | None = None
    expired_by: str | None = None

    def active(self, at: datetime) -> bool:
        return self.expired_at is None and self.starts_at <= at < self.ends_at

    def matches(
        self, kind: EventKind, target: str, zone: str | None, jurisdictions: frozenset[str]
    ) -> bool:
        """`jurisdictions`: every area whose users see the alert. A silence set in some areas
        mutes an alert only when all of them are its own: it cannot hide from another area's
        users an alert they see too, nor one outside every area."""
        return (
            (self.kind is None or self.kind == kind)
            and (self.target is None or self.target == target)
            and (self.zone is None or self.zone == zone)
            and (self.areas is None or (bool(jurisdictions) and jurisdictions <= set(self.areas)))
        )


def _silence(row: tuple[object, ...]) -> Silence:
    return Silence.model_validate(dict(zip(COLUMNS, row, strict=True)))


class SilencesRepo:
    def add(
        self,
        conn: Conn,
        new: NewSilence,
        *,
        created_by: str,
        areas: frozenset[str] | None,
        now: datetime,
    ) -> Silence:
        silence = Silence(
            id=uuid.uuid4(),
            kind=new.kind,
            target=new.target,
            zone=new.zone,
            starts_at=new.starts_at or now,
            ends_at=new.ends_at,
            reason=new.reason,
            areas=tuple(sorted(areas)) if areas is not None else None,
            created_by=created_by,
            created_at=now,
        )
        conn.execute(
            f"INSERT INTO silences ({', '.join(COLUMNS[:10])}) VALUES ({', '.join(['%s'] * 10)})",
            (
                silence.id,
                silence.kind.value if silence.kind else None,
                silence.target,
                silence.zone,
                silence.starts_at,
                silence.ends_at,
                silence.reason,
                list(silence.areas) if silence.areas is not None else None,
                silence.created_by,
                silence.created_at,
            ),
        )
        return silence

    def get(self, conn: Conn, silence_id: uuid.UUID) -> Silence | None:
        row = conn.execute(f"{_SELECT} WHERE id = %s", (silence_id,)).fetchone()
        return _silence(row) if row else None

    def active(self, conn: Conn, at: datetime) -> list[Silence]:
        rows = conn.execute(
            f"{_SELECT} WHERE expired_at IS NULL AND starts_at <= %s AND ends_at > %s "
            "ORDER BY created_at, id",
            (at, at),
        ).fetchall()
        return [_silence(r) for r in rows]

    def listing(
        self,
        conn: Conn,
        at: datetime,
        *,
        areas: frozenset[str] | None,
        include_over: bool,
        limit: int,
        offset: int,
    ) -> list[Silence]:
        """Current and future silences, newest first, that reach into `areas` (None: all);
        with `include_over` the ended and expired ones too."""
        clauses: list[str] = []
        params: list[object] = []
        if not include_over:
            clauses.append("expired_at IS NULL AND ends_at > %s")
            params.append(at)
        if areas is not None:
            clauses.append("(areas IS NULL OR areas && %s)")
            params.append(sorted(areas))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = conn.execute(
            f"{_SELECT}{where} ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
            (*params, limit, offset),
        ).fetchall()
        return [_silence(r) for r in rows]

    def expire(self, conn: Conn, silence_id: uuid.UUID, by: str, at: datetime) -> bool:
        """End a silence now; False when there is no such silence still in force or pending."""
        row = conn.execute(
            "UPDATE silences SET expired_at = %s, expired_by = %s "
            "WHERE id = %s AND expired_at IS NULL AND ends_at > %s RETURNING id",
            (at, by, silence_id, at),
        ).fetchone()
        return row is not None
