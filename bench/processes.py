"""Real processes for fault tests and the soak: a Mosquitto of our own (persistence in a temp
dir, on a free port, so a `kill -9` never touches a shared broker), ShoreWatch roles started
as the README says (`shorewatch --config site.yaml run --role ROLE`), and steady sensor
streams over UDP with a unique time stamp per observation."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from functools import reduce
from pathlib import Path

from pyais import encode_dict

REPO = Path(__file__).resolve().parents[1]
_CLI = (sys.executable, "-m", "app.cli")  # the installed `shorewatch` console script's module
BASE_MS = 1_900_000_000_000  # 2030: time stamps no real capture in the store can share


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _checksum(body: str) -> str:
    return f"{reduce(lambda acc, ch: acc ^ ord(ch), body, 0):02X}"


class Mosquitto:
    """Persistence saved on every change: a `kill -9` loses nothing it acknowledged (Mosquitto
    2.0 has no write-through store; this is its closest setting)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.dir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {workdir}/\n"
            "autosave_on_changes true\n"
            "autosave_interval 1\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 100\n"
            f"log_dest file {workdir}/mosquitto.log\n"
            + ("user root\n" if os.geteuid() == 0 else "")  # or it drops to `mosquitto`
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Role:
    """One `shorewatch run --role ROLE` process."""

    def __init__(
        self, role: str, config: Path, *, dsn: str, mqtt_url: str, topic_root: str, data_dir: Path
    ) -> None:
        self.role = role
        self.config = config
        self.log_path = data_dir / f"{role}.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SHOREWATCH_")}
        self.env.update(
            SHOREWATCH_DATABASE_URL=dsn,
            SHOREWATCH_MQTT_URL=mqtt_url,
            SHOREWATCH_TOPIC_ROOT=topic_root,
            SHOREWATCH_DATA_DIR=str(data_dir),
            SHOREWATCH_LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*_CLI, "--config", str(self.config), "run", "--role", self.role],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_mb(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


def ais_line(ms: int, mmsi: int) -> bytes:
    """A position report whose tag-block time `c:` (milliseconds) is its unique stamp."""
    (sentence,) = encode_dict(
        {"msg_type": 1, "mmsi": mmsi, "lat": 58.2, "lon": 11.4, "speed": 8.0, "course": 90.0},
        talker_id="AI",
        sentence_type="VDM",
        radio_channel="A",
    )
    body = f"c:{ms}"
    return f"\\{body}*{_checksum(body)}\\{sentence}".encode()


def radar_line(index: int, when: datetime) -> bytes:
    body = (
        f"RATLL,{index % 99 + 1:02d},5812.{index % 10000:04d},N,01130.0000,E,T{index % 99},"
        f"{when:%H%M%S}.{when.microsecond // 10000:02d},T,"
    )
    return f"${body}*{_checksum(body)}".encode()


class Stream(threading.Thread):
    """AIS (and optionally radar) lines over UDP at a steady rate; every AIS line's time
    stamp is unique (BASE_MS + its index), so stored rows can be counted exactly."""

    def __init__(self, ais_port: int, rate: float, *, radar_port: int | None = None) -> None:
        super().__init__(name="stream", daemon=True)
        self.ais_port = ais_port
        self.radar_port = radar_port
        self.rate = rate
        self.sent: list[tuple[float, int]] = []  # (monotonic send time, stamp ms)
        self.radar_sent = 0
        self._halt = threading.Event()

    def run(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        start = time.monotonic()
        i = 0
        while not self._halt.is_set():
            due = start + i / self.rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            ms = BASE_MS + i
            sock.sendto(ais_line(ms, 244_000_000 + i % 500), ("127.0.0.1", self.ais_port))
            self.sent.append((time.monotonic(), ms))
            if self.radar_port is not None and i % 4 == 0:
                line = radar_line(i // 4, datetime.now(UTC))
                sock.sendto(line, ("127.0.0.1", self.radar_port))
                self.radar_sent += 1
            i += 1
        sock.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def write_site(path: Path, ais_port: int, radar_port: int | None = None) -> Path:
    radar = (
        f"  radar:\n    - {{id: radar-1, transport: udp, host: 127.0.0.1, port: {radar_port}}}\n"
        if radar_port
        else ""
    )
    path.write_text(
        'version: "fault-1"\n'
        "ingest:\n"
        f"  ais:\n    - {{id: ais-1, transport: udp, host: 127.0.0.1, port: {ais_port}}}\n"
        + radar
        + "bus: {session_expiry_s: 3600}\n"
    )
    return path
