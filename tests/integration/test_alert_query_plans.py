"""The alerts worker's reads stay index lookups once psycopg has prepared them (issue 12,
acceptance 2): a prepared statement soon runs on a generic plan, which can use a partial index
only when its WHERE clause implies the index's predicate without the parameters' values. With
the open states passed as a parameter, reading a batch's open alerts was a sequential scan of
every alert ever raised: the worker slowed down as the table grew (bench/alerts.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from shorewatch.config.site import StoreConfig
from shorewatch.store.alerts_repo import AWAITING_ACK, OPEN_FOR_TARGETS, OPEN_SILENCED
from shorewatch.store.db import open_pool
from shorewatch.store.migrations import migrate


@pytest.fixture
def conn(dsn: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    pool = open_pool(dsn)
    migrate(pool, StoreConfig())
    pool.close()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO alerts (id, kind, target, score, level, factors, state, lat, lon, "
            "event_ids, event_count, created_at, updated_at) "
            "SELECT gen_random_uuid(), 'zone_entry', 'plan:' || g, 50, 'yellow', '[]', "
            "CASE WHEN g % 10 = 0 THEN 'new' ELSE 'resolved' END, 58, 11, "
            "ARRAY[gen_random_uuid()], 1, now(), now() FROM generate_series(1, 20000) g"
        )
        connection.execute("ANALYZE alerts")
        connection.execute("SET plan_cache_mode = force_generic_plan")
        yield connection


def _scans(plan: dict[str, object]) -> list[str]:
    """Every node type of a plan tree, with the relation it reads where it reads one."""
    found = [f"{plan['Node Type']} {plan.get('Relation Name', '')}".strip()]
    children = plan.get("Plans", [])
    assert isinstance(children, list)
    for child in children:
        found.extend(_scans(child))
    return found


def _generic_plan(conn: psycopg.Connection[tuple[object, ...]], sql: str, args: str) -> list[str]:
    numbered = sql
    n = 0
    while "%s" in numbered:
        n += 1
        numbered = numbered.replace("%s", f"${n}", 1)
    types = "(" + ", ".join(["text[]"] * n) + ")" if n else ""
    conn.execute(f"PREPARE planned{types} AS {numbered}")
    row = conn.execute(f"EXPLAIN (FORMAT JSON) EXECUTE planned{args}").fetchone()
    conn.execute("DEALLOCATE planned")
    assert row is not None
    document = row[0] if isinstance(row[0], list) else json.loads(str(row[0]))
    return _scans(document[0]["Plan"])


def test_a_batch_reads_its_targets_open_alerts_by_index(
    conn: psycopg.Connection[tuple[object, ...]],
) -> None:
    nodes = _generic_plan(conn, OPEN_FOR_TARGETS, "(ARRAY['plan:10', 'plan:20'])")
    assert "Seq Scan alerts" not in nodes, nodes
    assert "Index Scan alerts" in nodes, nodes


def test_the_silence_sweep_reads_silenced_open_alerts_by_index(
    conn: psycopg.Connection[tuple[object, ...]],
) -> None:
    nodes = _generic_plan(conn, OPEN_SILENCED, "")
    assert "Seq Scan alerts" not in nodes, nodes


def test_the_escalation_sweep_reads_only_alerts_that_may_be_due(
    conn: psycopg.Connection[tuple[object, ...]],
) -> None:
    """Every 5 s, with thousands of fresh unacknowledged alerts and none yet due: one range
    scan of the index of new alerts per level, whichever plan the prepared statement runs on
    (joined to the levels in one statement it read every new alert, 92 ms at 240,000)."""
    conn.execute("RESET plan_cache_mode")
    conn.execute("UPDATE alerts SET created_at = now() - (random() * 120 || ' s')::interval")
    conn.execute("ANALYZE alerts")
    numbered = AWAITING_ACK.replace("%s", "$1", 1).replace("%s", "$2", 1).replace("%s", "$3", 1)
    conn.execute(f"PREPARE sweep(text, timestamptz, timestamptz) AS {numbered}")
    args = "('yellow', now() - interval '30 minutes', now() - interval '30 minutes')"
    for _ in range(8):  # past the five custom plans after which a generic one may be chosen
        assert conn.execute(f"EXECUTE sweep{args}").fetchall() == []
    row = conn.execute(f"EXPLAIN (FORMAT JSON) EXECUTE sweep{args}").fetchone()
    assert row is not None
    document = row[0] if isinstance(row[0], list) else json.loads(str(row[0]))
    nodes = _scans(document[0]["Plan"])
    assert "Seq Scan alerts" not in nodes, nodes
