"""What JSON sensor feeds (radar tracks, edge cameras) share: one payload holds one object or
an array of them, and a refusal is summarised for a log line without echoing the payload."""

from __future__ import annotations

import json

from pydantic import ValidationError


class InvalidJson(ValueError):
    """The payload is not JSON (or not UTF-8) at all."""


def json_items(payload: bytes | str) -> list[object]:
    """The objects a payload carries, in order; raises InvalidJson with the parser's reason."""
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # JSON and UTF-8 errors are ValueErrors
        raise InvalidJson(str(exc)) from exc
    return document if isinstance(document, list) else [document]


def summary(exc: ValidationError, what: str) -> str:
    """The first problem, located: enough for a log line without echoing the whole payload."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or what
    return f"{where}: {first['msg']} ({exc.error_count()} problem(s))"
