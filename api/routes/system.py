"""Health (open, for the orchestrator) and metrics (bearer token, as Prometheus can send with
`authorization: {credentials: ...}` in its scrape config)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel

from api.deps import Context, allow
from api.principal import Principal, Role

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str
    database: bool


@router.get("/healthz", response_model=Health)
def healthz(context: Context, response: Response) -> Health:
    try:
        with context.pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")
        database = True
    except Exception:
        database = False
    if not database:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status="ok" if database else "degraded", database=database)


@router.get("/metrics", response_class=Response)
def metrics(
    context: Context, _caller: Annotated[Principal, Depends(allow(Role.ENGINEER))]
) -> Response:
    context.metrics.ws_clients.set(context.live.client_count)
    return Response(
        context.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
