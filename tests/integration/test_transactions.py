"""Issue 15, defects 3 and 4: an alert event survives a transient database error, and a
dispatch is one transaction (alert transition, assignment and unit state together, published
only after commit), with real PostgreSQL and Mosquitto."""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial

import httpx
import psycopg
import pytest

from alerts.actions import AlertActions
from alerts.lifecycle import Action
from alerts.units import UnitDesk
from app.composition import Service
from shorewatch.events import Alert, Event, EventKind, Message
from shorewatch.store.db import open_pool
from shorewatch.store.units_repo import UnitsRepo
from tests.alerting import site
from tests.waiting import wait_for

TOKEN = "transactions-test-token-0123456789"
UNITS_YAML = """
units:
  - {id: boat-1, name: Boat 1, kind: sea, unit_type: rib, home_lat: 58.2, home_lon: 11.3,
     max_speed_kn: 30}
"""


def _kill_backends(dsn: str) -> int:
    """Terminate every other connection to the test database, as a failover would."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def _event(target: str) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=EventKind.FIELD_REPORT,
        start=datetime.now(UTC),
        lat=58.2,
        lon=11.3,
        targets=(target,),
        config_version="test",
    )


def _alert_for(dsn: str, event: Event) -> tuple[object, ...] | None:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT id FROM alerts WHERE %s = ANY(event_ids)", (event.id,)
        ).fetchone()


@pytest.fixture
def alerts_role(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    svc = Service(site(), dsn=dsn, mqtt_url=mqtt_url, roles=("alerts",), topic_root=topic_root)
    svc.start()
    yield svc
    svc.stop()


def test_event_survives_killed_database_connections(alerts_role: Service, dsn: str) -> None:
    """Defect 3: the pool's connections are killed (failover) just before events arrive; each
    event is retried until stored and becomes an alert."""
    events = [_event(f"report:{i}") for i in range(3)]
    for event in events:
        assert _kill_backends(dsn) >= 1, "the service holds pooled connections to kill"
        alerts_role.publish_event(event)
        assert wait_for(partial(_alert_for, dsn, event), timeout_s=30)


def test_event_survives_an_exhausted_pool(alerts_role: Service, dsn: str) -> None:
    """Defect 3: every pooled connection is busy for longer than the pool's timeout while an
    event arrives; the worker retries rather than dropping it."""
    pool = alerts_role.pool
    held = [pool.getconn() for _ in range(pool.max_size)]
    try:
        event = _event("report:busy")
        alerts_role.publish_event(event)
        with pytest.raises(AssertionError):  # nothing can be stored while the pool is held
            wait_for(lambda: _alert_for(dsn, event), timeout_s=pool.timeout + 2)
    finally:
        for conn in held:
            pool.putconn(conn)
    assert wait_for(lambda: _alert_for(dsn, event), timeout_s=30)


@pytest.fixture
def full(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    svc = Service(
        site(UNITS_YAML),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("alerts", "api"),
        api_token=TOKEN,
        api_port=0,
        topic_root=topic_root,
    )
    svc.start()
    yield svc
    svc.stop()


def _acknowledged_alert(svc: Service, api: httpx.Client, dsn: str) -> str:
    event = _event(f"report:{uuid.uuid4().hex[:6]}")
    svc.publish_event(event)
    alert_id = str(wait_for(lambda: _alert_for(dsn, event))[0])
    assert api.post(f"/api/v1/alerts/{alert_id}/ack", json={}).status_code == 200
    return alert_id


def test_dispatch_is_one_transaction(full: Service, dsn: str) -> None:
    """Defect 4: the unit part fails (a trigger refuses the assignment) → the alert stays
    acknowledged, nothing is audited and nothing is broadcast."""
    seen: queue.Queue[Message] = queue.Queue()
    full.bus.subscribe(full.topics.all_alerts, seen.put)
    with httpx.Client(
        base_url=f"http://127.0.0.1:{full.api_port}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    ) as api:
        alert_id = _acknowledged_alert(full, api, dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'assignment refused'; END $$"
            )
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON unit_assignments "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        wait_for(lambda: _drained_to_state(seen, alert_id, "acknowledged"))
        with pytest.raises(httpx.HTTPError):  # its own connection: a 500 may close it
            httpx.post(
                f"{api.base_url}/api/v1/alerts/{alert_id}/dispatch",
                json={"unit_id": "boat-1"},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30,
            ).raise_for_status()
        detail = api.get(f"/api/v1/alerts/{alert_id}").json()
        units = api.get("/api/v1/units/boat-1").json()
    assert detail["alert"]["state"] == "acknowledged"
    assert [h["action"] for h in detail["history"] if h["action"] in ("dispatch", "assign")] == []
    assert units["state"] == "available"
    with pytest.raises(AssertionError):
        wait_for(lambda: _drained_to_state(seen, alert_id, "dispatched"), timeout_s=2)


def _drained_to_state(seen: queue.Queue[Message], alert_id: str, state: str) -> bool:
    while not seen.empty():
        message = seen.get_nowait()
        if isinstance(message, Alert) and str(message.id) == alert_id and message.state == state:
            return True
    return False


def test_dispatch_needs_one_connection(dsn: str, mqtt_url: str, topic_root: str) -> None:
    """Defect 4: dispatch never holds a pooled connection while waiting for a second, so it
    completes on a pool of one."""
    svc = Service(
        site(UNITS_YAML),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("alerts",),
        topic_root=topic_root,
    )
    svc.start()
    try:
        event = _event("report:pool")
        svc.publish_event(event)
        alert_id = uuid.UUID(str(wait_for(lambda: _alert_for(dsn, event))[0]))
        published: list[Alert] = []
        tiny = open_pool(dsn, max_size=1, timeout_s=3)
        try:
            actions = AlertActions(tiny, published.append, svc.unit_desk.now)
            actions.transition(alert_id, Action.ACKNOWLEDGE, "tester")
            desk = UnitDesk(
                tiny,
                UnitsRepo(svc.site.store, svc.series_mode),
                svc.bus,
                svc.metrics,
                svc.unit_desk.now,
            )
            sent = desk.dispatch(actions, alert_id, "boat-1", "tester")
            desk.close()
        finally:
            tiny.close()
        assert sent.alert.state == "dispatched"
        assert sent.unit.state == "en_route"
        assert [a.state for a in published] == ["acknowledged", "dispatched"]
    finally:
        svc.stop()


def test_redelivered_event_is_harmless(alerts_role: Service, dsn: str) -> None:
    """At-least-once delivery: the same event arriving again (a redelivery after a restart)
    leaves one event row, one alert with one event, and one `created` audit entry."""
    event = _event("report:twice")
    alerts_role.publish_event(event)
    wait_for(partial(_alert_for, dsn, event))
    alerts_role.publish_event(event)
    marker = _event("report:after")  # handled after the redelivery: one worker, in order
    alerts_role.publish_event(marker)
    wait_for(partial(_alert_for, dsn, marker))
    with psycopg.connect(dsn) as conn:
        events = conn.execute("SELECT count(*) FROM events WHERE id = %s", (event.id,)).fetchone()
        alerts = conn.execute(
            "SELECT event_count FROM alerts WHERE %s = ANY(event_ids)", (event.id,)
        ).fetchall()
        audit = conn.execute(
            "SELECT count(*) FROM alert_history h JOIN alerts a ON a.id = h.alert_id "
            "WHERE %s = ANY(a.event_ids)",
            (event.id,),
        ).fetchone()
    assert events == (1,)
    assert alerts == [(1,)]
    assert audit == (1,)
