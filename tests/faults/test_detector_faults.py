"""Issue 12, acceptance 1 (the detector's part): `kill -9` of the detector in the middle of an
open episode, then a restart → the episode is continued (same event, same alert), not raised
again, and the observations it missed while down are not lost (the recorder stored them; the
restarted detector warms up from the store and from its durable session)."""

from __future__ import annotations

import math
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from shorewatch.bus import Bus
from shorewatch.events import Observation, Source
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics
from tests.faults.rig import Mosquitto, Roles
from tests.faults.test_data_path import _online, broker  # noqa: F401 (fixture)
from tests.waiting import wait_for

pytestmark = pytest.mark.flaky(reruns=2, reruns_delay=5)

SITE = """
version: "fault-suite-detector"
thresholds: {dark_target: {after_s: 2, min_fixes: 3}}
store: {flush_interval_s: 0.2}
"""
TARGET = "radar:shore-1-7"


def _fix(step: int, began: datetime) -> Observation:
    """A 30-kn echo heading east, one fix a second, no AIS anywhere near."""
    metres = 30 * 1852 / 3600 * step
    return Observation(
        source=Source.RADAR,
        sensor_id="shore-1",
        target_ref="shore-1-7",
        time=began + timedelta(seconds=step),
        lat=58.20,
        lon=11.30 + metres / (111_320 * math.cos(math.radians(58.20))),
        sog_kn=30.0,
        cog_deg=90.0,
    )


def _dark_events(dsn: str) -> list[tuple[uuid.UUID, datetime | None]]:
    with psycopg.connect(dsn) as conn:
        return [
            (row[0], row[1])
            for row in conn.execute(
                'SELECT id, max("end") FROM events WHERE kind = %s AND %s = ANY(targets) '
                "GROUP BY id",
                ("dark_target", TARGET),
            )
        ]


def _alerts(dsn: str) -> list[tuple[uuid.UUID, list[uuid.UUID]]]:
    with psycopg.connect(dsn) as conn:
        return [
            (row[0], list(row[1]))
            for row in conn.execute(
                "SELECT id, event_ids FROM alerts WHERE kind = %s AND target = %s",
                ("dark_target", TARGET),
            )
        ]


def test_detector_kill9_continues_its_open_episode(
    tmp_path: Path,
    broker: Mosquitto,  # noqa: F811
    dsn: str,
    topic_root: str,
) -> None:
    roles = Roles(tmp_path, dsn, broker.url, topic_root)
    roles.config.write_text(SITE, encoding="utf-8")
    topics = Topics(topic_root)
    radar = Bus(broker.url, "fault-radar", topics, Metrics())
    began = datetime.now(UTC) - timedelta(minutes=5)
    step = 0

    def feed(seconds: float) -> None:
        nonlocal step
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            radar.publish(topics.obs(Source.RADAR, "shore-1"), _fix(step, began))
            step += 1
            time.sleep(0.25)  # four fixes a second of wall time, one a second of track time

    try:
        for role in ("recorder", "alerts", "detector"):
            roles.start(role)
        consumers = {f"shorewatch-{r}-consumer" for r in ("recorder", "alerts", "detector")}
        _online(broker.url, topic_root, consumers, 90)
        radar.connect()
        feed(1.0)
        opened = wait_for(lambda: _dark_events(dsn), timeout_s=90)
        wait_for(lambda: _alerts(dsn), timeout_s=30)
        feed(3.0)
        roles.kill("detector")
        feed(3.0)  # fixes the detector misses: the recorder stores them, the broker queues them
        roles.start("detector")
        feed(12.0)
        sent = step
        with psycopg.connect(dsn) as conn:

            def stored() -> int:
                row = conn.execute(
                    "SELECT count(*) FROM observations WHERE sensor_id = 'shore-1'"
                ).fetchone()
                conn.commit()
                return int(row[0]) if row else 0

            wait_for(lambda: stored() >= sent, timeout_s=60)
        time.sleep(3)  # what the restarted detector would raise anew has had time to arrive
        events = _dark_events(dsn)
        alerts = _alerts(dsn)
    finally:
        radar.close()
        roles.close()

    assert [e[0] for e in events] == [opened[0][0]], "one dark_target episode, continued"
    assert events[0][1] is None, "still open: the echo never stopped"
    assert len(alerts) == 1, "one alert for the boat, not a second after the restart"
    assert alerts[0][1] == [opened[0][0]]
