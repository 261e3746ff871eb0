"""Event-to-WebSocket latency of the alert pipeline at sustained event rates, and the highest
rate it holds without a growing backlog.

    python -m bench.alerts [--rates 20,50,100,200,400] [--seconds 20] [--service inproc]
                           [--event-batch-ms 5]

A real `Service` runs the alerts and api roles (PostgreSQL and MQTT from
SHOREWATCH_TEST_DATABASE_URL / SHOREWATCH_TEST_MQTT_URL, CI's services; embedded ones
otherwise; a fresh database either way). A separate bus client, standing in for a detector,
publishes events at a fixed rate, each for a new target so that each opens an alert. A WebSocket
client on `/api/v1/live` times every alert from the moment its event was made to the moment it
arrives, all in this one process on one clock.

`--event-batch-ms` (default 5) is how the stand-in publishes, as a detector does: a detector
publishes the events that handling one observation batch raised together, as one `event_batch`
per kind, and ingest closes an observation batch at most `bus.batch_linger_ms` (5 ms) after its
first report. So the publisher collects the events made in a window of that length from the
first and publishes them per kind (at most `bus.event_batch_max` a message, a lone event as
itself). Each event is still timed from when it was made, so the time it waits in the window
counts against the latency. `--event-batch-ms 0`: one message per event, as before.

`--service` says where the service runs: `inproc` (the default, as first measured) in this
process, sharing its GIL with the publisher and the WebSocket client; `process` in a process of
its own (`shorewatch run --role alerts --role api`); `split` the alerts and api roles in a
process each, as a deployment would run them. The service's CPU seconds per rate are printed
for the two process modes.

Per rate: latency p50/p99, the rate actually published and delivered, and the backlog
(published minus delivered). A rate is held when the backlog does not grow over the second half
of the run (least-squares slope under 5 % of the rate) and everything arrives within
`DRAIN_S` after publishing stops.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.composition import Service
from app.embedded import EmbeddedBroker, EmbeddedPostgres
from bench.service_env import service_env
from bench.service_resources import cpu_seconds, fresh_database
from shorewatch.bus import Bus
from shorewatch.bus_batches import event_messages
from shorewatch.config.bus import BusConfig
from shorewatch.config.site import parse_config
from shorewatch.events import Event, EventKind
from shorewatch.logs import configure_logging
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics

TOKEN = "bench-alerts-token-0123456789abcdef"
SITE_YAML = 'version: "bench-alerts"\n'


def site_yaml(receive_maximum: int | None) -> str:
    """The bench's site; `receive_maximum`: the service's `bus.receive_maximum` (default 100)."""
    bus = f"bus: {{receive_maximum: {receive_maximum}}}\n" if receive_maximum else ""
    return SITE_YAML + bus


DRAIN_S = 10.0
SAMPLE_MISSING = 500
SAMPLE_S = 0.25
HELD_SLOPE = 0.05


@dataclass
class Receipts:
    """What the WebSocket client saw: first arrival of each event's alert."""

    arrived: dict[str, float] = field(default_factory=dict)
    closed: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.arrived)


@dataclass(frozen=True)
class RateResult:
    rate: float
    published: int
    delivered: int
    publish_rate: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    backlog_max: int
    backlog_slope: float
    """Backlog growth over the second half of the run, events per second."""
    held: bool
    missing: tuple[str, ...] = ()
    """Events whose alert never reached the WebSocket client."""
    timeline: tuple[SecondResult, ...] = ()


@dataclass(frozen=True)
class SecondResult:
    """Latency of the events published in one second of the run: where a p99 comes from."""

    second: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def listen(url: str, receipts: Receipts, stop: threading.Event) -> None:
    with connect(url, max_size=None) as ws:
        while not stop.is_set():
            try:
                text = ws.recv(timeout=0.2)
            except TimeoutError:
                continue
            except ConnectionClosed as exc:
                receipts.closed = f"closed by server: {exc}"
                return
            now = time.perf_counter()
            alert = json.loads(text)
            first_event = str(alert["event_ids"][0])
            with receipts.lock:
                receipts.arrived.setdefault(first_event, now)


