"""The FastAPI application, built from an `ApiContext` (no globals, one per test if need be)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from api import console
from api.context import ApiContext
from api.docs import docs_router
from api.errors import validation_error
from api.openapi import document_common_errors
from api.routes import (
    alerts,
    cameras,
    console_settings,
    events,
    export,
    incidents,
    live,
    me,
    picture,
    reports,
    sensors,
    silences,
    stats,
    system,
    tracks,
    units,
    vessels,
    watchlist,
    zones,
)
from api.security import SecurityHeaders
from shorewatch import __version__

API_PREFIX = "/api/v1"


def create_app(context: ApiContext) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        context.live.bind(asyncio.get_running_loop())
        yield

    app = FastAPI(
        title="ShoreWatch",
        version=__version__,
        description="Coastal anti-smuggling monitoring: alerts for operators and dispatchers.",
        lifespan=lifespan,
        docs_url=None,  # served by api/docs.py without a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,  # bearer keys only: no OAuth2 flow to return to
    )
    app.state.context = context
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.include_router(system.router)
    app.include_router(alerts.router, prefix=API_PREFIX)
    app.include_router(live.router, prefix=API_PREFIX)
    app.include_router(watchlist.router, prefix=API_PREFIX)
    app.include_router(events.router, prefix=API_PREFIX)
    app.include_router(tracks.router, prefix=API_PREFIX)
    app.include_router(vessels.router, prefix=API_PREFIX)
    app.include_router(zones.router, prefix=API_PREFIX)
    app.include_router(stats.router, prefix=API_PREFIX)
    app.include_router(reports.router, prefix=API_PREFIX)
    app.include_router(units.router, prefix=API_PREFIX)
    app.include_router(silences.router, prefix=API_PREFIX)
    app.include_router(me.router, prefix=API_PREFIX)
    app.include_router(sensors.router, prefix=API_PREFIX)
    app.include_router(console_settings.router, prefix=API_PREFIX)
    app.include_router(picture.router, prefix=API_PREFIX)
    app.include_router(incidents.router, prefix=API_PREFIX)
    app.include_router(docs_router(app.title, app.openapi_url or "/openapi.json"))
    app.include_router(cameras.router, prefix=API_PREFIX)
    app.include_router(export.router, prefix=API_PREFIX)
    app.include_router(console.router)  # last: it answers every path no other route took
    document_common_errors(app)
    return app
