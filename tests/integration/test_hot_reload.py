"""Issue 13, item 6 (acceptance 5): thresholds, zones and version reload without a restart —
the next event uses the new threshold; a broken file is refused with a clear log line and
nothing changes. On the detector worker the service runs, with a real file and a real SIGHUP."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from structlog.testing import capture_logs

from app.cli import start_hot_reload
from app.composition import Service
from app.reload import ConfigReloader, Outcome, detector_applier
from detectors.watchlist import WatchEntry, WatchList
from detectors.watchlist_sync import WatchlistSync
from shorewatch.bus import Bus
from shorewatch.config.site import SiteConfig, StoreConfig, load_config
from shorewatch.events import Event, VesselStatic
from shorewatch.metrics import Metrics
from shorewatch.store.db import open_pool
from shorewatch.store.migrations import migrate
from shorewatch.topics import Topics
from tests.detection import T0, Harness, run_straight
from tests.nmea import position_report
from tests.waiting import wait_for

SITE = """
version: "{version}"
zones:
  - id: box
    name: Watched box
    kind: restricted
    polygon: [[11.00, 58.00], [11.01, 58.00], [11.01, 58.01], [11.00, 58.01], [11.00, 58.00]]
thresholds:
  high_speed: {{min_speed_kn: {speed}, release_speed_kn: 25, max_length_m: 25, min_reports: 2}}
"""


def send_sighup() -> None:
    """SIGHUP to this process as `kill -HUP` from outside delivers it: to some thread, here a
    short-lived one, whose stack takes the C-level handler (Python then runs ours on the main
    thread). Sent to pytest's main thread itself, the kernel could not write the signal frame
    on that thread's alternate signal stack (pytest's faulthandler sets one) after earlier tests
    had run in the process: SIGSEGV at delivery (si_code SI_KERNEL), seen in two full runs."""
    ready, done = threading.Event(), threading.Event()

    def target() -> None:
        ready.set()
        done.wait(5)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    ready.wait(5)
    assert thread.ident is not None
    signal.pthread_kill(thread.ident, signal.SIGHUP)
    done.set()
    thread.join(5)


def write(path: Path, version: str, speed: float) -> None:
    path.write_text(SITE.format(version=version, speed=speed), encoding="utf-8")


class Running:
    """The detector role's worker plus the reloader wired as `shorewatch run` wires them."""

    def __init__(self, path: Path) -> None:
        site = load_config(path)
        self.harness = Harness(site=site)
        self.reloader = ConfigReloader(path, site, self.apply, interval_s=0.2)
        self._boats = 0
        self._clock = T0

    def apply(self, site: SiteConfig) -> None:
        detector_applier(self.harness.worker, None)(site)

    def boat(self, sog: float) -> list[Event]:
        """A new vessel running at `sog` for a minute; the high-speed events it raises."""
        self._boats += 1
        self._clock += timedelta(minutes=5)
        reports = run_straight(265700000 + self._boats, self._clock, 58.2, 11.2, sog=sog, cog=0,
                               every_s=5, count=12)  # fmt: skip
        return [e for e in self.harness.feed(reports) if e.kind.value == "high_speed"]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    path = tmp_path / "site.yaml"
    write(path, "v1", 30)
    service = Running(path)
    yield service
    service.reloader.stop()


def test_a_changed_threshold_is_used_by_the_next_event(running: Running) -> None:
    (event,) = running.boat(40.0)
    assert event.config_version == "v1"
    write(running.reloader.path, "v2", 50)
    assert running.reloader.check() is Outcome.APPLIED
    assert running.boat(40.0) == []  # 40 kn is no longer high speed
    (event,) = running.boat(55.0)
    assert event.config_version == "v2"
    assert running.reloader.check() is Outcome.UNCHANGED


@pytest.mark.parametrize(
    "broken",
    [
        "version: v3\nthresholds: {high_speed: {min_speed_kn: -5}}\n",  # invalid value
        "version: v3\nthresholds: {high_sped: {min_speed_kn: 35}}\n",  # misspelt rule
        "version: v3\nthresholds: [unclosed\n",  # not YAML
        SITE.format(version="v3", speed=35).replace("polygon:", "geojson: missing.geojson\n    x:"),
    ],
)
def test_a_broken_file_is_refused_and_nothing_changes(running: Running, broken: str) -> None:
    running.reloader.path.write_text(broken, encoding="utf-8")
    with capture_logs() as logs:
        assert running.reloader.check() is Outcome.REFUSED
    (line,) = [x for x in logs if x["log_level"] == "error"]
    assert line["event"] == "config reload refused; the running configuration is kept"
    assert line["path"] == str(running.reloader.path)
    assert line["kept_version"] == "v1"
    assert line["error"]
    (event,) = running.boat(40.0)  # still the v1 threshold (30 kn) and version
    assert event.config_version == "v1"
    assert running.reloader.current.version == "v1"


