"""Silences re-decide open alerts when they change (issue 15, defect 6): an alert opened under a
silence is published when the silence is lifted or runs out — on the bus, so on the live feed
and to webhooks — and escalation counts from then; a new silence withdraws the open alerts it
matches. Real PostgreSQL, Mosquitto and API, on the injected clock; the live feed observes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from alerts.escalation import Escalator
from alerts.silences import SilenceSweeper
from app.composition import Service
from shorewatch.config.alerts import EscalationConfig
from shorewatch.events import Alert, EventKind, FactValue, Level
from tests.alerting import TOKEN, FakeClock, Rig, event, running, site
from tests.waiting import wait_for

DARK: dict[str, FactValue] = {"source": "radar", "dark_for_s": 130.0, "sog_kn": 12.0}
YELLOW_DEADLINE_S = 1800


@pytest.fixture
def rig(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Rig]:
    with running(site(), dsn, mqtt_url, topic_root) as rig:
        yield rig


@contextmanager
def live_feed(rig: Rig) -> Iterator[Connection]:
    assert rig.service.api_server is not None
    app = rig.service.api_server.config.app
    assert isinstance(app, FastAPI)
    url = f"ws://127.0.0.1:{rig.service.api_port}/api/v1/live?token={TOKEN}"
    with connect(url, open_timeout=10) as ws:
        wait_for(lambda: app.state.context.live.client_count >= 1, timeout_s=5)
        yield ws


def pushed(ws: Connection, alert: Alert) -> dict[str, Any]:
    """The next push of this alert on the live feed (fails after 10 s without one)."""
    while True:
        body: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if body["id"] == str(alert.id):
            return body


def silence(rig: Rig, **matcher: str) -> str:
    ends = rig.clock.now + timedelta(hours=5)
    body = {**matcher, "reason": "known wreck echo", "ends_at": ends.isoformat()}
    created = rig.api.post("/api/v1/silences", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def escalator(rig: Rig) -> Escalator:
    return Escalator(
        rig.service.pool,
        EscalationConfig(),
        rig.published.append,
        rig.service.metrics,
        rig.clock,
    )


def history(rig: Rig, alert: Alert) -> list[str]:
    return [h["action"] for h in rig.api.get(f"/api/v1/alerts/{alert.id}").json()["history"]]


def test_lifting_a_silence_publishes_its_alerts_and_starts_their_escalation(rig: Rig) -> None:
    silence_id = silence(rig, target="radar:quiet")
    muted = rig.alerts.handle(event(EventKind.DARK_TARGET, "radar:quiet", DARK))
    assert muted is not None
    assert (muted.silenced, muted.level) == (True, Level.YELLOW)
    assert rig.published == []
    rig.clock.advance(3600)  # past the yellow deadline counted from the opening
    with live_feed(rig) as ws:
        assert rig.api.delete(f"/api/v1/silences/{silence_id}").status_code == 204
        woken = pushed(ws, muted)
    assert woken["silenced"] is False, "published on the bus, so on the live feed"
    assert rig.api.get(f"/api/v1/alerts/{muted.id}").json()["alert"]["silenced"] is False
    assert history(rig, muted) == ["created", "unsilenced"]
    sweep = escalator(rig)
    assert sweep.run_once() == [], "escalation counts from the lift, not from the opening"
    rig.clock.advance(YELLOW_DEADLINE_S - 1)
    assert sweep.run_once() == []
    rig.clock.advance(2)
    assert [a.id for a in sweep.run_once()] == [muted.id]


def test_a_silence_that_runs_out_publishes_its_alerts(rig: Rig) -> None:
    ends = rig.clock.now + timedelta(minutes=10)
    body = {"kind": "dark_target", "reason": "exercise", "ends_at": ends.isoformat()}
    assert rig.api.post("/api/v1/silences", json=body).status_code == 201
    muted = rig.alerts.handle(event(EventKind.DARK_TARGET, "radar:exercise", DARK))
    assert muted is not None
    assert muted.silenced
    sweeper = SilenceSweeper(
        rig.service.pool, rig.service.publish_alert, rig.service.metrics, rig.clock
    )
    with live_feed(rig) as ws:
        assert sweeper.run_once() == [], "still in force"
        rig.clock.advance(601)
        (woken,) = sweeper.run_once()
        assert (woken.id, woken.silenced, woken.unsilenced_at) == (muted.id, False, rig.clock.now)
        assert pushed(ws, muted)["silenced"] is False
    assert sweeper.run_once() == [], "decided once"
    assert history(rig, muted) == ["created", "unsilenced"]
    assert 'shorewatch_alerts_total{action="unsilenced"} 1.0' in rig.api.get("/metrics").text


def test_a_new_silence_withdraws_the_open_alerts_it_matches(rig: Rig) -> None:
    loud = rig.alerts.handle(event(EventKind.DARK_TARGET, "radar:clutter", DARK))
    other = rig.alerts.handle(event(EventKind.DARK_TARGET, "radar:runner", DARK))
    assert loud is not None
    assert other is not None
    assert not loud.silenced
    with live_feed(rig) as ws:
        silence(rig, target="radar:clutter")
        assert pushed(ws, loud)["silenced"] is True, "the feed is told to drop it"
    listed = {a["id"]: a["silenced"] for a in rig.api.get("/api/v1/alerts").json()}
    assert listed == {str(loud.id): True, str(other.id): False}
    assert history(rig, loud) == ["created", "silenced"]
    rig.clock.advance(YELLOW_DEADLINE_S + 1)
    assert [a.id for a in escalator(rig).run_once()] == [other.id], "silenced: no escalation"


def test_a_pending_silence_takes_hold_when_it_starts(rig: Rig) -> None:
    loud = rig.alerts.handle(event(EventKind.DARK_TARGET, "radar:later", DARK))
    assert loud is not None
    starts = rig.clock.now + timedelta(minutes=5)
    body = {
        "target": "radar:later",
        "reason": "night fishing",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
    }
    assert rig.api.post("/api/v1/silences", json=body).status_code == 201
    sweeper = SilenceSweeper(rig.service.pool, rig.published.append, rig.service.metrics, rig.clock)
    assert sweeper.run_once() == [], "not started yet"
    rig.clock.advance(301)
    (muted,) = sweeper.run_once()
    assert (muted.id, muted.silenced) == (loud.id, True)


def test_the_alerts_role_sweeps_silences_on_its_own(
    dsn: str, mqtt_url: str, topic_root: str
) -> None:
    """The composition wires the sweep: an event through the bus opens a silenced alert, and
    the alert is unsilenced when the clock passes the silence's end, with no new event."""
    clock = FakeClock()
    service = Service(
        site("alerts: {silence_sweep_s: 0.05}\n"),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("alerts", "api"),
        api_token=TOKEN,
        api_port=0,
        topic_root=topic_root,
        clock=clock,
    )
    service.start()
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{service.api_port}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        ) as api:
            ends = clock.now + timedelta(minutes=10)
            body = {"target": "radar:swept", "reason": "trials", "ends_at": ends.isoformat()}
            assert api.post("/api/v1/silences", json=body).status_code == 201
            service.publish_event(event(EventKind.DARK_TARGET, "radar:swept", DARK))

            def silenced() -> list[bool]:
                return [a["silenced"] for a in api.get("/api/v1/alerts").json()]

            assert wait_for(silenced) == [True]
            clock.advance(601)
            wait_for(lambda: silenced() == [False])
    finally:
        service.stop()
