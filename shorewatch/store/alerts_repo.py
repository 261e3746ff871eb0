"""Alerts and their append-only history, as rows in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg.types.json import Jsonb

from shorewatch.events import OPEN_STATES, Alert, AlertState, AuditEntry, EventKind, Level
from shorewatch.store.timeseries import Conn

COLUMNS = (
    "id",
    "kind",
    "target",
    "score",
    "level",
    "factors",
    "state",
    "lat",
    "lon",
    "zone",
    "jurisdiction",
    "event_ids",
    "event_count",
    "created_at",
    "updated_at",
    "acknowledged_by",
    "outcome",
    "acknowledged_at",
    "dispatched_at",
    "resolved_at",
    "reviewed_at",
    "escalations",
    "escalated_at",
    "silenced",
    "jurisdictions",
    "unsilenced_at",
)
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM alerts"
_OPEN = tuple(s.value for s in OPEN_STATES)
# The reads of open alerts that run on every batch or sweep are planned on every execution
# (`prepare=False`), with the open states written into the SQL: psycopg prepares a statement
# after five runs, and PostgreSQL then keeps the generic plan it made once. Made while the
# table was small, that plan was a sequential scan, kept while the table grew to hundreds of
# thousands of alerts (the alerts worker fell behind at 2,000 events/s within seconds); with
# `state = ANY($2)` no generic plan could use the partial indexes of open alerts at all.
_IS_OPEN = f"state IN ({', '.join(repr(v) for v in sorted(_OPEN))})"
OPEN_FOR_TARGETS = f"{_SELECT} WHERE target = ANY(%s) AND {_IS_OPEN} ORDER BY id FOR UPDATE"
OPEN_SILENCED = f"{_SELECT} WHERE silenced AND {_IS_OPEN} ORDER BY id"
OPEN_ALL = f"{_SELECT} WHERE {_IS_OPEN} ORDER BY id"
AWAITING_ACK = (
    f"{_SELECT} WHERE level = %s AND state = 'new' AND NOT silenced AND created_at <= %s "
    "AND COALESCE(escalated_at, created_at) <= %s ORDER BY created_at, id FOR UPDATE SKIP LOCKED"
)


# The column types, for rows sent as one JSON document (`jsonb_to_recordset`): one parameter
# whatever the batch size, so the statement's text (and its plan) is the same every time.
_TYPES = {
    "id": "uuid",
    "score": "float8",
    "factors": "jsonb",
    "lat": "float8",
    "lon": "float8",
    "event_ids": "uuid[]",
    "event_count": "int",
    "escalations": "int",
    "silenced": "bool",
    "jurisdictions": "text[]",
}
_TIMES = {c for c in COLUMNS if c.endswith("_at")}
_RECORD = ", ".join(
    f"{c} {_TYPES.get(c, 'timestamptz' if c in _TIMES else 'text')}" for c in COLUMNS
)
SAVE_MANY = (
    f"INSERT INTO alerts ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
    f"FROM jsonb_to_recordset(%s) AS r({_RECORD}) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in COLUMNS[1:])}"
)
RECORD_MANY = """
INSERT INTO alert_history (alert_id, at, actor, action, from_state, to_state, note)
SELECT alert_id, at, actor, action, from_state, to_state, note
FROM ROWS FROM (jsonb_to_recordset(%s) AS (alert_id uuid, at timestamptz, actor text,
    action text, from_state text, to_state text, note text)) WITH ORDINALITY
    AS r (alert_id, at, actor, action, from_state, to_state, note, n)
ORDER BY n
"""


@dataclass(frozen=True)
class HistoryRow:
    """One audit line to append (`AlertsRepo.record_many`)."""

    alert_id: uuid.UUID
    actor: str
    action: str
    from_state: AlertState | None
    to_state: AlertState
    note: str
    at: datetime


def _alert(row: tuple[object, ...]) -> Alert:
    return Alert.model_validate(dict(zip(COLUMNS, row, strict=True)))


def _values(alert: Alert) -> tuple[object, ...]:
    return (
        alert.id,
        alert.kind.value,
        alert.target,
        alert.score,
        alert.level.value,
        Jsonb([f.model_dump() for f in alert.factors]),
        alert.state.value,
        alert.lat,
        alert.lon,
        alert.zone,
        alert.jurisdiction,
        list(alert.event_ids),
        alert.event_count,
        alert.created_at,
        alert.updated_at,
        alert.acknowledged_by,
        alert.outcome.value if alert.outcome else None,
        alert.acknowledged_at,
        alert.dispatched_at,
        alert.resolved_at,
        alert.reviewed_at,
        alert.escalations,
        alert.escalated_at,
        alert.silenced,
        sorted(alert.all_jurisdictions()),
        alert.unsilenced_at,
    )


def _json_row(alert: Alert) -> dict[str, object]:
    """The alert's row as `_values` has it, in JSON (for `SAVE_MANY`)."""
    row: dict[str, object] = alert.model_dump(mode="json", include=set(COLUMNS))
    row["jurisdictions"] = sorted(alert.all_jurisdictions())
    return row


