"""Health and metrics.

`/healthz` is open, for orchestrators and load balancers: the state and the names of the checks
that fail, nothing more (no error texts, no sensor names: which receiver is blind is for the
watch to know). `/api/v1/health` gives signed-in engineers the whole report. `/metrics` takes a
bearer token, as Prometheus can send with `authorization: {credentials: ...}` in its scrape
config. docs/operations.md, "Health", says what each state means and what to alert on.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel

from api.deps import Context, allow
from api.health import HealthReport, State
from api.principal import Principal, Role

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: State
    problems: list[str]
    """e.g. `database:database`, `timescaledb_job:policy_compression[1000]`, `role:detector`,
    `component:shorewatch-recorder`, `sensor_offline`."""


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "down: database or broker unreachable"}},
)
def healthz(context: Context, response: Response) -> Health:
    """200 when ok or degraded (the process works; something it relies on needs a look),
    503 when down (this process cannot do its work)."""
    report = context.health.report()
    if report.status is State.DOWN:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    labels = list(dict.fromkeys(p.public for p in report.problems))
    return Health(status=report.status, problems=labels)


@router.get("/api/v1/health", response_model=HealthReport)
def health_detail(
    context: Context, _caller: Annotated[Principal, Depends(allow(Role.ENGINEER))]
) -> HealthReport:
    """The whole report: each problem with its detail (job errors, sensor names, heartbeat
    ages) and every known process."""
    return context.health.report()


@router.get("/metrics", response_class=Response)
def metrics(
    context: Context, _caller: Annotated[Principal, Depends(allow(Role.ENGINEER))]
) -> Response:
    context.metrics.ws_clients.set(context.live.client_count)
    return Response(
        context.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
