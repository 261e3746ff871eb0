"""The console and the documentation pages served by the API itself (issue 11): the built
console at `/` with the single-page app's routes falling back to `index.html`, a clear 503 when
there is no build, `/docs` and `/redoc` with no URL outside the service, and the security
headers on every response."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.context import ApiContext
from api.security import CONTENT_SECURITY_POLICY
from app.composition import Service
from shorewatch.config.site import parse_config

TOKEN = "console-serving-test-token-0123456789"
INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script>'
SCRIPT = "console.log('shorewatch');"
CHROMIUM = "/usr/bin/chromium"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def console_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dist")
    (root / "assets").mkdir()
    (root / "index.html").write_text(INDEX + "</head><body></body></html>")
    (root / "assets" / "app-1a2b3c.js").write_text(SCRIPT)
    (root / "favicon.svg").write_text("<svg/>")
    (root.parent / "secret.txt").write_text("not for the web")
    return root


@pytest.fixture(scope="module")
def service(pg_server: str, mqtt_url: str, console_dir: Path) -> Iterator[Service]:
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"sw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    svc = Service(
        parse_config('version: "test-console"', "test.yaml", Path()),
        dsn=make_conninfo(pg_server, dbname=name),
        mqtt_url=mqtt_url,
        roles=("api",),
        api_token=TOKEN,
        api_port=0,
        topic_root=f"swtest-{uuid.uuid4().hex[:10]}",
        console_dir=console_dir,
    )
    svc.start()
    yield svc
    svc.stop()
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def web(service: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{service.api_port}", timeout=10) as client:
        yield client


def assert_secure(response: httpx.Response) -> None:
    headers = response.headers
    csp = headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/", "/alerts/3f1c", "/history", "/map?x=1"])
def test_console_routes_get_the_index(web: httpx.Client, path: str) -> None:
    response = web.get(path)
    assert response.status_code == 200
    assert response.text.startswith(INDEX)
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert_secure(response)


def test_hashed_assets_are_cached_for_good(web: httpx.Client) -> None:
    response = web.get("/assets/app-1a2b3c.js")
    assert response.status_code == 200
    assert response.text == SCRIPT
    assert "javascript" in response.headers["content-type"]
    assert "immutable" in response.headers["cache-control"]
    assert_secure(response)
    other = web.get("/favicon.svg")
    assert other.status_code == 200
    assert "immutable" not in other.headers["cache-control"]


@pytest.mark.parametrize(
    "path", ["/assets/missing.js", "/api/v1/nothing-here", "/api", "/%2e%2e/secret.txt"]
)
def test_missing_files_and_api_paths_are_404_not_the_index(web: httpx.Client, path: str) -> None:
    response = web.get(path)
    assert response.status_code == 404
    assert INDEX not in response.text
    assert "not for the web" not in response.text
    assert_secure(response)


def test_an_api_path_with_a_trailing_slash_still_redirects(web: httpx.Client) -> None:
    response = web.get("/api/v1/alerts/?limit=5")
    assert response.status_code == 307
    assert response.headers["location"] == "/api/v1/alerts?limit=5"


def test_the_api_keeps_its_headers_too(web: httpx.Client) -> None:
    assert_secure(web.get("/healthz"))
    refused = web.get("/api/v1/alerts")
    assert refused.status_code == 401
    assert_secure(refused)
    assert_secure(web.get("/api/v1/alerts", headers={"Authorization": f"Bearer {TOKEN}"}))


def test_without_a_build_the_console_says_how_to_make_one(service: Service) -> None:
    assert service.api_server is not None
    app = service.api_server.config.app
    assert isinstance(app, FastAPI)
    context = app.state.context
    assert isinstance(context, ApiContext)
    missing = dataclasses.replace(context, console_dir=Path("/nonexistent/console/dist"))
    with TestClient(create_app(missing)) as client:
        for path in ("/", "/alerts"):
            response = client.get(path)
            assert response.status_code == 503
            assert "npm run build" in response.text
            assert "/nonexistent/console/dist" in response.text
            assert "<script" not in response.text
            assert_secure(response)
        assert client.get("/healthz").status_code == 200, "the API works without the console"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_need_no_internet_and_no_inline_script(web: httpx.Client, page: str) -> None:
    response = web.get(page)
    assert response.status_code == 200
    assert_secure(response)
    body = response.text
    assert not EXTERNAL.search(body), f"an external URL in {page}: {body}"
    assert "cdn" not in body.lower()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", body, re.DOTALL)
    assert scripts, "the page loads its scripts"
    for attributes, inline in scripts:
        assert 'src="/' in attributes, "scripts come from the service"
        assert not inline.strip(), "no inline script (the CSP forbids it)"
    for url in re.findall(r'(?:src|href)="(/[^"]+)"', body):
        asset = web.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0
        assert "cdn.jsdelivr" not in asset.text[:2000]


def test_swagger_start_up_reads_the_served_spec(web: httpx.Client) -> None:
    start = web.get("/docs-assets/swagger-init.js")
    assert start.status_code == 200
    assert "SwaggerUIBundle" in start.text
    assert 'data-openapi-url="/openapi.json"' in web.get("/docs").text
    assert web.get("/openapi.json").json()["info"]["title"] == "ShoreWatch"
    for name in ("passwd", "..%2F..%2Fpyproject.toml", "swagger-ui-bundle.js.map"):
        assert web.get(f"/docs-assets/{name}").status_code == 404, "only the named assets"


def test_docs_render_in_chromium_with_the_internet_blocked(service: Service) -> None:
    """The issue's symptom: `/docs` was a blank page in Chromium without internet. Debian's
    Chromium (installed by the test command), every request off the service refused."""
    from playwright.sync_api import Route, sync_playwright

    base = f"http://127.0.0.1:{service.api_port}"
    outside: list[str] = []
    blocked_scripts: list[str] = []

    def only_ours(route: Route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def browse() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = browser.new_page()
                page.route("**/*", only_ours)
                page.on(
                    "console",
                    lambda m: blocked_scripts.append(m.text) if "script-src" in m.text else None,
                )
                page.goto(f"{base}/docs")
                page.wait_for_selector(".opblock", timeout=30_000)
                assert page.locator(".opblock").count() > 20, "Swagger UI lists the operations"
                page.goto(f"{base}/redoc")
                page.wait_for_selector("[data-section-id]", timeout=30_000)
            finally:
                browser.close()

    # In a thread of its own: Playwright's sync API refuses a thread that holds an event
    # loop, which an earlier test in the same process may have left set.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(browse).result()
    assert outside == [], "nothing is fetched from outside the service"
    assert blocked_scripts == [], "no script is refused by the Content-Security-Policy"
