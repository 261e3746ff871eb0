"""From what the store and the status topics say to a health state: TimescaleDB job rows,
heartbeats and outages mapped to named problems (pure; the services are in
tests/integration/test_health.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.health import (
    Problem,
    State,
    component_problems,
    job_problems,
    overall,
    sensor_problems,
)
from shorewatch.events import ComponentStatus, ProcessProblem
from shorewatch.heartbeat import ComponentBoard, ComponentState
from shorewatch.store.health_repo import JobRun, SensorOutage

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
PORTAL = 'cannot drop portal "" while it is being set up'


def run(job_id: int, name: str, status: str | None, error: str | None = None) -> JobRun:
    return JobRun(
        job_id=job_id,
        name=name,
        target="observations" if name != "policy_telemetry" else None,
        last_status=status,
        last_started=NOW - timedelta(minutes=5),
        last_success=NOW - timedelta(days=2) if status == "Failed" else NOW,
        total_failures=12 if status == "Failed" else 0,
        error=error,
    )


def test_the_portal_trap_on_every_policy_job_is_named_with_its_error() -> None:
    """PostgreSQL 15.20 + TimescaleDB 2.28.3: each policy job ends Failed with this error."""
    runs = [
        run(1000, "policy_compression", "Failed", PORTAL),
        run(1001, "policy_retention", "Failed", PORTAL),
        run(1002, "policy_refresh_continuous_aggregate", "Success"),
        run(1003, "policy_retention", None),  # not run yet: nothing to say
    ]
    problems = job_problems(runs)
    assert [p.public for p in problems] == [
        "timescaledb_job:policy_compression[1000]",
        "timescaledb_job:policy_retention[1001]",
    ]
    assert all(p.state is State.DEGRADED for p in problems)
    assert PORTAL in problems[0].detail
    assert "on observations" in problems[0].detail
    assert "12 failure(s)" in problems[0].detail
    assert "last success 2026-12-03 12:00Z" in problems[0].detail
    assert overall(problems) is State.DEGRADED


def test_a_failed_job_without_a_recorded_error_says_where_to_look() -> None:
    (problem,) = job_problems([run(1, "policy_telemetry", "Failed")])
    assert "see the server log" in problem.detail
    assert " on " not in problem.detail.split(")")[0]


def state(
    component: str, roles: tuple[str, ...], online: bool, age_s: float | None
) -> ComponentState:
    beat = None if age_s is None else NOW - timedelta(seconds=age_s)
    return ComponentState(component=component, roles=roles, online=online, last_beat=beat)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([state("all", ("ingest", "recorder"), True, 2)], []),
        (
            [state("rec", ("recorder",), True, 50)],
            ["component:rec", "role:recorder", "role:ingest"],
        ),
        (
            [state("rec", ("recorder",), False, 1)],
            ["component:rec", "role:recorder", "role:ingest"],
        ),
        # one recorder of two died: named, but the role still has a live process
        (
            [state("a", ("ingest", "recorder"), True, 1), state("b", ("recorder",), False, 1)],
            ["component:b"],
        ),
        # connected but never beaten (the bus's own online message): alive, covers no role
        ([state("x", (), True, None)], ["role:recorder", "role:ingest"]),
    ],
)
def test_components_and_roles(states: list[ComponentState], expected: list[str]) -> None:
    problems = component_problems(
        states, NOW, stale_after_s=30, expected_roles=("recorder", "ingest")
    )
    assert [p.public for p in problems] == expected


def test_open_outages_are_named_once_per_sensor_and_hidden_from_the_open_label() -> None:
    since = NOW - timedelta(minutes=7)
    problems = sensor_problems(
        [
            SensorOutage("ais-north", since, "no sentence for 300 s"),
            SensorOutage("ais-north", since + timedelta(minutes=1), None),
            SensorOutage("radar-1", since, None),
        ]
    )
    assert [p.name for p in problems] == ["ais-north", "radar-1"]
    assert {p.public for p in problems} == {"sensor_offline"}
    assert "since 2026-12-05 11:53:00Z: no sentence for 300 s" in problems[0].detail


def test_down_outranks_degraded_and_nothing_is_ok() -> None:
    degraded = Problem(check="role", name="x", state=State.DEGRADED, detail="")
    down = Problem(check="database", name="database", state=State.DOWN, detail="")
    assert overall([]) is State.OK
    assert overall([degraded, down]) is State.DOWN


def test_the_board_keeps_roles_and_last_beat_through_the_last_will() -> None:
    board = ComponentBoard()
    beat = ComponentStatus(component="rec", online=True, roles=("recorder",), time=NOW)
    board.on_payload("sw/status/rec", beat.model_dump_json().encode())
    board.on_payload(
        "sw/status/rec", ComponentStatus(component="rec", online=False).model_dump_json().encode()
    )
    assert board.snapshot() == [ComponentState("rec", ("recorder",), False, NOW)]
    board.on_payload("sw/status/rec", b"not json")  # logged, not raised, state kept
    assert len(board.snapshot()) == 1
    board.on_payload("sw/status/rec", b"")  # an operator cleared the retained status
    assert board.snapshot() == []


def test_a_live_process_reports_its_own_problems_and_a_dead_one_does_not() -> None:
    failing = ProcessProblem(name="retention_job", detail="DependentObjectsStillExist: …")
    board = ComponentBoard()
    board.on_message(
        ComponentStatus(
            component="rec", online=True, roles=("recorder",), time=NOW, problems=(failing,)
        )
    )
    board.on_message(ComponentStatus(component="rec", online=True))  # the bus reconnected
    problems = component_problems(
        board.snapshot(), NOW, stale_after_s=30, expected_roles=("recorder",)
    )
    assert [p.public for p in problems] == ["process:rec:retention_job"]
    assert "reports retention_job: DependentObjectsStillExist" in problems[0].detail
    board.on_message(ComponentStatus(component="rec", online=False))
    problems = component_problems(
        board.snapshot(), NOW, stale_after_s=30, expected_roles=("recorder",)
    )
    assert [p.public for p in problems] == ["component:rec", "role:recorder"]
