"""NMEA over the network: a UDP listener and a TCP feed client that reconnects.

Each runs on its own thread and hands raw input to a receiver: a datagram at a time from UDP,
and from TCP the complete lines of each read together (a receiver then reads its clock and takes
its lock once per read, not once per line); a bad sender or a dropped feed affects only its own
input.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)
Sink = Callable[[bytes], object]
LinesSink = Callable[[list[bytes]], object]


class UdpListener:
    def __init__(self, host: str, port: int, sink: Sink, *, max_datagram_bytes: int) -> None:
        self._sink = sink
        self._max = max_datagram_bytes
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self._sock.bind((host, port))
        self._sock.settimeout(0.5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"udp-{port}", daemon=True)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                # One byte more than allowed, so that an oversized datagram is seen as such.
                data = self._sock.recv(self._max + 1)
            except TimeoutError:
                continue
            except OSError as exc:
                if not self._stop.is_set():
                    log.error("udp receive failed", error=str(exc))
                continue
            try:
                self._sink(data)
            except Exception:
                log.exception("udp payload handling failed")


class TcpFeedClient:
    """Client of a TCP NMEA feed (AIS-catcher, a base station, AISHub-style relays)."""

    def __init__(
        self, host: str, port: int, sink: LinesSink, *, reconnect_max_s: float = 30.0
    ) -> None:
        self._addr = (host, port)
        self._sink = sink
        self._reconnect_max = reconnect_max_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"tcp-{host}:{port}", daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with socket.create_connection(self._addr, timeout=5) as conn:
                    conn.settimeout(0.5)
                    self.connected.set()
                    delay = 0.5
                    log.info("tcp feed connected", addr=self._addr)
                    self._read(conn)
            except OSError as exc:
                log.warning(
                    "tcp feed unavailable; retrying",
                    addr=self._addr,
                    error=str(exc),
                    retry_in_s=delay,
                )
            self.connected.clear()
            self._stop.wait(delay)
            delay = min(delay * 2, self._reconnect_max)

    def _read(self, conn: socket.socket) -> None:
        pending = b""
        while not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                log.warning("tcp feed closed by peer", addr=self._addr)
                break
            pending += chunk
            complete, _, pending = pending.rpartition(b"\n")
            lines = [line for line in complete.splitlines() if line]  # a stream has no datagrams
            if lines:
                self._sink(lines)
            if len(pending) > 65536:  # no newline in 64 KiB: garbage, hand it on to be counted
                self._sink([pending])
                pending = b""
