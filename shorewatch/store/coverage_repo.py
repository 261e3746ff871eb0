"""Learned receiver coverage as rows: loaded by the detector at start, added to in batches.

One `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE` per flush adds every delta at
once (counts summed, first/last heard widened), so the cost is per flush, not per report.
Grids of another cell size stay apart (`cell_udeg`), so changing `coverage.learned.cell_deg`
starts a fresh grid instead of mixing two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from shorewatch.coverage import Cell, LearnedCell
from shorewatch.store.timeseries import Conn

LOAD = """
SELECT sensor_id, cell_row, cell_col, reports, first_heard, last_heard
FROM receiver_coverage WHERE cell_udeg = %s ORDER BY sensor_id, cell_row, cell_col
"""
ADD = """
INSERT INTO receiver_coverage
    (sensor_id, cell_udeg, cell_row, cell_col, reports, first_heard, last_heard)
SELECT s, %s, r, c, n, f, l
FROM unnest(%s::text[], %s::int[], %s::int[], %s::bigint[], %s::timestamptz[], %s::timestamptz[])
    AS d(s, r, c, n, f, l)
ON CONFLICT (sensor_id, cell_udeg, cell_row, cell_col) DO UPDATE SET
    reports = receiver_coverage.reports + EXCLUDED.reports,
    first_heard = least(receiver_coverage.first_heard, EXCLUDED.first_heard),
    last_heard = greatest(receiver_coverage.last_heard, EXCLUDED.last_heard)
"""


def cell_udeg(cell_deg: float) -> int:
    """The cell size as whole micro-degrees: an exact key for a float setting."""
    return round(cell_deg * 1_000_000)


@dataclass(frozen=True)
class _Row:
    sensor_id: str
    cell_row: int
    cell_col: int
    reports: int
    first_heard: datetime
    last_heard: datetime


def load(conn: Conn, cell_deg: float) -> list[LearnedCell]:
    with conn.cursor(row_factory=class_row(_Row)) as cur:
        rows = cur.execute(LOAD, (cell_udeg(cell_deg),)).fetchall()
    return [
        LearnedCell(
            r.sensor_id, Cell(r.cell_row, r.cell_col), r.reports, r.first_heard, r.last_heard
        )
        for r in rows
    ]


def add(conn: Conn, cell_deg: float, deltas: Sequence[LearnedCell]) -> None:
    """Add what was heard since the last flush (one statement; the caller commits)."""
    if not deltas:
        return
    conn.execute(
        ADD,
        (
            cell_udeg(cell_deg),
            [d.sensor_id for d in deltas],
            [d.cell.row for d in deltas],
            [d.cell.col for d in deltas],
            [d.reports for d in deltas],
            [d.first_heard for d in deltas],
            [d.last_heard for d in deltas],
        ),
    )
