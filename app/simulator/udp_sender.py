"""Plays a scenario to UDP ports in scaled real time, one NMEA line per datagram.

That is how networked AIS receivers and radars forward their feeds, so the demo exercises the
same UDP ingest path as production: AIS to `port`, radar (when the scenario has one and a
`radar_port` is given) to its own. Only this module reads a clock, and the clock is injectable.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from app.simulator.lines import Channel, lines_between
from app.simulator.model import Scenario
from shorewatch.logs import RateLimitedLog


class UdpSender:
    """Maps sim t=0 (the scenario start) to the moment `run` begins; `sent` counts datagrams.

    Radar lines are sent only with a `radar_port`; without one the AIS feed is all there is.
    """

    def __init__(
        self,
        scenario: Scenario,
        host: str,
        port: int,
        *,
        speedup: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        step_s: float = 0.2,
        radar_port: int | None = None,
    ) -> None:
        if not (speedup > 0.0 and step_s > 0.0):
            raise ValueError("speedup and step_s must be positive")
        self.scenario = scenario
        self.host = host
        self.port = port
        self.radar_port = radar_port
        self.speedup = speedup
        self.sent = 0
        self.failed = 0
        self._clock = clock
        self._step_s = step_s
        self._log = RateLimitedLog("app.simulator")

    def run(self, stop: threading.Event, start_sim_s: float = 0.0) -> None:
        """Send every line as it falls due until `stop` is set; sim time start_sim_s is now.

        Lines due at exactly start_sim_s are sent too. A send error is counted and logged, not
        raised: the simulator must not die silently in its thread over one lost datagram.
        """
        family, kind, proto, _, address = socket.getaddrinfo(
            self.host, self.port, type=socket.SOCK_DGRAM
        )[0]
        addresses = {Channel.AIS: address}
        if self.radar_port is not None:
            addresses[Channel.RADAR] = socket.getaddrinfo(
                self.host, self.radar_port, family=family, type=socket.SOCK_DGRAM
            )[0][4]
        with socket.socket(family, kind, proto) as sock:
            wall0 = self._clock()
            done = math.nextafter(start_sim_s, -math.inf)  # (done, now] then includes the start
            while not stop.is_set():
                now = start_sim_s + (self._clock() - wall0) * self.speedup
                for line in lines_between(self.scenario, done, now):
                    target = addresses.get(line.channel)
                    if target is not None:
                        self._send(sock, target, line.text)
                done = max(done, now)
                stop.wait(self._step_s)

    def _send(self, sock: socket.socket, address: tuple[Any, ...], line: str) -> None:
        try:
            sock.sendto(line.encode("ascii") + b"\r\n", address)
        except OSError as exc:
            self.failed += 1
            self._log.warning(
                "send_failed",
                "simulator datagram not sent",
                error=str(exc),
                target=f"{address[0]}:{address[1]}",
            )
        else:
            self.sent += 1
