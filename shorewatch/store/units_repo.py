"""Patrol units, their assignments to alerts and their tracks, as rows in PostgreSQL.

Positions go to the time-series table `unit_positions` (idempotent on unit and time, so the
same fix arriving by API and by MQTT lands once) and the newest one is kept on the unit row,
where dispatch suggestions read it without scanning the track.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shorewatch.config.site import StoreConfig
from shorewatch.config.units import UnitSpec
from shorewatch.events import UnitKind, UnitPosition, UnitState
from shorewatch.store import timeseries
from shorewatch.store.timeseries import Conn

SPEC_COLUMNS = (
    "id",
    "name",
    "kind",
    "unit_type",
    "home_lat",
    "home_lon",
    "max_speed_kn",
    "max_speed_kmh",
    "jurisdiction",
    "webhook_url",
)
STATE_COLUMNS = ("state", "current_alert", "updated_at")
FIX_COLUMNS = ("fix_at", "fix_lat", "fix_lon", "fix_sog_kn", "fix_cog_deg")
_SELECT = f"SELECT {', '.join(SPEC_COLUMNS + STATE_COLUMNS + FIX_COLUMNS)} FROM units"
ASSIGNMENT_COLUMNS = (
    "id",
    "alert_id",
    "unit_id",
    "assigned_by",
    "assigned_at",
    "note",
    "distance_m",
    "eta_s",
    "notified_at",
    "arrived_at",
    "released_at",
    "release_reason",
)
_SELECT_ASSIGNMENT = f"SELECT {', '.join(ASSIGNMENT_COLUMNS)} FROM unit_assignments"


class UnitFix(BaseModel):
    """The unit's newest reported position."""

    model_config = ConfigDict(frozen=True)

    time: AwareDatetime
    lat: float
    lon: float
    sog_kn: float | None = None
    cog_deg: float | None = None


class Unit(UnitSpec):
    """A unit as the centre sees it now: its declaration, state, alert and last fix."""

    state: UnitState
    current_alert: uuid.UUID | None
    updated_at: AwareDatetime
    position: UnitFix | None

    @property
    def origin(self) -> tuple[float, float]:
        """Where it would set out from: its last fix, else its home base."""
        if self.position is not None:
            return self.position.lat, self.position.lon
        return self.home_lat, self.home_lon


class Assignment(BaseModel):
    """One unit sent to one alert, with the times that measure the response."""

    model_config = ConfigDict(frozen=True)

    id: int
    alert_id: uuid.UUID
    unit_id: str
    assigned_by: str
    assigned_at: AwareDatetime
    note: str
    distance_m: float | None
    eta_s: float | None
    notified_at: AwareDatetime | None
    arrived_at: AwareDatetime | None
    released_at: AwareDatetime | None
    release_reason: str | None


def _unit(row: tuple[object, ...]) -> Unit:
    n_spec, n_state = len(SPEC_COLUMNS), len(STATE_COLUMNS)
    fields = dict(zip(SPEC_COLUMNS + STATE_COLUMNS, row[: n_spec + n_state], strict=True))
    fix_at, lat, lon, sog, cog = row[n_spec + n_state :]
    position = None
    if fix_at is not None:
        position = UnitFix.model_validate(
            {"time": fix_at, "lat": lat, "lon": lon, "sog_kn": sog, "cog_deg": cog}
        )
    return Unit.model_validate({**fields, "position": position})


def _assignment(row: tuple[object, ...]) -> Assignment:
    return Assignment.model_validate(dict(zip(ASSIGNMENT_COLUMNS, row, strict=True)))


def _spec_values(spec: UnitSpec) -> tuple[object, ...]:
    return (
        spec.id,
        spec.name,
        spec.kind.value,
        spec.unit_type,
        spec.home_lat,
        spec.home_lon,
        spec.max_speed_kn,
        spec.max_speed_kmh,
        spec.jurisdiction,
        spec.webhook_url,
    )


