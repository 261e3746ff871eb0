"""`/healthz`, `/api/v1/health` and the health gauges against real services: a database that
goes away (our own PostgreSQL, stopped and started), a broker that is killed (our own
mosquitto), a role that falls silent, a receiver whose `sensor_offline` episode is open in the
store, and, where TimescaleDB is installed, a background job that fails."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from app.composition import Service
from app.embedded import EmbeddedBroker, EmbeddedPostgres
from shorewatch.bus import Bus
from shorewatch.config.site import parse_config
from shorewatch.episodes import closed, new_event
from shorewatch.events import ComponentStatus, EventKind
from shorewatch.metrics import Metrics
from shorewatch.store import timeseries
from tests.waiting import wait_for

TOKEN = "health-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ALL_ROLES = ("ingest", "recorder", "detector", "alerts", "api")


def _site(expected_roles: tuple[str, ...] = ALL_ROLES) -> Any:
    yaml_text = f"""
version: "test-health"
store: {{flush_interval_s: 0.1}}
health:
  heartbeat_interval_s: 0.5
  stale_after_s: 3
  expected_roles: [{", ".join(expected_roles)}]
"""
    return parse_config(yaml_text, "test.yaml", Path())


@contextmanager
def running(
    dsn: str,
    mqtt_url: str,
    topic_root: str,
    roles: tuple[str, ...] = ALL_ROLES,
    expected: tuple[str, ...] | None = None,
) -> Iterator[tuple[Service, httpx.Client]]:
    """A service whose health expects `expected` roles (by default the ones it runs)."""
    svc = Service(
        _site(expected or roles),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=roles,
        api_token=TOKEN,
        api_port=0,
        topic_root=topic_root,
    )
    svc.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{svc.api_port}", timeout=15) as client:
            yield svc, client
    finally:
        svc.stop()


def _state(client: httpx.Client) -> tuple[int, dict[str, Any]]:
    """`/healthz`, less the failures of TimescaleDB's own policy jobs: on PostgreSQL 15.20 with
    TimescaleDB 2.28.3 every one of them fails by itself (docs/operations.md), so on such a
    server these tests judge the problem they cause against that background. The planted-job
    test below checks that those failures are reported; plain PostgreSQL has no such jobs."""
    response = client.get("/healthz")
    body: dict[str, Any] = response.json()
    background = [p for p in body["problems"] if p.startswith("timescaledb_job:policy_")]
    if background:
        body["problems"] = [p for p in body["problems"] if p not in background]
        if body["status"] == "degraded" and not body["problems"]:
            body["status"] = "ok"
    return response.status_code, body


def _detail(client: httpx.Client) -> dict[str, Any]:
    """`/api/v1/health` with the same TimescaleDB background taken out as in `_state`."""
    body: dict[str, Any] = client.get("/api/v1/health", headers=AUTH).json()
    body["problems"] = [
        p
        for p in body["problems"]
        if not (p["check"] == "timescaledb_job" and p["name"].startswith("policy_"))
    ]
    return body


def _settles(client: httpx.Client, status: str, timeout_s: float = 20) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        _code, body = _state(client)
        return body if body["status"] == status else None

    result: dict[str, Any] = wait_for(check, timeout_s)
    return result


def test_a_silent_receiver_makes_the_service_degraded_and_is_named_to_engineers_only(
    dsn: str, mqtt_url: str, topic_root: str
) -> None:
    with running(dsn, mqtt_url, topic_root) as (svc, client):
        ok = _settles(client, "ok")
        assert ok == {"status": "ok", "problems": []}

        outage_start = datetime.now(UTC) - timedelta(minutes=3)
        offline = new_event(
            EventKind.SENSOR_OFFLINE,
            ("sensor:ais-north",),
            outage_start,
            58.3,
            11.4,
            {"sensor": "ais-north", "reason": "no sentence for 300 s"},
            "test-health",
        )
        svc.publish_event(offline)  # the alerts role stores it, as a detector's would be
        degraded = _settles(client, "degraded")
        code, _ = _state(client)
        assert code == 200, "degraded still serves: nothing here needs a restart"
        assert degraded["problems"] == ["sensor_offline"], "no sensor names on the open endpoint"
        assert "ais-north" not in client.get("/healthz").text

        assert client.get("/api/v1/health").status_code == 401
        detail = _detail(client)
        (problem,) = detail["problems"]
        assert problem["check"] == "sensor_offline"
        assert problem["name"] == "ais-north"
        assert "no sentence for 300 s" in problem["detail"]
        assert detail["sensors_offline"] == 1
        metrics = client.get("/metrics", headers=AUTH).text
        assert 'shorewatch_sensor_offline{sensor="ais-north"} 1.0' in metrics
        assert 'shorewatch_health_status{state="degraded"} 1.0' in metrics

        svc.publish_event(closed(offline, datetime.now(UTC), {"back": "sentences again"}))
        assert _settles(client, "ok")["problems"] == []


def test_a_role_that_stops_beating_is_named_stale_and_its_role_missing(
    dsn: str, mqtt_url: str, topic_root: str
) -> None:
    """A second process (the detector) beats through the real broker, then falls silent; the
    broker's retained last word is all the API has, and it must not read it as alive."""
    roles = ("recorder", "alerts", "api")
    with running(dsn, mqtt_url, topic_root, roles, expected=ALL_ROLES) as (svc, client):
        _, body = _state(client)
        assert {"role:detector", "role:ingest"} <= set(body["problems"])

        other = Bus(mqtt_url, "shorewatch-detector-ingest", svc.topics, Metrics())
        other.connect()
        try:
            topic = svc.topics.status("shorewatch-detector-ingest")

            def beat(at: datetime) -> None:
                status = ComponentStatus(
                    component="shorewatch-detector-ingest",
                    online=True,
                    roles=("detector", "ingest"),
                    time=at,
                )
                other.publish(topic, status, retain=True).wait_for_publish(5)

            beat(datetime.now(UTC))
            assert _settles(client, "ok")["problems"] == []
            beat(datetime.now(UTC) - timedelta(seconds=60))  # its last word, a minute old
            stale = _settles(client, "degraded")
            assert stale["problems"] == [
                "component:shorewatch-detector-ingest",
                "role:ingest",
                "role:detector",
            ]
            detail = _detail(client)
            assert (
                "(detector, ingest) is stale: last heartbeat 6" in detail["problems"][0]["detail"]
            )
        finally:
            other.close()  # an orderly stop says offline: still named, not forgotten
        wait_for(lambda: "is offline" in _detail(client)["problems"][0]["detail"])
        assert _state(client)[1]["status"] == "degraded"
        other_clear = Bus(mqtt_url, "clearer", svc.topics, Metrics())
        other_clear.connect()
        try:  # an operator clears a process gone for good: an empty retained message
            other_clear.publish_raw(topic, b"").wait_for_publish(5)
            wait_for(
                lambda: "component:shorewatch-detector-ingest" not in _state(client)[1]["problems"]
            )
        finally:
            other_clear.close()


