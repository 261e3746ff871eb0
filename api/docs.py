"""The API's own documentation pages (`/docs`, Swagger UI; `/redoc`, ReDoc), served without a
CDN: their scripts and styles are the copies shipped in the `fastapi-offline` wheel, and their
start-up code is a file here, not an inline script, so the pages work on a machine with no
internet and under the site's Content-Security-Policy."""

from __future__ import annotations

import html
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse, HTMLResponse

ASSETS_URL = "/docs-assets"
_VENDOR = Path(fastapi_offline.__file__).resolve().parent / "static"
_OURS = Path(__file__).resolve().parent / "static"
ASSETS: dict[str, Path] = {
    "swagger-ui-bundle.js": _VENDOR / "swagger-ui-bundle.js",
    "swagger-ui.css": _VENDOR / "swagger-ui.css",
    "redoc.standalone.js": _VENDOR / "redoc.standalone.js",
    "favicon.png": _VENDOR / "favicon.png",
    "swagger-init.js": _OURS / "swagger-init.js",
}
CACHE = "public, max-age=86400"


def docs_router(title: str, openapi_url: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    name, spec = html.escape(title), html.escape(openapi_url)

    @router.get("/docs")
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{name} — Swagger UI</title>
<link rel="icon" href="{ASSETS_URL}/favicon.png">
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi-url="{spec}"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_URL}/swagger-init.js"></script>
</body></html>
""")

    @router.get("/redoc")
    def redoc() -> HTMLResponse:
        return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{name} — ReDoc</title>
<link rel="icon" href="{ASSETS_URL}/favicon.png"></head>
<body><redoc spec-url="{spec}"></redoc>
<script src="{ASSETS_URL}/redoc.standalone.js"></script>
</body></html>
""")

    @router.get(ASSETS_URL + "/{name}")
    def asset(name: str) -> FileResponse:
        path = ASSETS.get(name)
        if path is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no asset {name}")
        return FileResponse(path, headers={"Cache-Control": CACHE})

    return router