class AlertsRepo:
    def open_for(self, conn: Conn, target: str, kind: EventKind) -> Alert | None:
        """The open alert for a target and kind, locked for the caller's transaction."""
        row = conn.execute(
            f"{_SELECT} WHERE target = %s AND kind = %s AND {_IS_OPEN} FOR UPDATE",
            (target, kind.value),
        ).fetchone()
        return _alert(row) if row else None

    def open_for_targets(self, conn: Conn, targets: list[str]) -> list[Alert]:
        """Every open alert of these targets, locked in id order (no deadlock between two
        processes folding events of the same target)."""
        rows = conn.execute(OPEN_FOR_TARGETS, (targets,), prepare=False).fetchall()
        return [_alert(r) for r in rows]

    def awaiting_ack(self, conn: Conn, waited_since: Mapping[Level, datetime]) -> list[Alert]:
        """New, unsilenced alerts of these levels that have waited (since they opened or last
        escalated) from `waited_since[level]` or earlier, so may be due; locked, rows another
        sweeper holds skipped rather than waited for. Those not yet due are not read at all:
        one range scan of the index of new alerts per level (`AWAITING_ACK`; joined to the
        levels in one statement, PostgreSQL read every new alert instead: 92 ms at 240,000)."""
        found: list[Alert] = []
        for level, since in waited_since.items():
            rows = conn.execute(AWAITING_ACK, (level.value, since, since), prepare=False).fetchall()
            found.extend(_alert(r) for r in rows)
        return sorted(found, key=lambda a: (a.created_at, str(a.id)))

    def open_to_resilence(self, conn: Conn, *, include_loud: bool) -> list[Alert]:
        """Open alerts whose silencing may change, unlocked: the silenced ones, and with
        `include_loud` (some silence is in force) the others too."""
        rows = conn.execute(OPEN_ALL if include_loud else OPEN_SILENCED, prepare=False).fetchall()
        return [_alert(r) for r in rows]

    def lock_if_free(self, conn: Conn, alert_id: uuid.UUID) -> Alert | None:
        """The alert, locked for the caller's transaction; None when another transaction
        holds it (it is not waited for) or it is gone."""
        row = conn.execute(
            f"{_SELECT} WHERE id = %s FOR UPDATE SKIP LOCKED", (alert_id,)
        ).fetchone()
        return _alert(row) if row else None

    def get(self, conn: Conn, alert_id: uuid.UUID, *, lock: bool = False) -> Alert | None:
        suffix = " FOR UPDATE" if lock else ""
        row = conn.execute(f"{_SELECT} WHERE id = %s{suffix}", (alert_id,)).fetchone()
        return _alert(row) if row else None

    def insert(self, conn: Conn, alert: Alert) -> None:
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        conn.execute(
            f"INSERT INTO alerts ({', '.join(COLUMNS)}) VALUES ({placeholders})", _values(alert)
        )

    def update(self, conn: Conn, alert: Alert) -> None:
        assignments = ", ".join(f"{c} = %s" for c in COLUMNS[1:])
        conn.execute(
            f"UPDATE alerts SET {assignments} WHERE id = %s", (*_values(alert)[1:], alert.id)
        )

    def save_many(self, conn: Conn, alerts: Sequence[Alert]) -> None:
        """Insert the new ones and overwrite the others (each id once), in one statement."""
        if alerts:
            conn.execute(SAVE_MANY, (Jsonb([_json_row(a) for a in alerts]),))

    def record_many(self, conn: Conn, rows: Sequence[HistoryRow]) -> None:
        """Append audit lines in one statement; their ids follow the order given."""
        if not rows:
            return
        lines = [
            {
                "alert_id": str(r.alert_id),
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "from_state": r.from_state.value if r.from_state else None,
                "to_state": r.to_state.value,
                "note": r.note,
            }
            for r in rows
        ]
        conn.execute(RECORD_MANY, (Jsonb(lines),))

    def record(
        self,
        conn: Conn,
        alert_id: uuid.UUID,
        *,
        actor: str,
        action: str,
        from_state: AlertState | None,
        to_state: AlertState,
        note: str = "",
        at: datetime | None = None,
    ) -> None:
        conn.execute(
            "INSERT INTO alert_history (alert_id, at, actor, action, from_state, to_state, note) "
            "VALUES (%s, COALESCE(%s, now()), %s, %s, %s, %s, %s)",
            (
                alert_id,
                at,
                actor,
                action,
                from_state.value if from_state else None,
                to_state.value,
                note,
            ),
        )

    def history(self, conn: Conn, alert_id: uuid.UUID) -> list[AuditEntry]:
        rows = conn.execute(
            "SELECT at, actor, action, from_state, to_state, note FROM alert_history "
            "WHERE alert_id = %s ORDER BY id",
            (alert_id,),
        ).fetchall()
        keys = ("at", "actor", "action", "from_state", "to_state", "note")
        return [AuditEntry.model_validate(dict(zip(keys, r, strict=True))) for r in rows]

    def search(
        self,
        conn: Conn,
        *,
        states: list[AlertState] | None = None,
        levels: list[Level] | None = None,
        kind: EventKind | None = None,
        limit: int = 100,
        offset: int = 0,
        areas: frozenset[str] | None = None,
    ) -> list[Alert]:
        """`areas`: only alerts seen there, i.e. whose target has been in one of these
        jurisdictions while the alert was open (None: no area restriction). Filtered in the
        query, so `limit` and `offset` count what the caller sees."""
        clauses: list[str] = []
        params: list[object] = []
        if areas is not None:
            clauses.append("jurisdictions && %s::text[]")
            params.append(sorted(areas))
        if states:
            clauses.append("state = ANY(%s)")
            params.append([s.value for s in states])
        if levels:
            clauses.append("level = ANY(%s)")
            params.append([lv.value for lv in levels])
        if kind:
            clauses.append("kind = %s")
            params.append(kind.value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = conn.execute(
            f"{_SELECT}{where} ORDER BY updated_at DESC, id LIMIT %s OFFSET %s",
            (*params, limit, offset),
        ).fetchall()
        return [_alert(r) for r in rows]
