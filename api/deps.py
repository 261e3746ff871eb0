"""Request dependencies: the service context, a database connection, the caller's identity."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.context import ApiContext

_bearer = HTTPBearer(auto_error=False, description="API token (printed by `shorewatch demo`).")


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(get_context)]


def token_matches(context: ApiContext, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), context.token.encode())


def require_caller(
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's name for the audit trail; 401 without a valid bearer token."""
    if credentials is None or not token_matches(context, credentials.credentials):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return "operator"


Caller = Annotated[str, Depends(require_caller)]


def get_connection(context: Context) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with context.pool.connection() as conn:
        yield conn


Connection = Annotated[psycopg.Connection[tuple[object, ...]], Depends(get_connection)]
