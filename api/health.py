"""The service's health, told truthfully: what this process depends on (database, broker) and
what the deployment needs (every role alive, TimescaleDB's jobs succeeding, no sensor gone
silent), as one state and a list of named problems.

`down`: this process cannot do its work (database or broker unreachable). `degraded`: it can,
but something the coast watch relies on is broken elsewhere. docs/operations.md, "Health".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, ConfigDict

from shorewatch.heartbeat import ComponentBoard, ComponentState
from shorewatch.store import health_repo
from shorewatch.store.health_repo import JobRun, SensorOutage
from shorewatch.store.timeseries import Conn

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
Row = TypeVar("Row", JobRun, SensorOutage)


class State(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str
    """database, broker, component, process, role, timescaledb_job, sensor_offline,
    store_query."""
    name: str
    """What is wrong by name: the job, the process, the sensor."""
    state: State
    detail: str
    """For signed-in engineers only: error texts and sensor names stay off the open endpoint."""

    @property
    def public(self) -> str:
        """The label `/healthz` shows anyone: which sensor is blind is for the watch to know."""
        if self.check == "sensor_offline":
            return "sensor_offline"
        return f"{self.check}:{self.name}"


class ComponentView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    component: str
    roles: tuple[str, ...]
    online: bool
    heartbeat_age_s: float | None


class HealthReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: State
    checked_at: datetime
    database: bool
    broker: bool
    problems: list[Problem]
    components: list[ComponentView]
    timescaledb_jobs: int | None
    """How many background jobs were read; None without TimescaleDB or when unreadable."""
    sensors_offline: int | None


def overall(problems: Iterable[Problem]) -> State:
    worst = State.OK
    for problem in problems:
        if problem.state is State.DOWN:
            return State.DOWN
        worst = State.DEGRADED
    return worst


def job_problems(runs: Iterable[JobRun]) -> list[Problem]:
    """A job whose last run failed makes the service degraded, named with its error (with
    PostgreSQL 15.20 and TimescaleDB 2.28.3 every job fails with `cannot drop portal ""
    while it is being set up`: nothing is compressed or dropped and the disk fills)."""
    problems = []
    for run in runs:
        if run.last_status != "Failed":
            continue
        on = f" on {run.target}" if run.target else ""
        since = f"; last success {run.last_success:%Y-%m-%d %H:%M}Z" if run.last_success else ""
        problems.append(
            Problem(
                check="timescaledb_job",
                name=f"{run.name}[{run.job_id}]",
                state=State.DEGRADED,
                detail=(
                    f"job {run.job_id} ({run.name}{on}) failed its last run, "
                    f"{run.total_failures} failure(s) in all{since}: "
                    f"{run.error or 'no error recorded (see the server log)'}"
                ),
            )
        )
    return problems


def component_problems(
    states: Sequence[ComponentState],
    now: datetime,
    *,
    stale_after_s: float,
    expected_roles: Iterable[str],
) -> list[Problem]:
    """Offline and stale processes by name, and every expected role without a live one."""
    problems = []
    alive_roles: set[str] = set()
    for state in states:
        age = None if state.last_beat is None else (now - state.last_beat).total_seconds()
        roles = ", ".join(state.roles) or "roles unknown"
        if not state.online:
            problems.append(
                Problem(
                    check="component",
                    name=state.component,
                    state=State.DEGRADED,
                    detail=f"{state.component} ({roles}) is offline (its last will or shutdown)",
                )
            )
        elif age is not None and age > stale_after_s:
            problems.append(
                Problem(
                    check="component",
                    name=state.component,
                    state=State.DEGRADED,
                    detail=f"{state.component} ({roles}) is stale: last heartbeat {age:.0f} s "
                    f"ago (limit {stale_after_s:.0f} s)",
                )
            )
        else:
            alive_roles.update(state.roles)
            problems.extend(
                Problem(
                    check="process",
                    name=f"{state.component}:{own.name}",
                    state=State.DEGRADED,
                    detail=f"{state.component} ({roles}) reports {own.name}: {own.detail}",
                )
                for own in state.problems
            )
    for role in expected_roles:
        if role not in alive_roles:
            problems.append(
                Problem(
                    check="role",
                    name=role,
                    state=State.DEGRADED,
                    detail=f"no live process runs the {role} role",
                )
            )
    return problems


def sensor_problems(outages: Iterable[SensorOutage]) -> list[Problem]:
    seen: dict[str, SensorOutage] = {}
    for outage in outages:
        seen.setdefault(outage.sensor, outage)
    return [
        Problem(
            check="sensor_offline",
            name=o.sensor,
            state=State.DEGRADED,
            detail=f"sensor {o.sensor} offline since {o.since:%Y-%m-%d %H:%M:%S}Z"
            + (f": {o.reason}" if o.reason else ""),
        )
        for o in seen.values()
    ]


class HealthCheck:
    """Runs the checks, at most once per `cache_s` however often it is asked (the open
    endpoint must not become a way to load the database)."""

    def __init__(
        self,
        pool: ConnectionPool,
        *,
        broker_connected: Callable[[], bool],
        board: ComponentBoard,
        timescale: bool,
        clock: Clock,
        stale_after_s: float,
        expected_roles: Iterable[str],
        cache_s: float = 2.0,
        query_timeout_s: float = 2.0,
    ) -> None:
        self._pool = pool
        self._broker_connected = broker_connected
        self._board = board
        self._timescale = timescale
        self._clock = clock
        self._stale_after_s = stale_after_s
        self._expected_roles = tuple(expected_roles)
        self._cache_s = cache_s
        self._timeout_s = query_timeout_s
        self._lock = threading.Lock()
        self._cached: tuple[float, HealthReport] | None = None

    def report(self) -> HealthReport:
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < self._cache_s:
                return self._cached[1]
            report = self._check()
            self._cached = (time.monotonic(), report)
            return report

    def _check(self) -> HealthReport:
        now = self._clock()
        problems: list[Problem] = []
        broker = self._broker_connected()
        if not broker:
            problems.append(
                Problem(
                    check="broker",
                    name="broker",
                    state=State.DOWN,
                    detail="not connected to the MQTT broker (reconnecting)",
                )
            )
        database, jobs, outages = self._store(problems)
        if database:
            problems.extend(sensor_problems(outages or ()))
            problems.extend(job_problems(jobs or ()))
        states = self._board.snapshot()
        problems.extend(
            component_problems(
                states,
                now,
                stale_after_s=self._stale_after_s,
                expected_roles=self._expected_roles,
            )
        )
        return HealthReport(
            status=overall(problems),
            checked_at=now,
            database=database,
            broker=broker,
            problems=problems,
            components=[_view(s, now) for s in states],
            timescaledb_jobs=None if jobs is None else len(jobs),
            sensors_offline=None if outages is None else len({o.sensor for o in outages}),
        )

    def _store(
        self, problems: list[Problem]
    ) -> tuple[bool, list[JobRun] | None, list[SensorOutage] | None]:
        try:
            with self._pool.connection(timeout=self._timeout_s) as conn:
                timeout_ms = str(int(self._timeout_s * 1000))
                conn.execute("SELECT set_config('statement_timeout', %s, true)", (timeout_ms,))
                conn.execute("SELECT 1")
                outages = self._read(
                    problems, "sensor_outages", health_repo.open_sensor_outages, conn
                )
                jobs = (
                    self._read(problems, "timescaledb_jobs", health_repo.timescale_jobs, conn)
                    if self._timescale
                    else None
                )
                conn.rollback()
        except Exception as exc:
            problems.append(
                Problem(
                    check="database",
                    name="database",
                    state=State.DOWN,
                    detail=f"PostgreSQL unreachable: {type(exc).__name__}",
                )
            )
            return False, None, None
        return True, jobs, outages

    def _read(
        self,
        problems: list[Problem],
        what: str,
        query: Callable[[Conn], list[Row]],
        conn: Conn,
    ) -> list[Row] | None:
        """A query that fails (a permission, an old TimescaleDB) is a problem of its own, not
        a reason to report the rest as fine or the database as down."""
        try:
            with conn.transaction():
                return query(conn)
        except Exception as exc:
            log.warning("health query failed", what=what, error=str(exc))
            problems.append(
                Problem(
                    check="store_query",
                    name=what,
                    state=State.DEGRADED,
                    detail=f"could not read {what}: {exc}",
                )
            )
            return None


def _view(state: ComponentState, now: datetime) -> ComponentView:
    age = None if state.last_beat is None else round((now - state.last_beat).total_seconds(), 1)
    return ComponentView(
        component=state.component,
        roles=state.roles,
        online=state.online,
        heartbeat_age_s=age,
    )


class HealthCollector(Collector):
    """The same report as gauges at scrape time, for alerting rules (docs/operations.md)."""

    def __init__(self, check: HealthCheck) -> None:
        self._check = check

    def collect(self) -> Iterator[Metric]:
        report = self._check.report()
        status = GaugeMetricFamily(
            "shorewatch_health_status",
            "1 for the current state (ok, degraded, down), 0 for the others.",
            labels=["state"],
        )
        for state in State:
            status.add_metric([state.value], 1.0 if report.status is state else 0.0)
        yield status
        yield GaugeMetricFamily(
            "shorewatch_health_database_up",
            "1 when PostgreSQL answered the health check.",
            value=float(report.database),
        )
        yield GaugeMetricFamily(
            "shorewatch_health_broker_connected",
            "1 when this process is connected to the MQTT broker.",
            value=float(report.broker),
        )
        online = GaugeMetricFamily(
            "shorewatch_component_online",
            "1 when a process's retained status says online.",
            labels=["component"],
        )
        age = GaugeMetricFamily(
            "shorewatch_component_heartbeat_age_seconds",
            "Seconds since a process's last heartbeat.",
            labels=["component"],
        )
        for view in report.components:
            online.add_metric([view.component], float(view.online))
            if view.heartbeat_age_s is not None:
                age.add_metric([view.component], view.heartbeat_age_s)
        yield online
        yield age
        failed = GaugeMetricFamily(
            "shorewatch_timescaledb_job_failed",
            "1 for each TimescaleDB background job whose last run failed.",
            labels=["job"],
        )
        offline = GaugeMetricFamily(
            "shorewatch_sensor_offline",
            "1 for each sensor with an open sensor_offline episode.",
            labels=["sensor"],
        )
        problems = GaugeMetricFamily(
            "shorewatch_health_problems",
            "Problems health reports, by check.",
            labels=["check"],
        )
        counts: dict[str, int] = {}
        for problem in report.problems:
            counts[problem.check] = counts.get(problem.check, 0) + 1
            if problem.check == "timescaledb_job":
                failed.add_metric([problem.name], 1.0)
            elif problem.check == "sensor_offline":
                offline.add_metric([problem.name], 1.0)
        for check, count in sorted(counts.items()):
            problems.add_metric([check], float(count))
        yield failed
        yield offline
        yield problems