def test_sighup_reloads_at_once(running: Running) -> None:
    path = running.reloader.path
    # Polling once an hour: only the signal can make it look in time.
    reloader = ConfigReloader(path, running.reloader.current, running.apply, interval_s=3600.0)
    previous = signal.signal(signal.SIGHUP, reloader.request)
    try:
        reloader.start()
        write(path, "v4", 45)
        send_sighup()
        wait_for(lambda: reloader.current.version == "v4", timeout_s=10)
    finally:
        signal.signal(signal.SIGHUP, previous)
        reloader.stop()
    assert running.boat(40.0) == []
    (event,) = running.boat(50.0)
    assert event.config_version == "v4"


def test_watch_list_seeds_reload_and_the_stores_entries_stay(dsn: str, tmp_path: Path) -> None:
    pool = open_pool(dsn)
    try:
        migrate(pool, StoreConfig())
    finally:
        pool.close()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO watchlist (id, imo, points, created_by) "
            "VALUES (gen_random_uuid(), 9074729, 30, 'api')"
        )
    path = tmp_path / "site.yaml"
    write(path, "v1", 30)
    site = load_config(path)
    harness = Harness(site=site)
    watch: WatchList = harness.worker.watchlist
    sync = WatchlistSync(dsn, watch, [WatchEntry(id="old-seed", mmsi=265000001)])
    reloader = ConfigReloader(path, site, detector_applier(harness.worker, sync))
    sync.start()
    try:
        wait_for(lambda: sync.loads > 0)
        path.write_text(
            SITE.format(version="v2", speed=30)
            + 'watchlist:\n  - {mmsi: 265000002, reason: "new"}\n',
            encoding="utf-8",
        )
        assert reloader.check() is Outcome.APPLIED
        stored = VesselStatic(sensor_id="rx", time=T0, mmsi=5, imo=9074729)
        assert watch.match(265000002, None) is not None  # the new seed
        assert watch.match(265000001, None) is None  # the old one is gone
        assert watch.match(5, stored) is not None  # the store's entry stays
    finally:
        sync.stop()


LIVE_SITE = """
version: "{version}"
ingest:
  ais:
    - {{id: udp-reload, transport: udp, host: 127.0.0.1, port: 0}}
thresholds:
  high_speed: {{min_speed_kn: {speed}, release_speed_kn: 25, max_length_m: 25, min_reports: 2}}
"""


def test_the_running_service_reloads_on_sighup(
    dsn: str, mqtt_url: str, topic_root: str, tmp_path: Path
) -> None:
    """`shorewatch run`'s detector over the real broker: SIGHUP after an edit, the next event
    uses the new threshold and version; a broken file then changes nothing."""
    path = tmp_path / "site.yaml"
    path.write_text(LIVE_SITE.format(version="v1", speed=30), encoding="utf-8")
    site = load_config(path)
    service = Service(
        site, dsn=dsn, mqtt_url=mqtt_url, roles=("ingest", "detector"), topic_root=topic_root
    )
    seen: list[Event] = []
    topics = Topics(topic_root)
    listener = Bus(mqtt_url, "reload-test-listener", topics, Metrics())
    listener.connect()
    listener.subscribe(
        topics.all_events, lambda m: seen.append(m) if isinstance(m, Event) else None
    )
    time.sleep(0.3)
    previous = signal.getsignal(signal.SIGHUP)
    service.start()
    reloader = start_hot_reload(service.detector, service.watchlist_sync, site, path)
    assert reloader is not None
    boats = iter(range(265800001, 265800100))
    clock = iter(T0 + timedelta(minutes=5 * k) for k in range(100))

    def run(sog: float) -> list[Event]:
        """A new vessel at `sog` over UDP; its high-speed events, once the detector has them."""
        mmsi, start = next(boats), next(clock)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for i in range(6):
                line = position_report(
                    mmsi,
                    58.2 + sog * 5 * i / 3600 / 60,
                    11.2,
                    start + timedelta(seconds=5 * i),
                    sog,
                    0,
                )
                sock.sendto(line.encode() + b"\r\n", ("127.0.0.1", service.udp_ports["udp-reload"]))
                time.sleep(0.01)
        time.sleep(1.0)
        return [
            e for e in list(seen) if e.kind.value == "high_speed" and e.targets == (f"ais:{mmsi}",)
        ]

    try:
        (first,) = wait_for(lambda: run(40.0) or None)
        assert first.config_version == "v1"
        path.write_text(LIVE_SITE.format(version="v2", speed=50), encoding="utf-8")
        send_sighup()
        wait_for(lambda: reloader.current.version == "v2")
        assert run(40.0) == []
        (fast,) = run(55.0)
        assert fast.config_version == "v2"
        path.write_text("version: v3\nthresholds: {high_speed: {min_speed_kn: fast}}\n")
        with capture_logs() as logs:
            send_sighup()
            wait_for(lambda: any(x["event"].startswith("config reload refused") for x in logs))
        (still,) = run(55.0)
        assert still.config_version == "v2"
    finally:
        reloader.stop()
        signal.signal(signal.SIGHUP, previous)
        service.stop()
        listener.close()
