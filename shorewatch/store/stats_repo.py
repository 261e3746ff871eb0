"""Statistics per jurisdiction: how many alerts of each level and outcome, and how long
operators took to acknowledge, dispatch and resolve them (median and 90th percentile).

Times are measured from the alert's creation to the first time it reached each state
(`acknowledged_at`, `dispatched_at`, `resolved_at`, stamped by the lifecycle); alerts that never
reached a state do not count towards its times.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shorewatch.store.timeseries import Conn

_STEPS = ("acknowledged_at", "dispatched_at", "resolved_at")


class Durations(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = Field(ge=0, description="Alerts that reached this state.")
    median_s: float | None = None
    p90_s: float | None = None


class LevelCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    red: int = 0
    orange: int = 0
    yellow: int = 0
    blue: int = 0


class OutcomeCounts(BaseModel):
    """Resolved alerts by outcome (`Outcome`); open ones are in none of these."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    confirmed: int = 0
    false_alarm: int = 0
    benign: int = 0


class JurisdictionStats(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdiction: str | None
    """None: alerts outside every jurisdiction (seen only by unrestricted callers)."""
    alerts: int
    by_level: LevelCounts
    by_outcome: OutcomeCounts
    time_to_acknowledge: Durations
    time_to_dispatch: Durations
    time_to_resolve: Durations


class Stats(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-10-21T00:00:00Z",
                    "end": "2026-11-20T00:00:00Z",
                    "jurisdictions": [
                        {
                            "jurisdiction": "lysekil",
                            "alerts": 14,
                            "by_level": {"red": 2, "orange": 5, "yellow": 4, "blue": 3},
                            "by_outcome": {"confirmed": 3, "false_alarm": 6, "benign": 2},
                            "time_to_acknowledge": {"count": 13, "median_s": 42.0, "p90_s": 118.5},
                            "time_to_dispatch": {"count": 6, "median_s": 240.0, "p90_s": 610.0},
                            "time_to_resolve": {"count": 11, "median_s": 3120.0, "p90_s": 7400.0},
                        }
                    ],
                }
            ]
        },
    )

    start: AwareDatetime
    end: AwareDatetime
    jurisdictions: list[JurisdictionStats]


def _percentiles(column: str) -> str:
    seconds = f"extract(epoch FROM {column} - created_at)::float8"
    return (
        f"count({column}), "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {seconds}), "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {seconds})"
    )


_TOTALS = f"""
SELECT jurisdiction, count(*),
       count(*) FILTER (WHERE level = 'red'), count(*) FILTER (WHERE level = 'orange'),
       count(*) FILTER (WHERE level = 'yellow'), count(*) FILTER (WHERE level = 'blue'),
       {", ".join(_percentiles(step) for step in _STEPS)}
FROM alerts WHERE {{where}} GROUP BY jurisdiction
"""
_OUTCOMES = """
SELECT jurisdiction, outcome, count(*) FROM alerts
WHERE {where} AND outcome IS NOT NULL GROUP BY jurisdiction, outcome
"""


def _durations(values: tuple[object, ...]) -> Durations:
    count, median, p90 = values
    return Durations.model_validate({"count": count, "median_s": median, "p90_s": p90})


def alert_stats(
    conn: Conn, start: datetime, end: datetime, *, areas: frozenset[str] | None
) -> Stats:
    """Alerts created in [start, end); `areas` as `Principal.areas` (None: every jurisdiction,
    and alerts outside all of them)."""
    where = "created_at >= %s AND created_at < %s"
    params: list[object] = [start, end]
    if areas is not None:
        where += " AND jurisdiction = ANY(%s)"
        params.append(sorted(areas))
    outcomes: dict[str | None, dict[str, object]] = {}
    for jurisdiction, outcome, count in conn.execute(
        _OUTCOMES.format(where=where), params
    ).fetchall():
        outcomes.setdefault(_text(jurisdiction), {})[str(outcome)] = count
    rows = conn.execute(_TOTALS.format(where=where), params).fetchall()
    result = []
    for row in sorted(rows, key=lambda r: (r[0] is not None, str(r[0]))):
        jurisdiction = _text(row[0])
        result.append(
            JurisdictionStats(
                jurisdiction=jurisdiction,
                alerts=int(str(row[1])),
                by_level=LevelCounts.model_validate(
                    dict(zip(LevelCounts.model_fields, row[2:6], strict=True))
                ),
                by_outcome=OutcomeCounts.model_validate(outcomes.get(jurisdiction, {})),
                time_to_acknowledge=_durations(row[6:9]),
                time_to_dispatch=_durations(row[9:12]),
                time_to_resolve=_durations(row[12:15]),
            )
        )
    return Stats(start=start, end=end, jurisdictions=result)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
