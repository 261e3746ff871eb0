"""Soak: a steady mixed load (AIS and radar over UDP) through separate role processes
(`shorewatch run --role ingest|recorder|detector|alerts`), RSS of each sampled every minute.
Flat memory is the pass mark: the table ends with each role's slope (MB per hour, least
squares over the samples after the first, which is warm-up).

    python -m bench.soak [--minutes 30] [--rate 200] [--sample-s 60]

Its own Mosquitto (persistence on, as the fault suite's) and a fresh database on the server
named by SHOREWATCH_TEST_DATABASE_URL (dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from functools import reduce
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from app.embedded import free_port
from tests.faults.rig import Mosquitto, Roles, Stream, stored

ROLES = ("ingest", "recorder", "detector", "alerts")
SITE = """
version: "soak"
ingest:
  ais:
    - {{id: rx, transport: udp, host: 127.0.0.1, port: {ais}}}
  radar:
    - {{id: radar-1, transport: udp, host: 127.0.0.1, port: {radar}}}
store: {{flush_interval_s: 0.2}}
"""


def tll(index: int, when: datetime) -> bytes:
    """A radar target's position (TLL): 20 targets moving slowly east."""
    target = index % 20
    minutes = (index // 20) % 6000 / 1000
    body = (
        f"RATLL,{target + 1:02d},{5810 + target / 10:09.4f},N,{1130 + minutes:010.4f},E,"
        f"T{target},{when:%H%M%S}.00,T,"
    )
    checksum = reduce(lambda acc, ch: acc ^ ord(ch), body, 0)
    return f"${body}*{checksum:02X}\r\n".encode()


class RadarStream(threading.Thread):
    def __init__(self, port: int, rate: float) -> None:
        super().__init__(name="radar", daemon=True)
        self.port, self.rate, self.sent = port, rate, 0
        self.halt = threading.Event()

    def run(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            start = time.monotonic()
            while not self.halt.is_set():
                sock.sendto(tll(self.sent, datetime.now(UTC)), ("127.0.0.1", self.port))
                self.sent += 1
                time.sleep(max(0.0, start + self.sent / self.rate - time.monotonic()))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def slope_mb_per_h(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB), in MB per hour."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return cov / var * 3600 if var else 0.0


def _wait_started(dsn: str, timeout_s: float = 180.0) -> None:
    """Until the schema is there (the roles migrate on start), then a few seconds more for
    their connections."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            stored(dsn)
            break
        except psycopg.Error:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    time.sleep(10)


def _sample(
    roles: Roles, dsn: str, samples: dict[str, list[tuple[float, float]]], args: argparse.Namespace
) -> None:
    """RSS of every role each `sample_s`, printed as it is taken, for `minutes`."""
    started = time.monotonic()
    print(f"soak: {args.minutes} min, AIS {args.rate}/s + radar {args.rate / 4}/s, roles {ROLES}")
    print(f"{'min':>5} " + " ".join(f"{r + ' MB':>12}" for r in ROLES) + f" {'AIS stored':>11}")
    while True:
        elapsed = time.monotonic() - started
        for role in ROLES:
            samples[role].append((elapsed, rss_mb(roles.running[role].pid)))
        row = " ".join(f"{samples[r][-1][1]:12.1f}" for r in ROLES)
        print(f"{elapsed / 60:5.1f} {row} {stored(dsn)[0]:11d}", flush=True)
        if elapsed >= args.minutes * 60:
            return
        time.sleep(min(args.sample_s, args.minutes * 60 - elapsed + 0.01))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0, help="AIS lines/s (radar: 1/4)")
    parser.add_argument("--sample-s", type=float, default=60.0)
    args = parser.parse_args()
    server = os.environ.get("SHOREWATCH_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/")
    name = f"sw_soak_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = make_conninfo(server, dbname=name)
    work = Path(tempfile.mkdtemp(prefix="sw-soak-"))
    broker = Mosquitto()
    roles = Roles(work, dsn, broker.url, f"soak-{uuid.uuid4().hex[:8]}")
    roles.env["SHOREWATCH_DATA_DIR"] = str(work / "data")
    radar_port = free_port()
    roles.config.write_text(SITE.format(ais=roles.udp_port, radar=radar_port))
    ais = Stream(roles.udp_port, args.rate)
    radar = RadarStream(radar_port, args.rate / 4)
    samples: dict[str, list[tuple[float, float]]] = {role: [] for role in ROLES}
    streaming = False
    try:
        for role in ROLES:
            roles.start(role)
        _wait_started(dsn)
        ais.start()
        radar.start()
        streaming = True
        _sample(roles, dsn, samples, args)
    finally:
        sent = ais.stop() if streaming else 0
        radar.halt.set()
        time.sleep(5)
        try:
            rows = stored(dsn)[0]
        except psycopg.Error:
            rows = 0
        roles.close()
        broker.close()
        shutil.rmtree(work, ignore_errors=True)
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        "slope after the first sample (MB/h): "
        + ", ".join(f"{r} {slope_mb_per_h(samples[r][1:]):+.1f}" for r in ROLES)
    )
    print(f"AIS lines sent {sent}, stored {rows}; radar lines sent {radar.sent}")


if __name__ == "__main__":
    main()
