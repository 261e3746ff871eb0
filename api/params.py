"""Types and patterns for request parameters: text PostgreSQL can store (no NUL or other control
characters) and date-times written as date-times, so a hostile or sloppy request is a 422
rather than a database error or a silently reinterpreted value."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
TARGET = r"^[a-z]+:[^\s\x00-\x1f\x7f]{1,64}$"
"""`source:reference`, as events and alerts name targets (`ais:265123456`)."""
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text(value: object) -> object:
    """Pydantic would read `0.5` or `1700000000` as Unix time; an API date-time is ISO 8601."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("expected an ISO 8601 date-time with offset, e.g. 2026-11-20T21:40:00Z")
    return value


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
