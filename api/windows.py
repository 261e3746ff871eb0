"""Time windows in query strings: defaults, order and a maximum span, refused with a 422 that
says what is wrong (never an overflow or an unbounded scan)."""

from __future__ import annotations

from datetime import datetime, timedelta

from api.errors import unprocessable

_BACKWARDS = "start must be before end"


def time_window(
    start: datetime | None,
    end: datetime | None,
    *,
    now: datetime,
    default: timedelta,
    longest: timedelta,
) -> tuple[datetime, datetime]:
    """[start, end): `end` defaults to now and `start` to `default` before `end`."""
    end = end or now
    try:
        start = start or end - default
    except OverflowError:
        start = datetime.min.replace(tzinfo=end.tzinfo)
    if start >= end:
        raise unprocessable(("query", "start"), _BACKWARDS, start.isoformat())
    if end - start > longest:
        raise unprocessable(
            ("query", "start"),
            f"time window longer than {_human(longest)}; narrow start/end",
            start.isoformat(),
        )
    return start, end


def ordered(start: datetime | None, end: datetime | None) -> None:
    """For optional bounds with no default: only their order is checked."""
    if start is not None and end is not None and start >= end:
        raise unprocessable(("query", "start"), _BACKWARDS, start.isoformat())


def _human(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"
