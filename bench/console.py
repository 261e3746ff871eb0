"""The console under 10,000 moving targets: what the live picture costs the network, the API
and the browser, and how soon a new alert reaches the desk.

    python -m bench.console [--targets 10000] [--seconds 30] [--alerts 40]

The API runs as its own process (`shorewatch run --role api`, so that its CPU can be read from
/proc), on PostgreSQL and MQTT from SHOREWATCH_TEST_DATABASE_URL / SHOREWATCH_TEST_MQTT_URL
(embedded ones otherwise; a fresh database either way), serving the built console
(console/dist). This process stands in for the detector: every second it publishes every
target, moved on, as `PictureUpdate`s on the bus (`picture/{tile}`, 500 tracks a message), the
worst case where all targets change every second. Two clients watch: a WebSocket client here
(counting picture messages and bytes) and the console in Debian's Chromium (WebGL by
SwiftShader, no GPU), with the whole fleet in view.

Figures: picture messages and bytes per second per client, the API process's CPU, the
console's frame time (requestAnimationFrame intervals, map redrawn every frame) p50/p95 while
the targets move, and alert publication to its row in the desk p50/p95 (alerts published on
the bus as the alerts role does; the row's appearance timed in the page; one clock).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.embedded import EmbeddedBroker, EmbeddedPostgres
from bench.service_env import service_env
from bench.service_resources import cpu_seconds, fresh_database
from shorewatch.bus import Bus
from shorewatch.events import (
    Alert,
    EventKind,
    Level,
    PictureTrack,
    PictureUpdate,
    ScoreFactor,
    Source,
)
from shorewatch.logs import configure_logging
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics, picture_tile

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-console-token-0123456789abcdef"
CENTER = (11.40, 58.25)
SPREAD_DEG = 0.45  # targets within +-0.45 deg of the centre: all in view at zoom 8.5
SITE_YAML = f"""version: "bench-console"
console: {{center: [{CENTER[0]}, {CENTER[1]}], zoom: 8.5}}
"""
BATCH = 500
CHROMIUM_ARGS = ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


class Fleet:
    """Targets sailing straight lines at 5-40 kn, bouncing inside the box."""

    def __init__(self, count: int, seed: int = 11) -> None:
        rng = random.Random(seed)
        self.state = [
            [
                CENTER[0] + rng.uniform(-SPREAD_DEG, SPREAD_DEG),
                CENTER[1] + rng.uniform(-SPREAD_DEG / 2, SPREAD_DEG / 2),
                rng.uniform(0, 360),
                rng.uniform(5, 40),
            ]
            for _ in range(count)
        ]

    def step(self, seconds: float) -> None:
        for s in self.state:
            metres = s[3] * 1852 / 3600 * seconds
            s[0] += metres * math.sin(math.radians(s[2])) / (111_320 * math.cos(math.radians(s[1])))
            s[1] += metres * math.cos(math.radians(s[2])) / 110_540
            if abs(s[0] - CENTER[0]) > SPREAD_DEG or abs(s[1] - CENTER[1]) > SPREAD_DEG / 2:
                s[2] = (s[2] + 180) % 360

    def updates(self, now: datetime) -> list[PictureUpdate]:
        tiles: dict[str, list[PictureTrack]] = {}
        for i, (lon, lat, cog, sog) in enumerate(self.state):
            source = (Source.AIS, Source.RADAR, Source.CAMERA)[i % 3]
            track = PictureTrack(
                key=f"{source.value}:bench-{i}",
                sources=(source,),
                mmsi=200_000_000 + i if source is Source.AIS else None,
                name=f"BENCH {i}" if source is Source.AIS else None,
                lat=lat,
                lon=lon,
                sog_kn=sog,
                cog_deg=cog,
                last_seen=now,
            )
            tiles.setdefault(picture_tile(lat, lon), []).append(track)
        return [
            PictureUpdate(tile=tile, time=now, tracks=tuple(tracks[i : i + BATCH]))
            for tile, tracks in tiles.items()
            for i in range(0, len(tracks), BATCH)
        ]


def alert_for(n: int) -> Alert:
    now = datetime.now(UTC)
    return Alert(
        id=uuid.uuid4(),
        kind=EventKind.DARK_TARGET,
        target=f"radar:bench-alert-{n}",
        score=85,
        level=Level.RED,
        factors=(ScoreFactor(name="no_ais", points=40), ScoreFactor(name="speed", points=45)),
        lat=CENTER[1],
        lon=CENTER[0],
        event_ids=(uuid.uuid4(),),
        event_count=1,
        created_at=now,
        updated_at=now,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextlib.contextmanager
def api_process(dsn: str, mqtt_url: str, root: str, tmp: Path) -> Iterator[tuple[int, str]]:
    site = tmp / "site.yaml"
    site.write_text(SITE_YAML)
    port = free_port()
    env = service_env(
        dsn, mqtt_url, root, port, TOKEN, SHOREWATCH_CONSOLE_DIR=str(ROOT / "console" / "dist")
    )
    cmd = [sys.executable, "-m", "app.cli", "--config", str(site), "run", "--role", "api"]
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError("the API did not start")
        yield proc.pid, base
    finally:
        proc.terminate()
        proc.wait(30)


class WsCounter:
    """A second console's socket: picture messages and bytes received."""

    def __init__(self, base: str, bbox: list[float]) -> None:
        self.messages = 0
        self.bytes = 0
        self.alerts: dict[str, float] = {}
        """Alert id -> wall-clock ms of its first arrival on this socket."""
        self.stop = threading.Event()
        url = base.replace("http", "ws") + f"/api/v1/live?token={TOKEN}"
        self.thread = threading.Thread(target=self.run, args=(url, bbox), daemon=True)
        self.thread.start()

    def run(self, url: str, bbox: list[float]) -> None:
        with contextlib.suppress(ConnectionClosed), connect(url, max_size=None) as ws:
            ws.send(json.dumps({"type": "viewport", "bbox": bbox}))
            while not self.stop.is_set():
                with contextlib.suppress(TimeoutError):
                    text = ws.recv(timeout=0.5)
                    head = str(text)[:40]
                    if '"type":"picture"' in head:
                        self.messages += 1
                        self.bytes += len(text)
                    elif '"type":"alert"' in head:
                        alert_id = json.loads(text)["id"]
                        self.alerts.setdefault(alert_id, time.time() * 1000)

    def snapshot(self) -> tuple[int, int]:
        return self.messages, self.bytes


