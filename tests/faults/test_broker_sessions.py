"""Issue 12, acceptance 1 (broker `kill -9`): what is published for a recorder between the
broker's restart and the recorder's reconnection must wait for it in its durable session.

Mosquitto (2.0, as Debian ships it) restores a plain subscription of a persistent session from
its persistence file, but not a `$share/…` one: after a restart, messages for a shared group
whose members have not reconnected yet are dropped. So a stateless role subscribes plainly
unless `bus.share_group` is set (scale-out, docs/operations.md). The second test pins that
broker behaviour: if it starts failing, the broker keeps shared sessions now and the default
can be revisited.
"""

from __future__ import annotations

import queue
import time
from datetime import UTC, datetime, timedelta

from shorewatch.bus import Bus
from shorewatch.events import Message, Observation, Source
from shorewatch.metrics import Metrics
from shorewatch.topics import Topics
from tests.faults.rig import Mosquitto

COUNT = 50
START = datetime(2026, 12, 5, tzinfo=UTC)


def _subscriber(url: str, topics: Topics, share: str | None, got: queue.Queue[Message]) -> Bus:
    bus = Bus(url, "recorder", topics, Metrics(), client_id="session-test", session_expiry_s=3600)
    bus.subscribe(topics.all_obs, got.put, share=share)
    bus.connect()
    return bus


def _published_while_the_subscriber_is_away(share: str | None) -> int:
    """Subscribe with a durable session, leave, kill -9 the broker and restart it, publish
    COUNT observations, come back under the same identity: how many arrive."""
    broker = Mosquitto()
    topics = Topics("sessions")
    got: queue.Queue[Message] = queue.Queue()
    try:
        _subscriber(broker.url, topics, share, got).close()
        time.sleep(2.5)  # the broker saves its sessions every second (autosave_interval 1)
        assert broker.saved()
        broker.kill()
        broker.start()
        publisher = Bus(broker.url, "ingest", topics, Metrics())
        publisher.connect()
        for i in range(COUNT):
            fix = Observation(
                source=Source.AIS,
                sensor_id="rx",
                target_ref="265000001",
                time=START + timedelta(seconds=i),
                lat=58.0,
                lon=11.0,
            )
            publisher.publish(topics.obs(Source.AIS, "rx"), fix).wait_for_publish(5)
        publisher.close()
        back = _subscriber(broker.url, topics, share, got)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and got.qsize() < COUNT:
            time.sleep(0.1)
        time.sleep(0.5)  # and nothing more than that
        back.close()
        return got.qsize()
    finally:
        broker.close()


def test_a_plain_durable_subscription_gets_what_was_published_after_a_broker_restart() -> None:
    assert _published_while_the_subscriber_is_away(share=None) == COUNT


def test_mosquitto_drops_what_a_shared_group_missed_across_a_restart() -> None:
    assert _published_while_the_subscriber_is_away(share="shorewatch-recorder") == 0
