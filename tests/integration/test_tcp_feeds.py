"""AIS and radar as a client of real TCP feeds: bulk lines arrive whole, and a feed that drops
and comes back is reconnected to without restarting ShoreWatch."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.composition import Service
from shorewatch.config.site import parse_config
from tests.nmea import position_report

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


class Feed:
    """A one-client TCP NMEA server, like an AIS-catcher or a radar's NMEA port."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.client: socket.socket | None = None
        self._accepted = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        conn, _ = self.server.accept()
        self.client = conn
        self._accepted.set()

    def send(self, lines: list[str]) -> None:
        assert self._accepted.wait(15), "ShoreWatch never connected to the feed"
        assert self.client is not None
        self.client.sendall("".join(f"{line}\r\n" for line in lines).encode())

    def drop(self) -> None:
        if self.client is not None:
            self.client.close()
        self.server.close()


def count(svc: Service, sql: str) -> int:
    with svc.pool.connection() as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def wait(predicate: Callable[[], bool], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def feeds() -> Iterator[tuple[Feed, Feed]]:
    ais, radar = Feed(), Feed()
    yield ais, radar
    ais.drop()
    radar.drop()


def test_tcp_feeds_deliver_bulk_and_survive_a_reconnect(
    feeds: tuple[Feed, Feed], dsn: str, mqtt_url: str, topic_root: str
) -> None:
    ais, radar = feeds
    site = parse_config(
        f"""
version: tcp-test
ingest:
  ais: [{{id: ais-tcp, transport: tcp, host: 127.0.0.1, port: {ais.port}, reconnect_max_s: 1}}]
  radar:
    - {{id: radar-tcp, transport: tcp, host: 127.0.0.1, port: {radar.port}, reconnect_max_s: 1,
        site: {{lat: 58.20, lon: 11.40, heading_deg: 0}}}}
store: {{flush_interval_s: 0.1}}
""",
        "t.yaml",
        Path(),
    )
    svc = Service(
        site, dsn=dsn, mqtt_url=mqtt_url, roles=("ingest", "recorder"), topic_root=topic_root
    )
    svc.start()
    try:
        # 500 reports in one write: far more than one datagram's worth, all must be kept.
        bulk = [
            position_report(265000000 + i, 58.1, 11.3, T0 + timedelta(seconds=i))
            for i in range(500)
        ]
        ais.send(bulk)
        radar.send(["$RATLL,07,5812.000,N,01124.000,E,TARGET7,120000.00,T,*00"])
        wait(lambda: count(svc, "SELECT count(*) FROM observations WHERE source = 'ais'") == 500)
        wait(lambda: count(svc, "SELECT count(*) FROM observations WHERE source = 'radar'") == 1)

        port = ais.port
        ais.drop()  # the provider restarts
        again = Feed.__new__(Feed)
        again.server = socket.create_server(("127.0.0.1", port))
        again.port, again.client, again._accepted = port, None, threading.Event()
        threading.Thread(target=again._accept, daemon=True).start()
        again.send([position_report(266000001, 58.2, 11.3, T0 + timedelta(minutes=30))])
        wait(lambda: count(svc, "SELECT count(*) FROM observations WHERE source = 'ais'") == 501)
        again.drop()
    finally:
        svc.stop()
    assert svc.receivers["ais-tcp"].stats.get("oversized_payload", 0) == 0
