"""The console in a real browser against the real service: Debian's Chromium driven by
Playwright, the service with every role on PostgreSQL and Mosquitto, the demo site and its
simulated traffic over UDP, and one user per role and area.

Chromium draws WebGL with SwiftShader (no GPU needed). Screenshots for docs/console.md are
written to docs/img by the tests that show each view.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    Page,
    Playwright,
    Route,
    sync_playwright,
)
from psycopg.conninfo import make_conninfo

from app.composition import Service
from app.demo import _with_ephemeral_udp
from app.simulator import UdpSender, mixed_scenario
from shorewatch.config.site import SiteConfig, load_config
from shorewatch.events import Event, EventKind, Observation, Source, VesselStatic
from shorewatch.store.auth_repo import AuthRepo, NewUser

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"
DOC_IMAGES = ROOT / "docs" / "img"
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-test-token-0123456789abcdef"
CHROMIUM_ARGS = [
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
    "--autoplay-policy=no-user-gesture-required",
]
# (name, role, jurisdiction) — jurisdictions of configs/demo.yaml
USERS = [
    ("olle", "operator", "lysekil-north"),
    ("dora", "dispatcher", "lysekil-coast"),
    ("erik", "engineer", None),
    ("tina", "operator", "skafto-south"),
]


@pytest.fixture(scope="session")
def console_dist() -> Path:
    """The built console (scripts/bootstrap.sh builds it; built here when missing)."""
    index = CONSOLE / "dist" / "index.html"
    if not index.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("console/dist missing and no npm to build it: run scripts/bootstrap.sh")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CONSOLE, check=True)
        subprocess.run([npm, "run", "build"], cwd=CONSOLE, check=True)
    return index.parent


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} missing: scripts/test.sh installs Debian's chromium")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Scene:
    service: Service
    base: str
    keys: dict[str, str]
    api: httpx.Client
    sender: UdpSender
    dialogs: list[str] = field(default_factory=list)
    """Messages of every alert()/confirm() a page opened: none may, ever."""
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    """Requests to anything but the service, aborted where a test blocks the outside."""

    def assert_quiet(self) -> None:
        """No page opened a dialog (script run from data) or threw an uncaught error."""
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"
        assert self.errors == [], f"page errors: {self.errors}"

    def get(self, path: str, user: str | None = None, **params: Any) -> Any:
        key = TOKEN if user is None else self.keys[user]
        response = self.api.get(path, params=params, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, response.text
        return response.json()

    def publish_event(
        self,
        kind: EventKind,
        target: str,
        lat: float,
        lon: float,
        facts: dict[str, Any] | None = None,
        zone: str | None = None,
    ) -> Event:
        event = Event(
            id=uuid.uuid4(),
            kind=kind,
            start=datetime.now(UTC),
            lat=lat,
            lon=lon,
            targets=(target,),
            zone=zone,
            facts=facts or {},
            config_version=self.service.site.version,
        )
        self.service.publish_event(event)
        return event

    def publish_vessel(
        self, mmsi: int, name: str, fixes: list[tuple[float, float]], sog_kn: float = 8.0
    ) -> None:
        """An AIS vessel as the receiver would put it on the bus: its static report, then fixes."""
        sensor = self.service.site.ingest.ais[0].id
        publish = self.service.publish_observation(sensor, Source.AIS)
        now = datetime.now(UTC)
        publish(VesselStatic(sensor_id=sensor, time=now, mmsi=mmsi, name=name, ship_type=37))
        for lat, lon in fixes:
            publish(
                Observation(
                    source=Source.AIS,
                    sensor_id=sensor,
                    target_ref=str(mmsi),
                    time=datetime.now(UTC),
                    lat=lat,
                    lon=lon,
                    sog_kn=sog_kn,
                    cog_deg=90.0,
                )
            )


@pytest.fixture(scope="module")
def scene_site() -> SiteConfig:
    """The site the scene runs: the demo's, its receivers on free ports. A module that needs
    more equipment (a PTZ camera) overrides this fixture."""
    return _with_ephemeral_udp(load_config(ROOT / "configs" / "demo.yaml"))


@pytest.fixture(scope="module")
def scene(
    pg_server: str, mqtt_url: str, console_dist: Path, scene_site: SiteConfig
) -> Iterator[Scene]:
    """The demo site with every role and the simulated traffic, one per test module."""
    name = f"sw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    site = scene_site
    service = Service(
        site,
        dsn=make_conninfo(pg_server, dbname=name),
        mqtt_url=mqtt_url,
        api_token=TOKEN,
        api_port=0,
        topic_root=f"swtest-{uuid.uuid4().hex[:10]}",
        console_dir=console_dist,
    )
    service.start()
    keys: dict[str, str] = {}
    repo = AuthRepo()
    with service.pool.connection() as conn, conn.transaction():
        for user, role, area in USERS:
            repo.add_user(conn, NewUser(name=user, role=role, jurisdiction=area))
            keys[user] = repo.create_key(conn, user).token
    ais_ids = {spec.id for spec in site.ingest.ais}
    ais_port = next(p for k, p in service.udp_ports.items() if k in ais_ids)
    radar_port = next(p for k, p in service.udp_ports.items() if k not in ais_ids)
    sender = UdpSender(
        mixed_scenario(datetime.now(UTC)), "127.0.0.1", ais_port, radar_port=radar_port
    )
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{service.api_port}"
    with httpx.Client(base_url=f"{base}/api/v1", timeout=15) as api:
        yield Scene(service, base, keys, api, sender)
    stop.set()
    thread.join(5)
    service.stop()
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SignIn = Callable[..., Page]


@pytest.fixture
def sign_in(scene: Scene, browser: Browser) -> Iterator[SignIn]:
    """A fresh tab signed in as `user` (None: the service token), through the sign-in form.
    Any alert() / confirm() dialog the page opens is recorded in scene.dialogs."""
    contexts: list[BrowserContext] = []

    def open_page(
        user: str | None = None, *, locale: str = "en-GB", block_outside: bool = False
    ) -> Page:
        ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
        contexts.append(ctx)
        if block_outside:
            ctx.route("**/*", lambda route: _only_the_service(route, scene))
        page = ctx.new_page()
        page.on("dialog", lambda d: _record_dialog(d, scene))
        page.on("pageerror", lambda e: scene.errors.append(str(e)))
        page.goto(scene.base + "/")
        page.fill("[data-testid=key]", TOKEN if user is None else scene.keys[user])
        page.click("[data-testid=signin-button]")
        page.wait_for_selector("body[data-map-ready='1']", timeout=30_000)
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()


def _record_dialog(dialog: Dialog, scene: Scene) -> None:
    scene.dialogs.append(dialog.message)
    dialog.dismiss()


def _only_the_service(route: Route, scene: Scene) -> None:
    if route.request.url.startswith(scene.base + "/"):
        route.continue_()
    else:
        scene.blocked.append(route.request.url)
        route.abort()


def shot(page: Page, name: str) -> None:
    """A screenshot for docs/console.md."""
    DOC_IMAGES.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)  # the picture's next draw
    page.evaluate("shorewatch.idle()")
    page.screenshot(path=str(DOC_IMAGES / f"console-{name}.png"))
