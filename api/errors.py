"""422 responses that cannot themselves fail.

FastAPI's default handler echoes each offending input back. Python's JSON parser accepts `NaN`
and `Infinity`, which the response encoder then refuses, turning a bad request into a 500; and
a megabyte string would be echoed whole. Here inputs are echoed shortened and JSON-safe.
"""

from __future__ import annotations

import math

from fastapi import Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

MAX_ECHO_CHARS = 200
MAX_ECHO_ITEMS = 20
MAX_ECHO_DEPTH = 4


def echo(value: object, depth: int = 0) -> object:
    """A JSON-safe, bounded rendering of what the caller sent."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value if len(value) <= MAX_ECHO_CHARS else value[:MAX_ECHO_CHARS] + "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= MAX_ECHO_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:MAX_ECHO_ITEMS]
        return {str(echo(k, depth + 1)): echo(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        return [echo(v, depth + 1) for v in value[:MAX_ECHO_ITEMS]]
    return echo(str(value), depth + 1)


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = []
    for error in exc.errors():
        safe = {k: v for k, v in error.items() if k not in ("input", "ctx")}
        if "input" in error:
            safe["input"] = echo(error["input"])
        if "ctx" in error:
            safe["ctx"] = echo(error["ctx"])
        detail.append(jsonable_encoder(safe))
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail}
    )


def unprocessable(
    where: tuple[str, ...], message: str, value: object = None
) -> RequestValidationError:
    """A 422 for what a route checks itself (a window too long, a time in the future), in the
    same documented shape as FastAPI's own validation errors; raise it from the route."""
    return RequestValidationError(
        [{"type": "value_error", "loc": where, "msg": message, "input": value}]
    )