def test_database_down_is_down_and_recovers(mqtt_url: str, topic_root: str) -> None:
    """Our own PostgreSQL (never the shared one) stopped under a running API, then started."""
    with tempfile.TemporaryDirectory(prefix="sw-health-pg-") as tmp:
        data = Path(tmp) / "pg"
        database = EmbeddedPostgres(data)
        dsn = database.__enter__()
        try:
            with running(dsn, mqtt_url, topic_root, roles=("api",)) as (_svc, client):
                assert _settles(client, "ok")["problems"] == []
                database.__exit__(None, None, None)
                down = _settles(client, "down")
                assert down["problems"] == ["database:database"]
                code, _ = _state(client)
                assert code == 503
                detail = _detail(client)  # service token
                assert detail["database"] is False
                assert "PostgreSQL unreachable" in detail["problems"][0]["detail"]
                metrics = client.get("/metrics", headers=AUTH).text
                assert "shorewatch_health_database_up 0.0" in metrics

                database = EmbeddedPostgres(data)
                assert database.__enter__() == dsn
                assert _settles(client, "ok", timeout_s=40)["problems"] == []
        finally:
            database.__exit__(None, None, None)


def test_broker_down_is_down_and_recovers(dsn: str, topic_root: str) -> None:
    """Our own mosquitto, killed under a running API (never the shared broker), then
    restarted on the same port."""
    broker = EmbeddedBroker()
    with broker as url, running(dsn, url, topic_root, roles=("api",)) as (_svc, client):
        assert _settles(client, "ok")["problems"] == []
        broker.kill()
        down = _settles(client, "down")
        assert down["problems"][0] == "broker:broker"
        assert _state(client)[0] == 503
        metrics = client.get("/metrics", headers=AUTH).text
        assert "shorewatch_health_broker_connected 0.0" in metrics
        broker.start()
        assert _settles(client, "ok", timeout_s=60)["problems"] == []


