"""Request dependencies: the service context, a database connection, the caller's identity
and what it may see."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.context import ApiContext
from api.principal import Principal, Role
from shorewatch.events import Alert
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.auth_repo import AuthRepo

_bearer = HTTPBearer(
    auto_error=False,
    description="A user's API key (`shorewatch token create`) or the service token.",
)


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(get_context)]


def token_matches(context: ApiContext, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), context.token.encode())


def authenticate(context: ApiContext, presented: str | None) -> Principal | None:
    """The caller behind a token, or None. The service token (from settings) is an admin with
    no area restriction; any other must be an unrevoked API key of an enabled user, looked up
    on every request so that revoking or disabling takes effect at once. A user sees their
    jurisdiction and every area below it; one without a jurisdiction sees all of them."""
    if not presented:
        return None
    if token_matches(context, presented):
        return Principal(name="service-token", role=Role.ADMIN, areas=None)
    repo = AuthRepo()
    with context.pool.connection() as conn:
        record = repo.find_key(conn, presented)
    # The connection is back in the pool before scrypt runs: hashing costs tens of
    # milliseconds of CPU, and holding a connection through it would starve the pool.
    if record is None or not record.verify():
        return None
    if context.key_uses.due(record.key_id):
        with context.pool.connection() as conn:
            repo.stamp_use(conn, record.key_id)
    user = record.user
    areas = None if user.jurisdiction is None else context.jurisdictions.area(user.jurisdiction)
    return Principal(
        name=user.name, role=Role(user.role), areas=areas, jurisdiction=user.jurisdiction
    )


def require_caller(
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Who is calling; 401 without a valid bearer token."""
    caller = authenticate(context, credentials.credentials if credentials else None)
    if caller is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


Caller = Annotated[Principal, Depends(require_caller)]


def allow(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only these roles (admin always); 403 names what is needed."""

    def check(caller: Caller) -> Principal:
        if not caller.has(*roles):
            needed = ", ".join(r.value for r in roles) or "admin"
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs role: {needed}")
        return caller

    return check


def visible_alert(alert_id: uuid.UUID, caller: Caller, context: Context) -> Alert:
    """The alert in the path when it lies in the caller's areas. Outside them it is a 404, the
    same as no alert at all, so that its existence is not told. Declare the route's role check
    before this dependency: a caller of the wrong role gets 403 whatever the alert."""
    with context.pool.connection() as conn:
        alert = AlertsRepo().get(conn, alert_id)
    if alert is None or not caller.sees_any(alert.all_jurisdictions()):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    return alert


VisibleAlert = Annotated[Alert, Depends(visible_alert)]


def get_connection(context: Context) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with context.pool.connection() as conn:
        yield conn


Connection = Annotated[psycopg.Connection[tuple[object, ...]], Depends(get_connection)]
