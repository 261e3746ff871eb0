"""Field reports in: checked, stored, photo kept, and published as a `field_report` event.

The request model refuses anything the database or the photo store could not take (NUL bytes,
non-finite numbers, a photo that is not a JPEG or PNG within 2 MiB), so a bad payload is a 422
with a message, never a 500.

The API does not score or raise alerts itself: the event goes on the bus like a detector's, and
the alerts role (in this process or another) folds it into an alert with the same rules.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.params import IsoDateTime
from shorewatch.events import Event, EventKind, Source
from shorewatch.store.photos import MAX_PHOTO_BASE64_CHARS, PhotoStore, decode_photo
from shorewatch.store.reports_repo import FieldReport, ReportsRepo
from shorewatch.store.timeseries import Conn
from shorewatch.zones import Zone

FACT_DESCRIPTION_CHARS = 200
_repo = ReportsRepo()
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class NewFieldReport(BaseModel):
    """A sighting as submitted. The reporter is the authenticated caller, never a field."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "time": "2026-11-20T21:40:00Z",
                    "lat": 58.2481,
                    "lon": 11.4203,
                    "description": "Grey RIB, two outboards, no lights, heading for the cove.",
                },
                {
                    "time": "2026-11-20T21:42:00Z",
                    "lat": 58.2475,
                    "lon": 11.4188,
                    "description": "Same boat beached; crates carried up the path.",
                    "photo": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA==",
                },
            ]
        },
    )

    time: IsoDateTime = Field(description="When it was seen (ISO 8601 with offset).")
    lat: float = Field(ge=-90, le=90, strict=True, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, strict=True, allow_inf_nan=False)
    description: str = Field(min_length=1, max_length=2000, description="What was seen.")
    photo: str | None = Field(
        default=None,
        max_length=MAX_PHOTO_BASE64_CHARS,
        description="Optional photo: base64 of a JPEG or PNG file, at most 2 MiB decoded. "
        "The type is read from the image bytes; no filename is taken.",
    )

    @field_validator("description")
    @classmethod
    def _printable(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters (line breaks and tabs are ok)")
        return value

    @field_validator("photo")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        if value is not None:
            decode_photo(value)  # PhotoRejected is a ValueError: a 422 naming the problem
        return value


@dataclass(frozen=True)
class ReportIntake:
    photos: PhotoStore
    publish: Callable[[Event], None]
    config_version: str
    """Stamped on the events, like the detectors' (the site configuration's version)."""


def zone_of(zones: Sequence[Zone], lat: float, lon: float) -> str | None:
    """The zone a sighting falls in, the highest-scoring one where zones overlap."""
    inside = [z for z in zones if z.contains(lat, lon)]
    return max(inside, key=lambda z: z.points).id if inside else None


def submit(
    conn: Conn,
    intake: ReportIntake,
    body: NewFieldReport,
    *,
    reporter: str,
    zones: Sequence[Zone],
    jurisdiction: str | None,
    now: datetime,
) -> FieldReport:
    """Photo first, then the row (so a row never names a missing photo), then the event."""
    report_id = uuid.uuid4()
    photo = decode_photo(body.photo) if body.photo is not None else None
    content_type = intake.photos.save(report_id, photo[0]) if photo else None
    report = FieldReport(
        id=report_id,
        time=body.time,
        lat=body.lat,
        lon=body.lon,
        description=body.description,
        reporter=reporter,
        zone=zone_of(zones, body.lat, body.lon),
        jurisdiction=jurisdiction,
        photo_type=content_type,
        photo_bytes=len(photo[0]) if photo else None,
        photo_sha256=hashlib.sha256(photo[0]).hexdigest() if photo else None,
        created_at=now,
    )
    try:
        with conn.transaction():
            _repo.insert(conn, report)
    except BaseException:
        if content_type is not None:
            intake.photos.delete(report_id, content_type)
        raise
    intake.publish(as_event(report, intake.config_version))
    return report


def as_event(report: FieldReport, config_version: str) -> Event:
    """A sighting is an instant: the event starts and ends at the reported time."""
    description = report.description
    if len(description) > FACT_DESCRIPTION_CHARS:
        description = description[: FACT_DESCRIPTION_CHARS - 1] + "…"
    return Event(
        id=report.id,
        kind=EventKind.FIELD_REPORT,
        start=report.time,
        end=report.time,
        lat=report.lat,
        lon=report.lon,
        targets=(f"{Source.REPORT.value}:{report.id}",),
        zone=report.zone,
        facts={
            "description": description,
            "reporter": report.reporter,
            "has_photo": report.has_photo,
        },
        config_version=config_version,
        evidence=(f"/api/v1/reports/{report.id}/photo",) if report.has_photo else (),
    )
