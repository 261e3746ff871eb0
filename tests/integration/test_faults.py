"""Fault suite, ingest side (issue 12): real `shorewatch run --role` processes, a Mosquitto of
our own with persistence (killed with -9, never the shared one), PostgreSQL, and a steady UDP
stream of AIS lines with unique time stamps. Whatever ingest accepted is stored exactly once."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from bench.processes import BASE_MS, Mosquitto, Role, Stream, ais_line, free_port, write_site
from tests.waiting import wait_for

RATE = 200.0  # AIS lines per second


@dataclass
class Rig:
    broker: Mosquitto
    ingest: Role
    recorder: Role
    dsn: str
    ais_port: int

    def stored(self) -> list[int]:
        with psycopg.connect(self.dsn) as conn:
            rows = conn.execute(
                "SELECT (extract(epoch FROM time) * 1000)::bigint FROM observations"
                " WHERE source = 'ais' AND time >= to_timestamp(%s / 1000.0)",
                (BASE_MS,),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def warm_up(self) -> None:
        """Until a probe line is stored: the recorder's session and subscription exist (what
        is published before a consumer ever subscribed is nobody's to keep)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:

            def probe() -> bool:
                sock.sendto(ais_line(BASE_MS - 60_000, 244_999_999), ("127.0.0.1", self.ais_port))
                with psycopg.connect(self.dsn) as conn:
                    row = conn.execute("SELECT count(*) FROM observations").fetchone()
                return bool(row and row[0])

            wait_for(probe, timeout_s=60)

    def start_ingest(self) -> None:
        self.ingest.start()
        wait_for(lambda: udp_bound(self.ais_port), timeout_s=60)


def udp_bound(port: int) -> bool:
    """Someone listens on UDP `port` (read from the kernel's table)."""
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        local = line.split()[1]
        if int(local.split(":")[1], 16) == port:
            return True
    return False


@pytest.fixture
def rig(tmp_path: Path, dsn: str, topic_root: str) -> Iterator[Rig]:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    ais_port = free_port(socket.SOCK_DGRAM)
    site = write_site(tmp_path / "site.yaml", ais_port)
    roles = {
        name: Role(
            name,
            site,
            dsn=dsn,
            mqtt_url=broker.url,
            topic_root=topic_root,
            data_dir=tmp_path / f"data-{name}",
        )
        for name in ("recorder", "ingest")
    }
    for role in roles.values():
        role.log_path.parent.mkdir(parents=True, exist_ok=True)
    rig = Rig(broker, roles["ingest"], roles["recorder"], dsn, ais_port)
    try:
        rig.recorder.start()
        rig.start_ingest()
        rig.warm_up()
        yield rig
    finally:
        for role in roles.values():
            role.stop()
        broker.stop()


def settle(rig: Rig, expected: set[int], timeout_s: float = 90.0) -> list[int]:
    """Wait until every expected stamp is stored (or the time is up); the rows stored."""
    with contextlib.suppress(AssertionError):
        wait_for(lambda: expected <= set(rig.stored()), timeout_s=timeout_s)
    return rig.stored()


def test_broker_kill9_restarted_after_5s_loses_nothing(rig: Rig) -> None:
    stream = Stream(rig.ais_port, RATE)
    stream.start()
    time.sleep(4)
    rig.broker.kill9()
    time.sleep(5)
    rig.broker.start()
    time.sleep(4)
    stream.stop()
    sent = {ms for _, ms in stream.sent}

    stored = settle(rig, sent)
    assert len(stored) == len(set(stored))  # exactly once
    missing = sent - set(stored)
    assert not missing, f"{len(missing)} of {len(sent)} accepted observations lost"


def test_ingest_kill9_while_broker_down_keeps_what_it_accepted(rig: Rig) -> None:
    """The hard case for ingest: the broker is away, so what ingest accepted lives only in
    ingest; a `kill -9` then must not lose it (the spool is what holds it)."""
    stream = Stream(rig.ais_port, RATE)
    stream.start()
    time.sleep(3)
    rig.broker.kill9()
    time.sleep(3)
    killed_at = time.monotonic()
    rig.ingest.kill9()
    time.sleep(1)
    rig.start_ingest()
    ready_at = time.monotonic()
    rig.broker.start()
    time.sleep(3)
    stream.stop()

    # Accepted: sent while ingest was up, less the last moments before the kill (a datagram
    # in the socket buffer or a batch lingering its 5 ms was not accepted yet).
    accepted = {ms for at, ms in stream.sent if at < killed_at - 0.2 or at > ready_at}
    stored = settle(rig, accepted)
    assert len(stored) == len(set(stored))  # exactly once
    missing = accepted - set(stored)
    assert not missing, f"{len(missing)} of {len(accepted)} accepted observations lost"
    window = {ms for at, ms in stream.sent if killed_at - 0.2 <= at <= ready_at}
    assert set(stored) - accepted <= window  # nothing stored that was never sent


def test_ingest_kill9_with_broker_up_keeps_what_it_accepted(rig: Rig) -> None:
    stream = Stream(rig.ais_port, RATE)
    stream.start()
    time.sleep(4)
    killed_at = time.monotonic()
    rig.ingest.kill9()
    time.sleep(1)
    rig.start_ingest()
    ready_at = time.monotonic()
    time.sleep(3)
    stream.stop()

    accepted = {ms for at, ms in stream.sent if at < killed_at - 0.2 or at > ready_at}
    stored = settle(rig, accepted)
    assert len(stored) == len(set(stored))
    missing = accepted - set(stored)
    assert not missing, f"{len(missing)} of {len(accepted)} accepted observations lost"