class UnitsRepo:
    def __init__(self, config: StoreConfig, series_mode: str) -> None:
        self._config = config
        self._partitioned = series_mode == timeseries.MODE_PARTITIONED

    def insert(self, conn: Conn, spec: UnitSpec) -> Unit | None:
        """A new unit, available; None when the id is taken."""
        placeholders = ", ".join(["%s"] * len(SPEC_COLUMNS))
        row = conn.execute(
            f"INSERT INTO units ({', '.join(SPEC_COLUMNS)}) VALUES ({placeholders}) "
            "ON CONFLICT (id) DO NOTHING RETURNING id",
            _spec_values(spec),
        ).fetchone()
        return None if row is None else self.get(conn, spec.id)

    def upsert(self, conn: Conn, spec: UnitSpec) -> None:
        """The YAML seed: declarations follow the file, state and position stay as they are."""
        placeholders = ", ".join(["%s"] * len(SPEC_COLUMNS))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in SPEC_COLUMNS[1:])
        conn.execute(
            f"INSERT INTO units ({', '.join(SPEC_COLUMNS)}) VALUES ({placeholders}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}, updated_at = now()",
            _spec_values(spec),
        )

    def get(self, conn: Conn, unit_id: str, *, lock: bool = False) -> Unit | None:
        suffix = " FOR UPDATE" if lock else ""
        row = conn.execute(f"{_SELECT} WHERE id = %s{suffix}", (unit_id,)).fetchone()
        return _unit(row) if row else None

    def search(
        self,
        conn: Conn,
        *,
        states: list[UnitState] | None = None,
        kinds: list[UnitKind] | None = None,
    ) -> list[Unit]:
        clauses: list[str] = []
        params: list[object] = []
        if states:
            clauses.append("state = ANY(%s)")
            params.append([s.value for s in states])
        if kinds:
            clauses.append("kind = ANY(%s)")
            params.append([k.value for k in kinds])
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = conn.execute(f"{_SELECT}{where} ORDER BY id", params).fetchall()
        return [_unit(r) for r in rows]

    def set_state(
        self,
        conn: Conn,
        unit_id: str,
        state: UnitState,
        current_alert: uuid.UUID | None,
        at: datetime,
    ) -> None:
        conn.execute(
            "UPDATE units SET state = %s, current_alert = %s, updated_at = %s WHERE id = %s",
            (state.value, current_alert, at, unit_id),
        )

    def record_position(self, conn: Conn, fix: UnitPosition) -> bool:
        """Store a fix of a known unit; False (nothing stored) for an unknown one."""
        if conn.execute("SELECT 1 FROM units WHERE id = %s", (fix.unit_id,)).fetchone() is None:
            return False
        if self._partitioned:
            start = timeseries.partition_start(fix.time, self._config.partition_days)
            timeseries.ensure_partitions(
                conn, "unit_positions", {start}, self._config.partition_days
            )
        conn.execute(
            "INSERT INTO unit_positions (time, unit_id, lat, lon, sog_kn, cog_deg) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (fix.time, fix.unit_id, fix.lat, fix.lon, fix.sog_kn, fix.cog_deg),
        )
        conn.execute(
            "UPDATE units SET fix_at = %s, fix_lat = %s, fix_lon = %s, fix_sog_kn = %s, "
            "fix_cog_deg = %s WHERE id = %s AND (fix_at IS NULL OR fix_at < %s)",
            (fix.time, fix.lat, fix.lon, fix.sog_kn, fix.cog_deg, fix.unit_id, fix.time),
        )
        return True

    def track(self, conn: Conn, unit_id: str, since: datetime, limit: int) -> list[UnitPosition]:
        rows = conn.execute(
            "SELECT time, lat, lon, sog_kn, cog_deg FROM unit_positions "
            "WHERE unit_id = %s AND time >= %s ORDER BY time LIMIT %s",
            (unit_id, since, limit),
        ).fetchall()
        keys = ("time", "lat", "lon", "sog_kn", "cog_deg")
        return [
            UnitPosition.model_validate({"unit_id": unit_id, **dict(zip(keys, r, strict=True))})
            for r in rows
        ]

    def assign(
        self,
        conn: Conn,
        *,
        alert_id: uuid.UUID,
        unit_id: str,
        assigned_by: str,
        at: datetime,
        note: str,
        distance_m: float | None,
        eta_s: float | None,
    ) -> Assignment:
        row = conn.execute(
            "INSERT INTO unit_assignments "
            "(alert_id, unit_id, assigned_by, assigned_at, note, distance_m, eta_s) "
            f"VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {', '.join(ASSIGNMENT_COLUMNS)}",
            (alert_id, unit_id, assigned_by, at, note, distance_m, eta_s),
        ).fetchone()
        assert row is not None
        return _assignment(row)

    def active_assignment(self, conn: Conn, unit_id: str) -> Assignment | None:
        row = conn.execute(
            f"{_SELECT_ASSIGNMENT} WHERE unit_id = %s AND released_at IS NULL", (unit_id,)
        ).fetchone()
        return _assignment(row) if row else None

    def for_alert(self, conn: Conn, alert_id: uuid.UUID) -> list[Assignment]:
        rows = conn.execute(
            f"{_SELECT_ASSIGNMENT} WHERE alert_id = %s ORDER BY id", (alert_id,)
        ).fetchall()
        return [_assignment(r) for r in rows]

    def mark_notified(self, conn: Conn, assignment_id: int, at: datetime) -> None:
        """The first channel that delivers sets it; later ones leave it."""
        conn.execute(
            "UPDATE unit_assignments SET notified_at = %s WHERE id = %s AND notified_at IS NULL",
            (at, assignment_id),
        )

    def mark_arrived(self, conn: Conn, unit_id: str, at: datetime) -> None:
        conn.execute(
            "UPDATE unit_assignments SET arrived_at = %s "
            "WHERE unit_id = %s AND released_at IS NULL AND arrived_at IS NULL",
            (at, unit_id),
        )

    def release(self, conn: Conn, unit_id: str, at: datetime, reason: str) -> None:
        conn.execute(
            "UPDATE unit_assignments SET released_at = %s, release_reason = %s "
            "WHERE unit_id = %s AND released_at IS NULL",
            (at, reason, unit_id),
        )

    def units_on(self, conn: Conn, alert_id: uuid.UUID) -> list[str]:
        """Units still working this alert, locked for the caller's transaction."""
        rows = conn.execute(
            "SELECT id FROM units WHERE current_alert = %s ORDER BY id FOR UPDATE", (alert_id,)
        ).fetchall()
        return [str(r[0]) for r in rows]
