"""Event time through the running service (issue 15, defect 1): ingest and detector roles over
the real broker, AIS and radar over UDP. One AIS stamp years ahead is refused and counted and
does not stop the sweeps; on the simulator's scenario the live service raises exactly the
events that `shorewatch replay` raises from the same lines."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.cli import main
from app.composition import Service
from app.replay.output import event_line, final_states
from app.simulator import Channel, mixed_scenario, scenario_lines, write_recordings
from shorewatch.bus import Bus
from shorewatch.config.site import SiteConfig, load_config, parse_config
from shorewatch.events import Event, Message
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics
from tests.integration.test_replay import Compared, compared
from tests.nmea import position_report

DEMO_YAML = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"
AIS_SITE = """
version: live-time-1
ingest:
  ais:
    - {id: udp-test, transport: udp, host: 127.0.0.1, port: 0}
"""
Live = tuple[Service, list[Event]]
Start = Callable[[SiteConfig], Live]


@pytest.fixture
def start_live(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Start]:
    """Starts ingest and detector roles for a site, with a bus listener taking every event."""
    running: list[tuple[Service, Bus]] = []

    def start(site: SiteConfig) -> Live:
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
        listener = Bus(mqtt_url, "live-time-listener", topics, Metrics())
        listener.connect()
        listener.subscribe(topics.all_events, collect)
        time.sleep(0.3)  # let the subscription reach the broker
        service.start()
        running.append((service, listener))
        return service, seen

    yield start
    for service, listener in running:
        service.stop()
        listener.close()


def send(port: int, lines: list[str], pause_s: float = 0.001) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for line in lines:
            sock.sendto(line.encode("ascii") + b"\r\n", ("127.0.0.1", port))
            time.sleep(pause_s)  # a receiver's pace, not a burst that overruns the buffer


def wait_for(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.1)
    return check()


def test_a_stamp_years_ahead_is_refused_and_sweeps_go_on(start_live: Start) -> None:
    """A vessel reports for 5 minutes, the receiver sends one report stamped four years ahead,
    then only other vessels report for 30 minutes: the silent vessel's gap is raised."""
    service, seen = start_live(parse_config(AIS_SITE, "site.yaml", Path()))
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    lines = [
        position_report(265000010, 58.10 + 0.0005 * i, 11.20, t0 + timedelta(seconds=10 * i), 10, 0)
        for i in range(31)
    ]
    lines.append(position_report(265000011, 58.11, 11.20, t0.replace(year=t0.year + 4), 5, 0))
    lines += [
        position_report(
            265000020 + k % 3,
            58.05,
            11.2 + 0.01 * (k % 3),
            t0 + timedelta(seconds=300 + 10 * k),
            0,
            0,
        )
        for k in range(1, 190)
    ]
    send(service.udp_ports["udp-test"], lines)

    def gap_opened() -> bool:
        return any(
            e.kind.value == "ais_gap" and e.targets == ("ais:265000010",) and e.end is None
            for e in list(seen)
        )

    assert wait_for(gap_opened), sorted({(e.kind.value, e.targets) for e in seen})
    labels = {"source": "ais", "sensor": "udp-test", "reason": "ahead_of_receive"}
    refused = service.metrics.registry.get_sample_value("shorewatch_detector_refused_total", labels)
    assert refused == 1


TWO_RECEIVERS = """
version: live-time-2
ingest:
  ais:
    - {id: rx-a, transport: udp, host: 127.0.0.1, port: 0}
    - {id: rx-b, transport: udp, host: 127.0.0.1, port: 0}
"""


def test_a_silent_receiver_is_one_sensor_offline_not_a_gap_storm(start_live: Start) -> None:
    """Receiver `rx-a` hears 40 vessels, `rx-b` two others; `rx-a` is silent from minute 5 to
    minute 35 while `rx-b` keeps time moving, then hears its vessels again."""
    service, seen = start_live(parse_config(TWO_RECEIVERS, "site.yaml", Path()))
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    timed: list[tuple[datetime, str, str]] = []
    for k in range(0, 45 * 60, 10):
        at = t0 + timedelta(seconds=k)
        if not 300 <= k < 2100:
            for i in range(40):
                lat, lon = 58.10 + 0.004 * i, 11.20 + 0.00004 * k
                timed.append((at, "rx-a", position_report(265100000 + i, lat, lon, at, 8, 90)))
        for j in range(2):
            lon = 11.0 + 0.05 * j
            timed.append((at, "rx-b", position_report(265200000 + j, 57.9, lon, at, 0.0, 0)))
    timed.sort(key=lambda item: item[0])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, receiver, line in timed:
            sock.sendto(line.encode("ascii") + b"\r\n", ("127.0.0.1", service.udp_ports[receiver]))
            time.sleep(0.0005)

    def offline() -> list[Event]:
        return [e for e in list(seen) if e.kind.value == "sensor_offline"]

    assert wait_for(lambda: any(e.end is not None for e in offline()), 30.0), seen[-3:]
    time.sleep(1.0)  # anything late or extra would show now
    assert [e for e in seen if e.kind.value == "ais_gap"] == []
    opened, closing = offline()
    assert opened.id == closing.id
    assert opened.targets == ("sensor:rx-a",)
    assert opened.start == t0 + timedelta(seconds=290)
    assert closing.end == t0 + timedelta(seconds=2100)


def ephemeral(site: SiteConfig) -> SiteConfig:
    """The demo site on ports the system picks, as `shorewatch demo` runs it."""
    ais = [s.model_copy(update={"port": 0}) for s in site.ingest.ais]
    radar = [s.model_copy(update={"port": 0}) for s in site.ingest.radar]
    ingest = site.ingest.model_copy(update={"ais": ais, "radar": radar})
    return site.model_copy(update={"ingest": ingest})


def test_live_and_replay_agree_on_the_simulator_scenario(start_live: Start, tmp_path: Path) -> None:
    """AIS and radar lines of the mixed scenario sent over UDP in time order, against
    `shorewatch replay` of the same lines recorded: the same events, facts and times."""
    site = ephemeral(load_config(DEMO_YAML))
    # Fifteen minutes of scene ending now: the radar's time of day takes the receive date.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=960)
    scenario = mixed_scenario(start)
    duration_s = 900.0
    files = write_recordings(scenario, duration_s, tmp_path)
    out = tmp_path / "events.jsonl"
    argv = ["replay", "--config", str(DEMO_YAML), "--out", str(out), "--no-progress"]
    assert (
        main([*argv, "--ais", str(files[Channel.AIS]), "--radar", str(files[Channel.RADAR])]) == 0
    )
    expected = {compared(json.loads(line)) for line in out.read_text("utf-8").splitlines()}
    assert {k for k, *_ in expected} >= {"dark_target", "ais_gap", "encounter", "zone_entry"}

    service, seen = start_live(site)
    ports = {
        Channel.AIS: service.udp_ports[site.ingest.ais[0].id],
        Channel.RADAR: service.udp_ports[site.ingest.radar[0].id],
    }
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for line in scenario_lines(scenario, duration_s):
            sock.sendto(line.text.encode("ascii") + b"\r\n", ("127.0.0.1", ports[line.channel]))
            time.sleep(0.002)

    def live_set() -> set[Compared]:
        return {compared(json.loads(event_line(e))) for e in final_states(list(seen))}

    wait_for(lambda: live_set() >= expected, 30.0)
    time.sleep(1.0)  # anything late or extra would show now
    assert live_set() - expected == set()
    assert expected - live_set() == set()