def event_for(run: str, n: int) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=EventKind.ZONE_ENTRY,
        start=datetime.now(UTC),
        lat=58.25 + (n % 100) * 0.001,
        lon=11.42,
        targets=(f"bench:{run}-{n}",),
        config_version="bench-alerts",
    )


def _wait_until(due: float) -> float:
    while (now := time.perf_counter()) < due:
        time.sleep(min(due - now, 0.002))
    return now


def _publish_events(bus: Bus, topics: Topics, events: list[Event], max_items: int) -> None:
    """As a detector publishes what one message raised: a message per kind."""
    for kind, message in event_messages(events, max_items):
        bus.publish(topics.event(kind), message)


def run_rate(
    bus: Bus,
    topics: Topics,
    receipts: Receipts,
    rate: float,
    seconds: float,
    window_s: float = 0.0,
) -> RateResult:
    """`window_s` > 0: the events made within that long of the first wait and go together."""
    run = uuid.uuid4().hex[:8]
    total = int(rate * seconds)
    sent: dict[str, float] = {}
    samples: list[tuple[float, int]] = []
    waiting: list[Event] = []
    window_ends = 0.0
    max_items = BusConfig().event_batch_max  # the service's default, as a detector has it
    started = time.perf_counter()
    next_sample = started
    before = receipts.count()  # counted, not searched: a search of `sent` grew with the run
    for n in range(total):
        due = started + n / rate
        if waiting and window_ends <= due:
            _wait_until(window_ends)
            _publish_events(bus, topics, waiting, max_items)
            waiting = []
        now = _wait_until(due)
        if now >= next_sample:
            samples.append((now - started, len(sent) - (receipts.count() - before)))
            next_sample += SAMPLE_S
        event = event_for(run, n)
        made = sent[str(event.id)] = time.perf_counter()  # before it waits in the window
        if window_s <= 0:
            bus.publish(topics.event(event.kind), event)
            continue
        if not waiting:
            window_ends = made + window_s
        waiting.append(event)
    if waiting:
        _wait_until(window_ends)
        _publish_events(bus, topics, waiting, max_items)
    publish_s = time.perf_counter() - started
    deadline = time.perf_counter() + DRAIN_S
    while time.perf_counter() < deadline and receipts.closed is None:
        if all(key in receipts.arrived for key in sent):
            break
        time.sleep(0.05)
    with receipts.lock:
        latencies = [
            (receipts.arrived[key] - at) * 1000
            for key, at in sent.items()
            if key in receipts.arrived
        ]
        missing = tuple(key for key in sent if key not in receipts.arrived)
        per_second: dict[int, list[float]] = {}
        for key, at in sent.items():
            if key in receipts.arrived:
                per_second.setdefault(int(at - started), []).append(
                    (receipts.arrived[key] - at) * 1000
                )
    result = summarise(rate, total, publish_s, latencies, samples, seconds)
    timeline = tuple(_second(s, ms) for s, ms in sorted(per_second.items()))
    return dataclasses.replace(result, missing=missing, timeline=timeline)


def _second(second: int, latencies: list[float]) -> SecondResult:
    ordered = sorted(latencies)
    return SecondResult(
        second,
        statistics.median(ordered),
        ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        ordered[-1],
    )


def where_lost(dsn: str, missing: tuple[str, ...]) -> str:
    """Whether the events whose alerts never arrived were stored, and put in an alert: for
    the first `SAMPLE_MISSING` of them (an overlap test of every alert against a list of 100,000
    ids ran for minutes and took a core from the next run)."""
    with psycopg.connect(dsn) as conn:
        ids = list(missing[:SAMPLE_MISSING])
        events = conn.execute("SELECT count(*) FROM events WHERE id = ANY(%s::uuid[])", [ids])
        stored = events.fetchone()
        alerts = conn.execute(
            "SELECT count(*) FROM alerts WHERE event_ids && %s::uuid[]", [ids]
        ).fetchone()
    return (
        f"  {len(missing)} alerts never arrived; of the first {len(ids)}, "
        f"{stored[0] if stored else 0} events were stored and {alerts[0] if alerts else 0} "
        f"are in an alert (first: {missing[0]})"
    )