def test_a_failing_retention_run_on_plain_postgresql_is_named_until_one_succeeds(
    dsn: str, mqtt_url: str, topic_root: str
) -> None:
    """Without TimescaleDB the recorder drops expired partitions itself; a partition it cannot
    drop (a view an analyst left on it) fails the run, the recorder's heartbeat says so, and
    health names it as it names a failing TimescaleDB job."""
    with running(dsn, mqtt_url, topic_root, roles=("recorder", "api")) as (svc, client):
        if svc.series_mode != timeseries.MODE_PARTITIONED:
            pytest.skip("this server has TimescaleDB: retention is its policy job")
        assert svc.retention is not None
        assert _settles(client, "ok")["problems"] == []
        old = datetime.now(UTC).date() - timedelta(days=400)
        with psycopg.connect(dsn, autocommit=True) as conn:
            timeseries.ensure_partitions(conn, "observations", {old}, 1)
            partition = timeseries.partition_name("observations", old)
            conn.execute(f"CREATE VIEW pinned AS SELECT * FROM {partition}")
        svc.retention.run_recorded()
        body = _settles(client, "degraded")
        assert body["problems"] == ["process:shorewatch-api-recorder:retention_job"]
        detail = _detail(client)
        assert "DependentObjectsStillExist" in detail["problems"][0]["detail"]

        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP VIEW pinned")
        svc.retention.run_recorded()
        assert _settles(client, "ok")["problems"] == []


@pytest.mark.timescale
def test_a_failing_timescaledb_job_makes_the_service_degraded_and_is_named(
    dsn: str, mqtt_url: str, topic_root: str
) -> None:
    """Where the server has TimescaleDB: a job planted to fail is named with its error (on
    PostgreSQL 15.20 with TimescaleDB 2.28.3 the policy jobs fail by themselves too)."""
    with running(dsn, mqtt_url, topic_root, roles=("api",)) as (svc, client):
        if svc.series_mode != timeseries.MODE_TIMESCALE:
            pytest.skip("TimescaleDB is not available on this server: plain partitions in use")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "CREATE PROCEDURE planted_failure(job_id int, config jsonb) LANGUAGE plpgsql "
                "AS $$ BEGIN RAISE EXCEPTION 'planted failure %', job_id; END $$"
            )
            row = conn.execute(
                "SELECT add_job('planted_failure', INTERVAL '1 hour', initial_start => now())"
            ).fetchone()
            assert row is not None
            job_id = int(row[0])

            def failed() -> bool:
                status = conn.execute(
                    "SELECT last_run_status FROM timescaledb_information.job_stats "
                    "WHERE job_id = %s",
                    (job_id,),
                ).fetchone()
                return status is not None and status[0] == "Failed"

            wait_for(failed, 60)
        body = _settles(client, "degraded")
        assert f"timescaledb_job:planted_failure[{job_id}]" in body["problems"]
        detail = _detail(client)
        (planted,) = [p for p in detail["problems"] if p["name"] == f"planted_failure[{job_id}]"]
        assert f"planted failure {job_id}" in planted["detail"]
        metrics = client.get("/metrics", headers=AUTH).text
        assert f'shorewatch_timescaledb_job_failed{{job="planted_failure[{job_id}]"}} 1.0' in (
            metrics
        )
