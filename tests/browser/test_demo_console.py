"""Acceptance (issue 11, 4): the demo opens with the console. `shorewatch demo` prints the
console's sign-in link; opened in Chromium it signs in, takes the key out of the address bar at
once, and shows the simulated coast and its first alert."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from playwright.sync_api import Browser, expect
from psycopg.conninfo import make_conninfo

from tests.browser.conftest import CONSOLE


@pytest.fixture
def demo_database(pg_server: str) -> Iterator[str]:
    name = f"sw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(pg_server, dbname=name)
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_demo_prints_a_sign_in_link_that_opens_the_console(
    browser: Browser, demo_database: str, mqtt_url: str, console_dist: object
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOREWATCH_")}
    env |= {
        "PYTHONUNBUFFERED": "1",
        "SHOREWATCH_DATABASE_URL": demo_database,
        "SHOREWATCH_MQTT_URL": mqtt_url,
        "SHOREWATCH_TOPIC_ROOT": f"swtest-{uuid.uuid4().hex[:10]}",
        "SHOREWATCH_CONSOLE_DIR": str(CONSOLE / "dist"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "demo", "--for", "120", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    output: list[str] = []
    link = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and link is None:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if match := re.search(r"Console:\s+(http://\S+/#key=\S+)", line):
                link = match.group(1)
        assert link, "the demo printed no console link:\n" + "".join(output)
        base = link.split("/#", 1)[0]

        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(link)
        page.wait_for_selector("body[data-map-ready='1']", timeout=30_000)
        assert page.url == base + "/", "the key must leave the address bar at once"
        expect(page.locator("[data-testid=role]")).to_have_text("admin")
        page.wait_for_function(
            "() => Number(document.body.dataset.targets || 0) >= 3", timeout=60_000
        )
        page.locator(".desk-row").first.wait_for(timeout=90_000)
        context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
