"""The operators' console, served at `/` from its built files (`console/dist`, made by
`npm ci && npm run build` in `console/`): same origin as the API, so it needs no CORS and has
no private path.

Unknown paths that are not the API's get `index.html`, so that the single-page app can route
(`/alerts/…` reloaded in the browser still opens the console). Vite names the files under
`assets/` by their content hash, so they are cached for a year; `index.html` is revalidated on
every load so that a new build is picked up at once. Without a build every console path answers
503 with a page saying how to make one, rather than a bare 404.
"""

from __future__ import annotations

import html
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)

DEFAULT_CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console" / "dist"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SHORT = "public, max-age=3600"

router = APIRouter(include_in_schema=False)


def _not_built(console_dir: Path) -> HTMLResponse:
    where = html.escape(str(console_dir))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ShoreWatch — console not built</title></head>
<body>
<h1>The ShoreWatch console is not built</h1>
<p>The API is running, but there are no console files in <code>{where}</code>.</p>
<p>Build them once, then reload this page:</p>
<pre>cd console
npm ci
npm run build</pre>
<p>(Node.js and npm from your system's packages, e.g. <code>apt-get install nodejs npm</code>.)
To serve a build kept elsewhere, set <code>SHOREWATCH_CONSOLE_DIR</code>.</p>
<p>The API itself works meanwhile: <a href="/docs">/docs</a>.</p>
</body></html>
"""
    return HTMLResponse(page, status_code=503, headers={"Cache-Control": "no-store"})


def _inside(root: Path, relative: str) -> Path | None:
    """The file `relative` names under `root`; None for anything outside it or not a file."""
    parts = PurePosixPath(relative).parts
    if any(part in ("..", "") or part.startswith(".") for part in parts):
        return None
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    return candidate


@router.get("/{path:path}", response_model=None)
def console(path: str, request: Request) -> Response:
    """A built file, else `index.html` for the app's own routes."""
    if path == "api" or path.startswith("api/"):
        if path.endswith("/"):  # what Starlette's redirect_slashes did before this route
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse("/" + path.rstrip("/") + query, status_code=307)
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    root: Path = request.app.state.context.console_dir or DEFAULT_CONSOLE_DIR
    index = root / "index.html"
    if not index.is_file():
        return _not_built(root)
    found = _inside(root, path) if path else None
    if found is not None and found != index.resolve():
        cache = IMMUTABLE if path.startswith("assets/") else SHORT
        return FileResponse(found, headers={"Cache-Control": cache})
    if path and "." in PurePosixPath(path).name:
        # A missing script or image: answering HTML for it would only confuse the browser.
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return FileResponse(index, media_type="text/html", headers={"Cache-Control": REVALIDATE})
