"""Request dependencies: the service context, a database connection, the caller's identity."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.context import ApiContext
from api.principal import Principal, Role

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
) -> Principal:
    """Who is calling; 401 without a valid bearer token. The service token (from settings) is
    an admin with no area restriction."""
    if credentials is None or not token_matches(context, credentials.credentials):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Principal(name="service-token", role=Role.ADMIN, areas=None)


Caller = Annotated[Principal, Depends(require_caller)]


def allow(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only these roles (admin always); 403 names what is needed."""

    def check(caller: Caller) -> Principal:
        if not caller.has(*roles):
            needed = ", ".join(r.value for r in roles) or "admin"
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs role: {needed}")
        return caller

    return check


def get_connection(context: Context) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with context.pool.connection() as conn:
        yield conn


Connection = Annotated[psycopg.Connection[tuple[object, ...]], Depends(get_connection)]
