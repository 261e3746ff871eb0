"""`shorewatch replay`: deterministic output, the expected events on synthetic data, the same
events as the live service on the same lines, and the optional store."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from app.cli import main
from app.composition import Service
from app.replay.output import event_line, final_states
from shorewatch.bus import Bus
from shorewatch.config.site import SiteConfig, parse_config
from shorewatch.events import Event, Message
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics
from tests.nmea import position_report

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MMSI = 265123456
SITE_YAML = """
version: "replay-test-1"
ingest:
  ais:
    - {id: udp-test, transport: udp, host: 127.0.0.1, port: 0}
zones:
  - id: restricted-a
    name: Restricted A
    kind: restricted
    polygon: [[11.40, 58.24], [11.44, 58.24], [11.44, 58.26], [11.40, 58.26], [11.40, 58.24]]
    points: 30
"""
Compared = tuple[str, str, str | None, tuple[str, ...], str]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE_YAML, encoding="utf-8")
    return path


def crossing() -> list[str]:
    """One vessel north through the zone at ~22 kn: in at 12:01:30, out beyond the buffer at
    12:05:00 (58.263, 333 m past the northern edge)."""
    return [
        position_report(MMSI, 58.233 + 0.003 * i, 11.42, T0 + timedelta(seconds=30 * i), 21.6, 0)
        for i in range(11)
    ]


def traffic() -> list[str]:
    """Three vessels, one report each every 10 s for 6 minutes: a zone crossing, a 35 kn run
    outside it and a transponder with an invalid MMSI, interleaved as a receiver hears them."""
    lines = []
    for k in range(36):
        at = T0 + timedelta(seconds=10 * k)
        lines.append(position_report(MMSI, 58.230 + 0.0011 * k, 11.42, at, 24.0, 0))
        lines.append(position_report(265000777, 58.20, 11.30 + 0.0034 * k, at, 35.0, 90))
        lines.append(position_report(12345, 58.21, 11.35, at, 0.0, 0))
    return lines


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\r\n" for line in lines), encoding="ascii")
    return path


def replay(config: Path, ais: Path, out: Path, *extra: str) -> int:
    return main(["replay", "--config", str(config), "--ais", str(ais), "--out", str(out), *extra])


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def compared(record: dict[str, object]) -> Compared:
    targets = record["targets"]
    assert isinstance(targets, list)
    end = record["end"]
    return (
        str(record["kind"]),
        str(record["start"]),
        None if end is None else str(end),
        tuple(str(t) for t in targets),
        json.dumps(record["facts"], sort_keys=True),
    )


def test_zone_crossing_gives_the_expected_event_line(config_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    assert replay(config_file, write(tmp_path / "ais.nmea", crossing()), out) == 0
    text = out.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if '"kind":"zone_entry"' in line]
    assert len(lines) == 1
    assert lines[0].startswith(
        '{"kind":"zone_entry","start":"2026-11-20T12:01:30Z","end":"2026-11-20T12:05:00Z",'
        '"targets":["ais:265123456"],"lat":'
    )
    event = json.loads(lines[0])
    assert event["lat"] == pytest.approx(58.242)
    assert event["lon"] == pytest.approx(11.42)
    assert event["zone"] == "restricted-a"
    assert event["config_version"] == "replay-test-1"
    facts = event["facts"]
    assert facts["zone_name"] == "Restricted A"
    assert facts["duration_s"] == 210.0
    assert list(facts) == sorted(facts)


def test_recorder_prefixes_give_the_same_events_as_tag_blocks(
    config_file: Path, tmp_path: Path
) -> None:
    """The same sentences without tag blocks, each behind its ISO 8601 or Unix receive time."""
    tagged = crossing()
    prefixed = []
    for i, line in enumerate(tagged):
        at, sentence = T0 + timedelta(seconds=30 * i), line.split("\\")[-1]
        stamp = at.isoformat().replace("+00:00", "Z") if i % 2 else f"{at.timestamp():.0f}"
        prefixed.append(f"{stamp}{' ' if i % 3 else chr(9)}{sentence}")
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert replay(config_file, write(tmp_path / "tagged.nmea", tagged), a) == 0
    assert replay(config_file, write(tmp_path / "prefixed.log", prefixed), b) == 0
    assert a.read_bytes() == b.read_bytes()


def test_replaying_real_captures_twice_is_byte_identical(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """AIS with $PGHP times and the Navico radar log (RMC/ZDA clock), default configuration."""
    ais = shared_data / "ais" / "dma_aislib_stream_example_pghp.nmea"
    radar = shared_data / "radar" / "navico_broadband4g_RadarLogs_2015-07-27.nmea"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    argv = ["replay", "--ais", str(ais), "--radar", str(radar), "--out"]
    assert main([*argv, str(first)]) == 0
    summary = capsys.readouterr().err
    # Again in another process with another hash seed: no set or dict order may leak out.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    command = [sys.executable, "-m", "app.cli", *argv, str(second)]
    subprocess.run(command, check=True, env=env, capture_output=True, timeout=120)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().count(b"\n") >= 1, "the radar log has targets the detectors report"
    assert "8,551 lines" in summary  # every line accounted for, per input
    assert "not used: unsupported_type" in summary


@pytest.fixture
def live(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[tuple[Service, list[Event]]]:
    """Ingest and detector roles over the real broker, with a bus subscriber taking events."""
    site: SiteConfig = parse_config(SITE_YAML, "site.yaml", Path())
    service = Service(
        site, dsn=dsn, mqtt_url=mqtt_url, roles=("ingest", "detector"), topic_root=topic_root
    )
    seen: list[Event] = []
    lock = threading.Lock()

    def collect(message: Message) -> None:
        if isinstance(message, Event):
            with lock:
                seen.append(message)

    topics = Topics(topic_root)
    listener = Bus(mqtt_url, "replay-test-listener", topics, Metrics())
    listener.connect()
    listener.subscribe(topics.all_events, collect)
    time.sleep(0.3)  # let the subscription reach the broker
    service.start()
    try:
        yield service, seen
    finally:
        service.stop()
        listener.close()


def test_live_and_replay_raise_the_same_events(
    live: tuple[Service, list[Event]], config_file: Path, tmp_path: Path
) -> None:
    service, seen = live
    lines = traffic()
    port = service.udp_ports["udp-test"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for line in lines:
            sock.sendto(line.encode() + b"\r\n", ("127.0.0.1", port))
            time.sleep(0.001)  # a receiver's pace, not a burst that overruns the socket buffer
    out = tmp_path / "events.jsonl"
    assert replay(config_file, write(tmp_path / "traffic.nmea", lines), out) == 0
    expected = {compared(r) for r in records(out)}
    assert {k for k, *_ in expected} >= {"zone_entry", "high_speed", "spoofing"}

    def live_set() -> set[Compared]:
        return {compared(json.loads(event_line(e))) for e in final_states(list(seen))}

    deadline = time.monotonic() + 20
    while live_set() != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # anything late or extra would show now
    assert live_set() == expected


def test_db_stores_observations_and_events_idempotently(
    config_file: Path, tmp_path: Path, dsn: str
) -> None:
    ais = write(tmp_path / "ais.nmea", crossing())
    for _ in range(2):
        assert replay(config_file, ais, tmp_path / "events.jsonl", "--db", dsn) == 0
    with psycopg.connect(dsn) as conn:
        observations = conn.execute("SELECT count(*) FROM observations").fetchone()
        rows = conn.execute('SELECT kind, start, "end" FROM events').fetchall()
    assert observations == (11,)
    stored = [r for r in rows if r[0] == "zone_entry"]
    assert stored == [
        ("zone_entry", T0 + timedelta(seconds=90), T0 + timedelta(seconds=300)),
    ]
    assert len(rows) == len(records(tmp_path / "events.jsonl"))


def test_unreadable_input_and_bad_config_fail_clearly(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.nmea"
    assert replay(config_file, missing, tmp_path / "out.jsonl") == 1
    assert f"{missing}: cannot read" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()

    bad = tmp_path / "bad.yaml"
    bad.write_text(SITE_YAML + "thresholds: {zone_entry: {exit_bufer_m: 5}}\n", encoding="utf-8")
    assert replay(bad, write(tmp_path / "ais.nmea", crossing()), tmp_path / "o.jsonl") == 2
    assert "exit_bufer_m" in capsys.readouterr().err

    assert main(["replay", "--config", str(config_file), "--out", "x.jsonl"]) == 2
    assert "at least one --ais or --radar" in capsys.readouterr().err


def test_bad_lines_are_counted_by_reason_not_fatal(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        *crossing(),
        "2026-02-30T12:00:00Z !AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*5C",
        "!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*00",
        "$GPGSA,A,3,11,32,14,28,22,03,10,08,17,,,,2.02,1.03,1.74*00",
    ]
    out = tmp_path / "events.jsonl"
    assert replay(config_file, write(tmp_path / "ais.nmea", lines), out) == 0
    err = capsys.readouterr().err
    assert "14 lines, 11 used; not used:" in err
    for reason in ("bad_timestamp 1", "checksum 1", "not_ais 1"):
        assert reason in err
