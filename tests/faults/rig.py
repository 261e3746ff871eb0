"""The pieces of a fault run: a broker and a PostgreSQL cluster of the test's own (so that they
can be killed without touching the machine's shared servers), ShoreWatch roles started as the
README says (`shorewatch run --role ...` processes), and a steady stream of uniquely
time-stamped AIS position reports over UDP."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from app.embedded import free_port, wait_for_port
from app.simulator.scenario import tag_block
from tests.nmea import position_report

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SHOREWATCH = Path(sys.executable).parent / "shorewatch"


class Mosquitto:
    """Our own broker with on-disk persistence, on a free port: kill -9 and start again.

    Its folder is not under pytest's tmp_path (0700, root's): mosquitto started as root runs as
    `mosquitto`, and a folder it cannot reach means no persistence at all — every session and
    queued message would silently die with the broker."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sw-fault-mq-"))
        self.dir.chmod(0o755)
        if os.geteuid() == 0:  # mosquitto started as root runs as `mosquitto`: let it save
            shutil.chown(self.dir, "mosquitto")
        (self.dir / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {self.dir}/\nautosave_interval 1\n"
            "autosave_on_changes false\nmax_queued_messages 0\nmax_inflight_messages 0\n"
            "set_tcp_nodelay true\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen(
            [binary, "-c", str(self.dir / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port(self.port, 10):
            raise RuntimeError("test broker did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def saved(self) -> bool:
        """Whether the broker has written its persistence file yet."""
        return (self.dir / "mosquitto.db").exists()

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Cluster:
    """A PostgreSQL 15 cluster of our own (initdb in a temp dir), to stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        # Not under pytest's tmp_path: the `postgres` user must be able to reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="sw-fault-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._as_postgres(
            PG_BIN / "initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres"
        )
        self.start()
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE shorewatch")

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/shorewatch"

    def _as_postgres(self, *argv: str | Path) -> None:
        command = [str(a) for a in argv]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def start(self) -> None:
        self._as_postgres(
            PG_BIN / "pg_ctl",
            "-D",
            self.dir / "data",
            "-l",
            self.dir / "log",
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "start",
        )

    def stop(self) -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.dir / "data", "-m", "immediate", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


SITE_YAML = """
version: "fault-suite"
ingest:
  ais:
    - {{id: rx, transport: udp, host: 127.0.0.1, port: {port}}}
store: {{flush_interval_s: 0.2}}
"""


class Roles:
    """`shorewatch run --role X` processes sharing one site file, broker and database."""

    def __init__(self, workdir: Path, dsn: str, mqtt_url: str, topic_root: str) -> None:
        self.udp_port = free_port()
        self.config = workdir / "site.yaml"
        self.config.write_text(SITE_YAML.format(port=self.udp_port), encoding="utf-8")
        self.logs = workdir
        self.env = {
            **os.environ,
            "SHOREWATCH_DATABASE_URL": dsn,
            "SHOREWATCH_MQTT_URL": mqtt_url,
            "SHOREWATCH_TOPIC_ROOT": topic_root,
            "SHOREWATCH_LOG_LEVEL": "WARNING",
            "SHOREWATCH_DATA_DIR": str(workdir / "data"),  # spools beside the logs
        }
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, role: str, instance: str | None = None) -> None:
        name = instance or role
        env = {**self.env, "SHOREWATCH_CLIENT_ID": f"fault-{name}"}
        with (self.logs / f"{name}.log").open("ab") as log:
            self.running[name] = subprocess.Popen(
                [str(SHOREWATCH), "--config", str(self.config), "run", "--role", role],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def close(self) -> None:
        for name in list(self.running):
            process = self.running.pop(name)
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


class Stream:
    """AIS position reports at a steady rate over UDP, each with its own tag-block time
    (milliseconds): every line is one observation with a natural key of its own."""

    def __init__(self, port: int, rate_per_s: float) -> None:
        self._port = port
        self._interval = 1.0 / rate_per_s
        self._base = datetime.now(UTC) - timedelta(minutes=30)
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def lines(self) -> Iterator[bytes]:
        i = 0
        while True:
            when = self._base + timedelta(milliseconds=10 * i)
            sentence = position_report(211_000_000 + i % 50, 58.2, 11.3, when)
            yield (tag_block(int(when.timestamp() * 1000)) + sentence.split("\\", 2)[2]).encode()
            i += 1

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            next_at = time.monotonic()
            for line in self.lines():
                if self._stop.is_set():
                    return
                sock.sendto(line + b"\r\n", ("127.0.0.1", self._port))
                self.sent += 1
                next_at += self._interval
                time.sleep(max(0.0, next_at - time.monotonic()))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(5)
        return self.sent


def stored(dsn: str) -> tuple[int, int]:
    """(rows, distinct natural keys) of the stream's observations."""
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT (source, sensor_id, target_ref, time)) "
            "FROM observations WHERE sensor_id = 'rx'"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def gaps(dsn: str, sent: int) -> list[tuple[int, int]]:
    """Runs of missing line numbers (from each row's time: line i is 10 ms after line 0)."""
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        times = [
            r[0]
            for r in conn.execute(
                "SELECT time FROM observations WHERE sensor_id = 'rx' ORDER BY time"
            )
        ]
    if not times:
        return [(0, sent - 1)]
    have = {round((t - times[0]).total_seconds() * 100) for t in times}
    runs: list[tuple[int, int]] = []
    for i in range(sent):
        if i not in have:
            if runs and runs[-1][1] == i - 1:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
    return runs