WATCH_ROWS = """() => {
  window.benchRows = {};
  window.benchLong = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.benchLong += entry.duration;
  }).observe({type: 'longtask'});
  new MutationObserver(() => {
    for (const row of document.querySelectorAll('.desk-row[data-alerts]')) {
      for (const id of row.dataset.alerts.split(' ')) {
        if (!(id in window.benchRows)) window.benchRows[id] = Date.now();
      }
    }
  }).observe(document.body, {subtree: true, childList: true});
}"""

FRAMES = """(ms) => new Promise((resolve) => {
  const times = []; let last = null; const end = performance.now() + ms;
  const tick = (now) => {
    if (last !== null) times.push(now - last);
    last = now;
    if (now < end) requestAnimationFrame(tick); else resolve(times);
  };
  requestAnimationFrame(tick);
})"""


def print_profile(profile: dict[str, Any], top: int = 12) -> None:
    """The page's main-thread CPU profile over the window: self time per function."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    gaps = profile["timeDeltas"]
    selftime: dict[str, float] = {}
    for node_id, delta in zip(profile["samples"][1:], gaps[1:], strict=False):
        frame = nodes[node_id]["callFrame"]
        where = f"{frame['functionName'] or '(anonymous)'} {frame['url'].rsplit('/', 1)[-1]}"
        selftime[where] = selftime.get(where, 0.0) + delta / 1000
    total = sum(selftime.values())
    print(f"main-thread profile, {total / 1000:.1f} s sampled; top self time:")
    for where, ms in sorted(selftime.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * ms / total:5.1f} %  {where}")


def bench(
    dsn: str,
    mqtt_url: str,
    targets: int,
    seconds: float,
    alerts: int,
    *,
    redraw: bool,
    profile: bool = False,
) -> None:
    root = f"bench-{uuid.uuid4().hex[:8]}"
    topics = Topics(root)
    fleet = Fleet(targets)
    with (
        tempfile.TemporaryDirectory() as tmp,
        api_process(dsn, mqtt_url, root, Path(tmp)) as (
            pid,
            base,
        ),
    ):
        bus = Bus(mqtt_url, "bench-console", topics, Metrics())
        bus.connect()
        # Alerts on a connection of their own, as the alerts role (another process) sends them:
        # on the picture's connection they would queue behind its ~4 MB a second in this process.
        alert_bus = Bus(mqtt_url, "bench-console-alerts", topics, Metrics())
        alert_bus.connect()
        stop = threading.Event()
        published: dict[str, float] = {}

        def detector() -> None:
            while not stop.is_set():
                started = time.monotonic()
                fleet.step(1.0)
                for update in fleet.updates(datetime.now(UTC)):
                    bus.publish(topics.picture(update.tile), update)
                stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))

        threading.Thread(target=detector, daemon=True).start()
        box = [
            CENTER[0] - SPREAD_DEG - 0.1,
            CENTER[1] - SPREAD_DEG,
            CENTER[0] + SPREAD_DEG + 0.1,
            CENTER[1] + SPREAD_DEG,
        ]
        counter = WsCounter(base, box)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(base + "/")
            page.fill("[data-testid=key]", TOKEN)
            page.click("[data-testid=signin-button]")
            page.wait_for_selector("body[data-map-ready='1']", timeout=60_000)
            page.wait_for_function(
                f"() => Number(document.body.dataset.targets || 0) >= {targets}", timeout=120_000
            )
            page.evaluate(WATCH_ROWS)
            if redraw:
                page.evaluate("shorewatch.repaint(true)")
            print(f"{targets} targets drawn; measuring for {seconds:g} s")

            def alerter() -> None:
                for n in range(alerts):
                    if stop.is_set():
                        return
                    alert = alert_for(n)
                    published[str(alert.id)] = time.time() * 1000
                    alert_bus.publish(topics.alert(alert.level), alert)
                    stop.wait(seconds / max(1, alerts))

            m0, b0, cpu0, t0 = *counter.snapshot(), cpu_seconds(pid), time.monotonic()
            threading.Thread(target=alerter, daemon=True).start()
            cdp = page.context.new_cdp_session(page) if profile else None
            if cdp is not None:
                cdp.send("Profiler.enable")
                cdp.send("Profiler.start")
            perf0 = page.evaluate("shorewatch.perf()")
            long0 = page.evaluate("window.benchLong")
            frames: list[float] = page.evaluate(FRAMES, seconds * 1000)
            perf1 = page.evaluate("shorewatch.perf()")
            long1 = page.evaluate("window.benchLong")
            if cdp is not None:
                print_profile(cdp.send("Profiler.stop")["profile"])
            m1, b1, cpu1, t1 = *counter.snapshot(), cpu_seconds(pid), time.monotonic()
            time.sleep(5.0)  # late alerts still count (their latency says how late)
            rows: dict[str, float] = page.evaluate("window.benchRows")
            drawn = page.evaluate("shorewatch.drawn()")
            browser.close()
        stop.set()
        counter.stop.set()
        bus.close()
        alert_bus.close()
    span = t1 - t0
    latencies = [rows[i] - t for i, t in published.items() if i in rows]
    mode = "every frame" if redraw else "on change"
    print(f"targets drawn at the end: {drawn}; map redrawn {mode}")
    print(
        f"picture per client: {(m1 - m0) / span:.1f} messages/s, {(b1 - b0) / span / 1e6:.2f} MB/s"
    )
    print(f"API process CPU: {100 * (cpu1 - cpu0) / span:.0f} % of one core")
    print(
        f"frame time: p50 {statistics.median(frames):.1f} ms, p95 {percentile(frames, 0.95):.1f}"
        f" ms, max {max(frames):.1f} ms over {len(frames)} frames"
    )
    # Consoles before the live worker have no builds (`.get`: the bench also measures those).
    draws = perf1["draws"] - perf0["draws"]
    messages = perf1["messages"] - perf0["messages"]
    builds = perf1.get("builds", 0) - perf0.get("builds", 0)
    receive_ms = (perf1["receiveMs"] - perf0["receiveMs"]) / max(1, messages)
    build_ms = (perf1.get("buildMs", 0) - perf0.get("buildMs", 0)) / max(1, builds)
    draw_ms = (perf1["drawMs"] - perf0["drawMs"]) / max(1, draws)
    print(
        f"console's live worker: {receive_ms:.1f} ms per picture message ({messages}),"
        f" {build_ms:.0f} ms per layer build ({builds}); main thread: {draw_ms:.1f} ms per"
        f" hand-over to the map ({draws})"
    )
    print(
        f"page main thread in long tasks (> 50 ms): {100 * (long1 - long0) / 1000 / span:.0f} %"
        " of the window"
    )
    socket_ms = [counter.alerts[i] - t for i, t in published.items() if i in counter.alerts]
    if socket_ms:
        print(
            f"alert to the other client's socket: p50 {statistics.median(socket_ms):.0f} ms,"
            f" p95 {percentile(socket_ms, 0.95):.0f} ms"
        )
    if latencies:
        print(
            f"alert to desk row: p50 {statistics.median(latencies):.0f} ms, p95"
            f" {percentile(latencies, 0.95):.0f} ms ({len(latencies)}/{len(published)} seen)"
        )
    else:
        print(f"alert to desk row: none of {len(published)} alerts reached the desk")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30.0, help="measurement window")
    parser.add_argument("--alerts", type=int, default=40, help="red alerts in the window")
    parser.add_argument(
        "--no-redraw",
        action="store_true",
        help="let the map draw only on changes (default: redraw every frame, the worst case)",
    )
    parser.add_argument("--profile", action="store_true", help="print the page's CPU profile")
    args = parser.parse_args()
    configure_logging("ERROR")
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = os.environ.get("SHOREWATCH_TEST_DATABASE_URL") or stack.enter_context(
            EmbeddedPostgres(tmp / "pg")
        )
        mqtt_url = os.environ.get("SHOREWATCH_TEST_MQTT_URL") or stack.enter_context(
            EmbeddedBroker()
        )
        dsn = stack.enter_context(fresh_database(server))
        bench(
            dsn,
            mqtt_url,
            args.targets,
            args.seconds,
            args.alerts,
            redraw=not args.no_redraw,
            profile=args.profile,
        )


if __name__ == "__main__":
    main()
