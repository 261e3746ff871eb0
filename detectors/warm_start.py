"""A detector that restarts warm: recent tracks and open episodes rebuilt from the store.

Before it takes messages from the bus, the detector replays what the recorder stored (vessel
identities, then the observations of the last `detectors.warm_start_s`, reaching back to the
start of any episode the store holds open, within `state_ttl_s`) through its own worker with
publishing held. Rules are deterministic and episode ids derive from what an episode is, so the
replay rebuilds the same episodes under the same ids. Each rebuilt episode is then compared with
its stored row: one the store has in the same state (open, or closed at the same end) is not
published again, so no alert is re-raised; one it lacks or has in another state (a close or an
opening the crash kept from the bus) is published, so none is dropped.

What the store does not keep cannot be rebuilt: a radar's end-of-track (`TrackEnd`) is not
stored, so a number reused within `generations.silence_s` of a loss may join the old track.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import structlog
from psycopg_pool import ConnectionPool
from pydantic import ValidationError

from detectors.worker import DetectorWorker, EventSink
from shorewatch.config.site import DetectorConfig
from shorewatch.events import Message, Observation, VesselStatic
from shorewatch.store.timeseries import Conn
from shorewatch.store.writer import OBS_COLUMNS

log = structlog.get_logger(__name__)
ITERSIZE = 10_000

NEWEST = "SELECT max(time) FROM observations"
OPEN_SINCE = """SELECT min(start) FROM events WHERE "end" IS NULL AND start >= %s"""
VESSEL_COLUMNS = ("mmsi", "imo", "name", "callsign", "ship_type", "length_m", "beam_m")
VESSELS = f"""
SELECT {", ".join(VESSEL_COLUMNS)}, sensor_id, updated_at AS time
FROM vessels WHERE updated_at >= %s ORDER BY updated_at, mmsi
"""
OBSERVATIONS = f"""
SELECT {", ".join(OBS_COLUMNS)} FROM observations WHERE time >= %s AND time <= %s
ORDER BY time, source, sensor_id, target_ref
"""
STORED = """SELECT id, "end" FROM events WHERE id = ANY(%s)"""


def warm_start(
    worker: DetectorWorker,
    pool: ConnectionPool,
    config: DetectorConfig,
    publish: EventSink,
) -> int:
    """Rebuild `worker` from the store and publish what the store lacks (in one call);
    returns the number of observations replayed."""
    if config.warm_start_s <= 0:
        return 0
    with pool.connection() as conn:
        newest = conn.execute(NEWEST).fetchone()
        if newest is None or newest[0] is None:
            return 0
        until: datetime = newest[0]
        since = until - timedelta(seconds=config.warm_start_s)
        oldest = until - timedelta(seconds=config.state_ttl_s)
        row = conn.execute(OPEN_SINCE, (oldest,)).fetchone()
        if row is not None and row[0] is not None and row[0] < since:
            since = row[0]
        counted = [0]
        rebuilt = worker.rebuild(_messages(conn, since, until, oldest, counted))
        rows = conn.execute(STORED, ([e.id for e in rebuilt],)).fetchall()
    stored: dict[object, object] = {row[0]: row[1] for row in rows}
    news = [e for e in rebuilt if e.id not in stored or stored[e.id] != e.end]
    if news:
        publish(sorted(news, key=lambda e: (e.start, str(e.id))))
    log.info(
        "detector warm start",
        observations=counted[0],
        since=since.isoformat(),
        tracks=len(worker.fusion),
        episodes=len(rebuilt),
        published=len(news),
    )
    return counted[0]


def _messages(
    conn: Conn, since: datetime, until: datetime, statics_since: datetime, counted: list[int]
) -> Iterator[Message]:
    """Stored identities first (they only inform), then observations in time order. Times
    are read back in UTC: episode ids hash the start's ISO form, and must match the live run's."""
    for row in conn.execute(VESSELS, (statics_since,)).fetchall():
        try:
            yield VesselStatic.model_validate(_utc_row((*VESSEL_COLUMNS, "sensor_id", "time"), row))
        except ValidationError:
            log.warning("stored vessel skipped in warm start", mmsi=row[0])
    with conn.cursor(name="detector_warm_start") as cur:
        cur.itersize = ITERSIZE
        cur.execute(OBSERVATIONS, (since, until))
        for row in cur:
            try:
                obs = Observation.model_validate(_utc_row(OBS_COLUMNS, row))
            except ValidationError:
                log.warning("stored observation skipped in warm start", target=row[3])
                continue
            counted[0] += 1
            yield obs


def _utc_row(columns: tuple[str, ...], row: tuple[object, ...]) -> dict[str, object]:
    return {
        name: value.astimezone(UTC) if isinstance(value, datetime) else value
        for name, value in zip(columns, row, strict=True)
        if value is not None
    }
