"""What the writer's binary COPY stores, against real PostgreSQL: every field back exactly as
given (NULLs, empty text, bbox arrays, extreme floats and times), and the same rows a plain
parameterised INSERT stores for the same observations."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from psycopg_pool import ConnectionPool

from shorewatch.config.site import StoreConfig
from shorewatch.events import Observation, Source
from shorewatch.metrics import Metrics
from shorewatch.store.migrations import series_mode_of
from shorewatch.store.writer import _COLS, OBS_COLUMNS, ObservationWriter, _obs_row

BIG = 1.7976931348623157e308
TINY = 5e-324  # the smallest subnormal double


@pytest.fixture
def pool(migrated_pool: ConnectionPool) -> ConnectionPool:
    return migrated_pool


def _cases() -> list[Observation]:
    t = datetime(2026, 11, 20, 12, 0, 0, 123456, tzinfo=UTC)
    bare = {"source": Source.AIS, "sensor_id": "rx", "time": t, "lat": 58.0, "lon": 11.0}
    return [
        Observation(target_ref="nulls", **bare),
        Observation(
            source=Source.RADAR,
            sensor_id="s" * 64,
            target_ref="extremes",
            time=datetime(2026, 11, 20, 17, 30, 0, 999999, tzinfo=timezone(timedelta(hours=5.5))),
            lat=-90.0,
            lon=180.0,
            sog_kn=TINY,
            cog_deg=math.nextafter(360.0, 0.0),
            heading_deg=0.0,
            length_m=600.0,
            label="",
            confidence=1e-300,
            bbox=(-BIG, TINY, -0.0, BIG),
        ),
        Observation(
            source=Source.CAMERA,
            sensor_id="cam-Ålesund",
            target_ref="text",
            time=t + timedelta(microseconds=1),
            lat=90.0,
            lon=-180.0,
            sog_kn=200.0,
            label='tab\there, "quoted", back\\slash, new\nline, 🚢',
            confidence=1.0,
            bbox=(0.1, 0.2, math.inf, -math.inf),
        ),
        Observation(
            target_ref="far-past",
            **{**bare, "time": datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=1)},
        ),
    ]


def test_binary_copy_stores_every_field_as_given(pool: ConnectionPool) -> None:
    with pool.connection() as conn:
        mode = series_mode_of(conn)
    cases = _cases()
    writer = ObservationWriter(pool, StoreConfig(), Metrics(), mode)
    assert writer.write_batch(cases) == len(cases)
    with pool.connection() as conn:
        rows = conn.execute(f"SELECT {_COLS} FROM observations").fetchall()
    stored = {
        row[3]: Observation(
            **{c: v for c, v in zip(OBS_COLUMNS, row, strict=True) if v is not None}
        )
        for row in rows
    }
    assert stored == {o.target_ref: o for o in cases}
    extremes = stored["extremes"]
    assert extremes.label == ""  # empty text stays empty, not NULL
    assert extremes.bbox is not None
    assert math.copysign(1.0, extremes.bbox[2]) == -1.0  # -0.0 keeps its sign
    assert stored["nulls"].bbox is None
    assert stored["nulls"].label is None


def test_binary_copy_stores_the_rows_a_plain_insert_does(pool: ConnectionPool) -> None:
    """The same observations through the writer and through executemany INSERT (text
    parameters, no COPY) into a twin table: no row differs, either way round."""
    with pool.connection() as conn:
        mode = series_mode_of(conn)
        conn.execute("CREATE TABLE reference (LIKE observations INCLUDING DEFAULTS)")
    cases = _cases()
    ObservationWriter(pool, StoreConfig(), Metrics(), mode).write_batch(cases)
    marks = ", ".join(["%s"] * len(OBS_COLUMNS))
    with pool.connection() as conn:
        conn.cursor().executemany(
            f"INSERT INTO reference ({_COLS}) VALUES ({marks})", [_obs_row(o) for o in cases]
        )
        differ = conn.execute(
            f"(SELECT {_COLS} FROM observations EXCEPT ALL SELECT {_COLS} FROM reference) "
            f"UNION ALL (SELECT {_COLS} FROM reference EXCEPT ALL SELECT {_COLS} FROM observations)"
        ).fetchall()
        count = conn.execute("SELECT count(*) FROM observations").fetchone()
    assert differ == []
    assert count == (len(cases),)
