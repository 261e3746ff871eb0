"""What the store knows about the service's health: TimescaleDB's background jobs and the
sensors whose `sensor_offline` episode is still open.

Read by the API's health check, never written: the jobs are TimescaleDB's own (compression,
retention, the continuous aggregate), the episodes are the detector's and the cameras'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shorewatch.events import EventKind
from shorewatch.store.timeseries import Conn


@dataclass(frozen=True)
class JobRun:
    """One TimescaleDB background job and how its last run ended."""

    job_id: int
    name: str
    """`proc_name` (policy_compression, policy_retention, policy_refresh_continuous_aggregate…)."""
    target: str | None
    """The hypertable the job works on, if any."""
    last_status: str | None
    """`Success`, `Failed`, or None when it has not run yet."""
    last_started: datetime | None
    last_success: datetime | None
    total_failures: int
    error: str | None
    """The newest recorded error of the job, when TimescaleDB kept one."""


@dataclass(frozen=True)
class SensorOutage:
    sensor: str
    since: datetime
    reason: str | None


_JOBS = """
SELECT s.job_id, j.proc_name, s.hypertable_name, s.last_run_status,
       CASE WHEN isfinite(s.last_run_started_at) THEN s.last_run_started_at END,
       CASE WHEN isfinite(s.last_successful_finish) THEN s.last_successful_finish END,
       s.total_failures
FROM timescaledb_information.job_stats s
JOIN timescaledb_information.jobs j ON j.job_id = s.job_id
ORDER BY s.job_id
"""
# A job that never succeeded has `-infinity` as its last success, which Python cannot hold.
# 2.15 and later log runs in job_history (failures always, successes when asked); older
# releases keep errors in job_errors. Both name the error the same way.
_ERRORS_FROM_HISTORY = """
SELECT DISTINCT ON (job_id) job_id, err_message
FROM timescaledb_information.job_history WHERE NOT succeeded
ORDER BY job_id, start_time DESC NULLS LAST
"""
_ERRORS_FROM_ERRORS = """
SELECT DISTINCT ON (job_id) job_id, err_message
FROM timescaledb_information.job_errors
ORDER BY job_id, start_time DESC NULLS LAST
"""


def timescale_jobs(conn: Conn) -> list[JobRun]:
    """Every background job of this database with its last outcome and newest error."""
    errors: dict[int, str] = {}
    for view, query in (("job_history", _ERRORS_FROM_HISTORY), ("job_errors", _ERRORS_FROM_ERRORS)):
        present = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (f"timescaledb_information.{view}",)
        ).fetchone()
        if present and present[0]:
            errors = {int(str(r[0])): str(r[1]) for r in conn.execute(query) if r[1] is not None}
            break
    runs = []
    for job_id, name, target, status, started, success, failures in conn.execute(_JOBS):
        ident = int(str(job_id))
        runs.append(
            JobRun(
                job_id=ident,
                name=str(name),
                target=None if target is None else str(target),
                last_status=None if status is None else str(status),
                last_started=_time(started),
                last_success=_time(success),
                total_failures=int(str(failures or 0)),
                error=errors.get(ident),
            )
        )
    return runs


def open_sensor_outages(conn: Conn, limit: int = 100) -> list[SensorOutage]:
    """Sensors whose `sensor_offline` episode has a start and no end yet, oldest first."""
    rows = conn.execute(
        """SELECT coalesce(facts->>'sensor', targets[1]), start, facts->>'reason'
        FROM events WHERE kind = %s AND "end" IS NULL ORDER BY start LIMIT %s""",
        (EventKind.SENSOR_OFFLINE.value, limit),
    ).fetchall()
    return [
        SensorOutage(
            sensor=str(sensor),
            since=since if isinstance(since, datetime) else datetime.fromisoformat(str(since)),
            reason=None if reason is None else str(reason),
        )
        for sensor, since, reason in rows
    ]


def _time(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None
