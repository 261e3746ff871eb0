"""Acceptance: `shorewatch demo` on embedded services raises the zone alert through the API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx


def test_demo_produces_zone_alert_via_api() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOREWATCH_")}
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(  # the installed console script's module, as `shorewatch demo`
        [sys.executable, "-m", "app.cli", "demo", "--for", "60", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    output: list[str] = []
    base = token = None
    found: list[dict[str, object]] = []
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and not found:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if match := re.search(r"API:\s+(http://\S+)/api/v1/alerts", line):
                base = match.group(1)
            if match := re.search(r"Token:\s+(\S+)", line):
                token = match.group(1)
            if base and token and line.startswith("ALERT"):
                alerts = httpx.get(
                    f"{base}/api/v1/alerts", headers={"Authorization": f"Bearer {token}"}
                ).json()
                found = [a for a in alerts if a["kind"] == "zone_entry"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    log = "".join(output)
    assert base, f"demo never printed its URL:\n{log}"
    assert token, f"demo never printed its token:\n{log}"
    assert found, f"no zone alert via the API within the demo:\n{log}"
    assert found[0]["target"] == "ais:265123456"
    assert found[0]["zone"] == "lysekil-restricted"
