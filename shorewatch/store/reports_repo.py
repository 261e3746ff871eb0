"""Field reports (sightings from grid members and volunteers), as rows in PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shorewatch.store.photos import PhotoType
from shorewatch.store.timeseries import Conn

COLUMNS = (
    "id",
    "time",
    "lat",
    "lon",
    "description",
    "reporter",
    "zone",
    "jurisdiction",
    "photo_type",
    "photo_bytes",
    "photo_sha256",
    "created_at",
)
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM field_reports"


class FieldReport(BaseModel):
    """A stored report; its event (kind `field_report`) has the same id."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5b0c8f5e-3f0e-4d5c-9a53-2b1f4c7e9d10",
                    "time": "2026-11-20T21:42:00Z",
                    "lat": 58.2475,
                    "lon": 11.4188,
                    "description": "Same boat beached; crates carried up the path.",
                    "reporter": "volunteer-grid-7",
                    "zone": "lysekil-restricted",
                    "jurisdiction": None,
                    "photo_type": "image/jpeg",
                    "photo_bytes": 183204,
                    "photo_sha256": "9f2c" + "0" * 60,
                    "created_at": "2026-11-20T21:43:05Z",
                }
            ]
        },
    )

    id: uuid.UUID
    time: AwareDatetime
    lat: float
    lon: float
    description: str
    reporter: str
    zone: str | None = None
    jurisdiction: str | None = None
    photo_type: PhotoType | None = None
    photo_bytes: int | None = None
    photo_sha256: str | None = None
    created_at: AwareDatetime

    @property
    def has_photo(self) -> bool:
        return self.photo_type is not None


def _report(row: tuple[object, ...]) -> FieldReport:
    return FieldReport.model_validate(dict(zip(COLUMNS, row, strict=True)))


class ReportsRepo:
    def insert(self, conn: Conn, report: FieldReport) -> None:
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        conn.execute(
            f"INSERT INTO field_reports ({', '.join(COLUMNS)}) VALUES ({placeholders})",
            tuple(getattr(report, c) for c in COLUMNS),
        )

    def get(self, conn: Conn, report_id: uuid.UUID) -> FieldReport | None:
        row = conn.execute(f"{_SELECT} WHERE id = %s", (report_id,)).fetchone()
        return _report(row) if row else None

    def search(
        self,
        conn: Conn,
        *,
        areas: frozenset[str] | None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[FieldReport]:
        """Newest first. `areas` as `Principal.areas`: None sees all, otherwise only reports
        inside one of them (a report outside every jurisdiction is for unrestricted callers)."""
        clauses: list[str] = []
        params: list[object] = []
        if areas is not None:
            clauses.append("jurisdiction = ANY(%s)")
            params.append(sorted(areas))
        if since is not None:
            clauses.append("time >= %s")
            params.append(since)
        if until is not None:
            clauses.append("time < %s")
            params.append(until)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = conn.execute(
            f"{_SELECT}{where} ORDER BY time DESC, id LIMIT %s OFFSET %s",
            (*params, limit, offset),
        ).fetchall()
        return [_report(r) for r in rows]
