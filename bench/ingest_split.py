"""The ingest bench with ingest and recorder as separate `shorewatch run` processes, as
production runs them (docs/operations.md): the capture is fed to the real ingest role over a
TCP AIS input, and the recorder role writes what arrives on the bus into a database of the
bench's own. Timed from the first byte sent to the last row committed (the row count polled)."""

from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import TupleRow

from bench.service_env import service_env
from bench.service_resources import ServerCpu, cpu_seconds
from shorewatch.bus import Bus
from shorewatch.events import ComponentStatus, Message
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics

SITE = """version: "bench-ingest"
ingest:
  ais:
    - {{id: bench, transport: tcp, host: 127.0.0.1, port: {port}, reconnect_max_s: 0.5}}
store: {{batch_size: 2000, flush_interval_s: 0.2}}
bus: {{batch_max: {batch}}}
spool: {{enabled: {spool}}}
"""
POLL_S = 0.02
"""How often the row count is read; the committed time is this precise."""
SETTLE_S = 2.0
"""No new row for this long after the last byte was sent: the run is over."""
NO_ROWS_S = 60.0
"""No row at all for this long: a role is stuck; the bench fails rather than wait forever."""


@dataclass(frozen=True)
class SplitResult:
    rows: int
    sent_s: float
    """When the last byte of the capture had been handed to the ingest role's socket."""
    elapsed_s: float
    """When the last row was seen committed: the figure the rate is computed from."""
    cpu_s: dict[str, float]
    """CPU seconds (user + system) each role's process spent from start to the end, and each
    server on this machine (PostgreSQL, Mosquitto) from the first byte to the last row."""
    growth: list[tuple[float, int]]
    """(seconds, rows) each time the count was seen to grow: where the time went."""

    def time_to(self, share: float) -> float:
        """When at least `share` of the final rows were committed."""
        return next(s for s, n in self.growth if n >= share * self.rows)


def split_pipeline(
    lines: list[bytes],
    dsn: str,
    mqtt_url: str,
    *,
    batch: int,
    spool: bool,
    profile_dir: Path | None = None,
) -> SplitResult:
    payload = b"".join(line + b"\r\n" for line in lines)
    root = f"bench-{uuid.uuid4().hex[:8]}"
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        listener = stack.enter_context(socket.create_server(("127.0.0.1", 0)))
        config = tmp / "site.yaml"
        config.write_text(
            SITE.format(port=listener.getsockname()[1], batch=batch, spool=str(spool).lower())
        )
        online = _watch_status(stack, mqtt_url, root)
        token = secrets.token_urlsafe(24)  # unused: no api role, but settings want one
        env = service_env(dsn, mqtt_url, root, 0, token, SHOREWATCH_DATA_DIR=str(tmp / "data"))
        procs = {
            role: stack.enter_context(_role(role, config, env, profile_dir))
            for role in ("recorder", "ingest")
        }
        _wait_online(online, procs)
        listener.settimeout(60)
        conn, _ = listener.accept()
        stack.enter_context(conn)
        cpu_before = {role: cpu_seconds(p.pid) for role, p in procs.items()}
        with psycopg.connect(dsn, autocommit=True) as db:
            servers = ServerCpu()
            servers_before = servers.seconds()
            started = time.perf_counter()
            conn.sendall(payload)
            sent_s = time.perf_counter() - started
            growth, servers_after = _wait_rows(db, started, servers)
        cpu = {role: cpu_seconds(p.pid) - cpu_before[role] for role, p in procs.items()}
        cpu |= {name: s - servers_before[name] for name, s in servers_after.items()}
    elapsed_s, rows = growth[-1]
    return SplitResult(rows, sent_s, elapsed_s, cpu, growth)


def _watch_status(stack: contextlib.ExitStack, mqtt_url: str, root: str) -> set[str]:
    """The roles whose processes have sent a heartbeat (they start it after their roles)."""
    online: set[str] = set()
    topics = Topics(root)

    def seen(message: Message) -> None:
        if isinstance(message, ComponentStatus) and message.online:
            online.update(message.roles)

    bus = Bus(mqtt_url, "bench-watch", topics, Metrics())
    bus.subscribe(topics.all_status, seen)
    bus.connect()
    stack.callback(bus.close)
    return online


@contextlib.contextmanager
def _role(
    role: str, config: Path, env: dict[str, str], profile_dir: Path | None
) -> Iterator[subprocess.Popen[bytes]]:
    """`shorewatch run --role <role>`, under cProfile when asked (written at its exit)."""
    python = [sys.executable]
    if profile_dir is not None:
        python += ["-m", "cProfile", "-o", str(profile_dir / f"{role}.prof")]
    cmd = [*python, "-m", "app.cli", "--config", str(config), "run", f"--role={role}"]
    proc = subprocess.Popen(cmd, env=env)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(30)


def _wait_online(online: set[str], procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for _ in range(600):
        if online >= procs.keys():
            return
        for role, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"the {role} role exited ({proc.returncode})")
        time.sleep(0.1)
    raise RuntimeError(f"roles not online: {sorted(procs.keys() - online)}")


def _wait_rows(
    db: psycopg.Connection[TupleRow], started: float, servers: ServerCpu
) -> tuple[list[tuple[float, int]], dict[str, float]]:
    """Poll the row count until it stops growing; (time, rows) at each growth, the last of
    which is the end, and the servers' CPU seconds at that last growth (not after the wait
    for more)."""
    growth: list[tuple[float, int]] = []
    rows, last_change = 0, 0.0
    at_last_growth: dict[str, float] = {}
    while True:
        time.sleep(POLL_S)
        found = db.execute("SELECT count(*) FROM observations").fetchone()
        now = time.perf_counter() - started
        count = int(found[0]) if found else 0
        if count != rows:
            rows, last_change = count, now
            growth.append((now, count))
            at_last_growth = servers.seconds()
        elif rows and now - last_change > SETTLE_S:
            return growth, at_last_growth
        elif now - last_change > NO_ROWS_S:
            raise RuntimeError(f"no new row for {NO_ROWS_S:g} s ({rows} so far)")