def summarise(
    rate: float,
    total: int,
    publish_s: float,
    latencies: list[float],
    samples: list[tuple[float, int]],
    seconds: float,
) -> RateResult:
    ordered = sorted(latencies) or [float("nan")]
    half = [(t, b) for t, b in samples if t >= seconds / 2]
    slope = _slope(half) if len(half) >= 2 else float("nan")
    held = len(latencies) == total and slope <= HELD_SLOPE * rate
    return RateResult(
        rate=rate,
        published=total,
        delivered=len(latencies),
        publish_rate=total / publish_s,
        p50_ms=statistics.median(ordered),
        p99_ms=ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        max_ms=ordered[-1],
        backlog_max=max((b for _t, b in samples), default=0),
        backlog_slope=slope,
        held=held,
    )


def _slope(points: list[tuple[float, int]]) -> float:
    mean_t = statistics.fmean(t for t, _b in points)
    mean_b = statistics.fmean(b for _t, b in points)
    spread = sum((t - mean_t) ** 2 for t, _b in points)
    return sum((t - mean_t) * (b - mean_b) for t, b in points) / spread if spread else 0.0


@contextlib.contextmanager
def in_process(dsn: str, mqtt_url: str, root: str, site: str) -> Iterator[tuple[int, list[int]]]:
    """The service in this process; yields its API port and no process ids."""
    service = Service(
        parse_config(site, "bench.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("alerts", "api"),
        api_token=TOKEN,
        api_port=0,
        topic_root=root,
    )
    service.start()
    try:
        yield service.api_port, []
    finally:
        service.stop()


@contextlib.contextmanager
def in_processes(
    dsn: str, mqtt_url: str, root: str, site: str, groups: list[list[str]]
) -> Iterator[tuple[int, list[int]]]:
    """The service as `shorewatch run` processes, one per group of roles (the api's first,
    so that it has migrated the store before the others start)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.yaml"
        path.write_text(site)
        port = _free_port()
        env = service_env(dsn, mqtt_url, root, port, TOKEN)
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for roles in groups:
                cmd = [sys.executable, "-m", "app.cli", "--config", str(path), "run"]
                procs.append(subprocess.Popen([*cmd, *(f"--role={r}" for r in roles)], env=env))
                if "api" in roles:
                    _wait_healthy(f"http://127.0.0.1:{port}")
            yield port, [p.pid for p in procs]
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(base: str) -> None:
    for _ in range(600):
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("the API did not start")


def wait_ready(bus: Bus, topics: Topics, receipts: Receipts) -> None:
    """Until an event comes back as an alert: every role subscribed, the feed connected."""
    for n in range(600):
        bus.publish(topics.event(EventKind.ZONE_ENTRY), event_for("ready", n))
        time.sleep(0.1)
        if receipts.count():
            return
    raise RuntimeError("no alert came back")


SERVICES = {
    "inproc": None,
    "process": [["alerts", "api"]],
    "split": [["api"], ["alerts"]],
}


def bench(
    dsn: str,
    mqtt_url: str,
    rates: list[float],
    seconds: float,
    mode: str = "inproc",
    receive_maximum: int | None = None,
    timeline: bool = False,
    event_batch_ms: float = 0.0,
) -> list[RateResult]:
    root = f"bench-{uuid.uuid4().hex[:8]}"
    groups = SERVICES[mode]
    with contextlib.ExitStack() as stack:
        port, pids = stack.enter_context(
            in_process(dsn, mqtt_url, root, site_yaml(receive_maximum))
            if groups is None
            else in_processes(dsn, mqtt_url, root, site_yaml(receive_maximum), groups)
        )
        topics = Topics(root)
        detector = Bus(mqtt_url, "bench-detector", topics, Metrics())
        detector.connect()
        stack.callback(detector.close)
        receipts = Receipts()
        stop = threading.Event()
        url = f"ws://127.0.0.1:{port}/api/v1/live?token={TOKEN}"
        listener = threading.Thread(target=listen, args=(url, receipts, stop), daemon=True)
        listener.start()
        stack.callback(listener.join, 5)
        stack.callback(stop.set)
        time.sleep(1.0)
        wait_ready(detector, topics, receipts)
        window_s = event_batch_ms / 1000
        run_rate(detector, topics, receipts, rates[0], 2.0, window_s)  # warm-up: plans
        # The bench's own imports out of its collector's way, as `shorewatch run` does for the
        # service: full collections of them paused the WebSocket client up to 83 ms.
        gc.collect()
        gc.freeze()
        results = []
        for rate in rates:
            cpu = [cpu_seconds(pid) for pid in pids]
            result = run_rate(detector, topics, receipts, rate, seconds, window_s)
            results.append(result)
            now = [cpu_seconds(pid) for pid in pids]
            spent = [f"{b - a:.1f}" for a, b in zip(cpu, now, strict=True)]
            used = f"  service CPU {' + '.join(spent)} s" if pids else ""
            print(_line(result) + used, flush=True)
            if result.missing:
                print(where_lost(dsn, result.missing), flush=True)
            if timeline:
                for each in result.timeline:
                    print(
                        f"    second {each.second:3d}  p50 {each.p50_ms:7.1f}  "
                        f"p99 {each.p99_ms:7.1f}  max {each.max_ms:7.1f} ms"
                    )
            if receipts.closed:
                print(f"  live feed {receipts.closed}")
                break
            time.sleep(2.0)
        return results


def _line(r: RateResult) -> str:
    return (
        f"{r.rate:7.0f}/s  published {r.published:6d} at {r.publish_rate:7.1f}/s  "
        f"delivered {r.delivered:6d}  p50 {r.p50_ms:8.1f} ms  p99 {r.p99_ms:8.1f} ms  "
        f"max {r.max_ms:8.1f} ms  backlog max {r.backlog_max:5d}  "
        f"slope {r.backlog_slope:+7.1f}/s  {'held' if r.held else 'NOT held'}"
    )


def _publishing(event_batch_ms: float) -> str:
    if event_batch_ms <= 0:
        return "one message per event"
    return f"the events of each {event_batch_ms:g} ms together, a message per kind"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="20,50,100,200,400", help="events/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="per rate")
    parser.add_argument(
        "--service", choices=sorted(SERVICES), default="inproc", help="where the service runs"
    )
    parser.add_argument(
        "--receive-maximum", type=int, help="the service's bus.receive_maximum (default 100)"
    )
    parser.add_argument(
        "--timeline", action="store_true", help="latency per second of publishing, per rate"
    )
    parser.add_argument(
        "--event-batch-ms",
        type=float,
        default=5.0,
        help="publish the events made in a window this long as one message per kind, as a "
        "detector publishes what one observation batch (bus.batch_linger_ms, 5) raised; "
        "latency still counts from each event's making; 0: one message per event",
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
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
        print(
            f"alerts + api roles ({args.service}); {args.seconds:g} s per rate; "
            f"{_publishing(args.event_batch_ms)}; broker {mqtt_url.split('?')[0]}"
        )
        results = bench(
            dsn,
            mqtt_url,
            rates,
            args.seconds,
            args.service,
            args.receive_maximum,
            args.timeline,
            args.event_batch_ms,
        )
    held = [r.rate for r in results if r.held]
    best = max(held) if held else None
    print(f"highest rate held without a growing backlog: {best:g}/s" if best else "none held")


if __name__ == "__main__":
    main()
