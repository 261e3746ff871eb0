"""The cue desk's decisions (alerts/cueing.py) on a real store, fed alerts, reports and
operators' cues directly: priority by level when cameras run out, release when the alert is
handled, an operator's hold, a cue that sees nothing, a target no camera can see, re-aiming.
Every decision must be a line in the alert's history."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from geographiclib.geodesic import Geodesic
from psycopg_pool import ConnectionPool

from alerts.cueing import CueDesk
from shorewatch.config.ptz import PtzConfig
from shorewatch.config.site import parse_config
from shorewatch.events import (
    Alert,
    AlertState,
    EventKind,
    Level,
    Observation,
    PtzCue,
    PtzReport,
    ScoreFactor,
    Source,
)
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.db import open_pool
from shorewatch.store.migrations import migrate
from tests.alerting import FakeClock

WGS84 = Geodesic.WGS84
MAST = (58.25, 11.40)
SITE = """
version: test-cue-desk
ptz:
  cue: {reaim_s: 3600, confirm_within_s: 60, operator_hold_s: 120}
  cameras:
    - {id: ptz-1, lat: 58.25, lon: 11.40, height_m: 30, pan_zero_deg: 270, max_range_m: 8000,
       zoom_steps: [{zoom: 0, hfov_deg: 50}, {zoom: 1, hfov_deg: 2}],
       onvif: {host: 127.0.0.1}}
"""


@pytest.fixture
def pool(dsn: str) -> Iterator[ConnectionPool]:
    site = parse_config(SITE, "t.yaml", Path())
    opened = open_pool(dsn)
    migrate(opened, site.store)
    yield opened
    opened.close()


@pytest.fixture
def config() -> PtzConfig:
    return parse_config(SITE, "t.yaml", Path()).ptz


def alert(
    clock: FakeClock, pool: ConnectionPool, level: Level, distance_m: float = 3_000.0
) -> Alert:
    out = WGS84.Direct(*MAST, 260.0, distance_m)
    made = Alert(
        id=uuid.uuid4(), kind=EventKind.DARK_TARGET, target=f"radar:r-{uuid.uuid4().hex[:6]}",
        score=50, level=level, lat=out["lat2"], lon=out["lon2"], event_ids=(uuid.uuid4(),),
        event_count=1, created_at=clock.now, updated_at=clock.now,
    )  # fmt: skip
    with pool.connection() as conn, conn.transaction():
        AlertsRepo().insert(conn, made)
    return made


def notes(pool: ConnectionPool, alert_id: uuid.UUID) -> list[str]:
    with pool.connection() as conn:
        return [h.note for h in AlertsRepo().history(conn, alert_id) if h.action == "cue"]


@pytest.fixture
def rig(pool: ConnectionPool, config: PtzConfig) -> tuple[CueDesk, list[PtzCue], FakeClock]:
    clock = FakeClock(datetime(2026, 11, 20, 22, 0, tzinfo=UTC))
    cues: list[PtzCue] = []
    return CueDesk(pool, config, cues.append, clock), cues, clock


def test_a_higher_level_alert_takes_the_camera_and_the_lower_one_is_told(
    rig: tuple[CueDesk, list[PtzCue], FakeClock], pool: ConnectionPool
) -> None:
    desk, cues, clock = rig
    orange = alert(clock, pool, Level.ORANGE)
    desk.on_message(orange)
    assert desk.cameras_in_use() == {"ptz-1": orange.id}
    red = alert(clock, pool, Level.RED, 2_000.0)
    desk.on_message(red)
    assert desk.cameras_in_use() == {"ptz-1": red.id}
    assert [c.alert_id for c in cues] == [orange.id, red.id]
    assert notes(pool, orange.id)[1] == "ptz-1 taken by a red alert on " + red.target
    assert notes(pool, orange.id)[2].startswith(
        "ptz-1 pre-empted; no camera can take the cue: ptz-1 busy with a red alert"
    )
    # A second red alert does not take it from the first.
    other = alert(clock, pool, Level.RED, 2_500.0)
    desk.on_message(other)
    assert desk.cameras_in_use() == {"ptz-1": red.id}
    assert notes(pool, other.id) == ["no camera can take the cue: ptz-1 busy with a red alert"]


def test_a_handled_alert_releases_its_camera(
    rig: tuple[CueDesk, list[PtzCue], FakeClock], pool: ConnectionPool
) -> None:
    desk, cues, clock = rig
    red = alert(clock, pool, Level.RED)
    desk.on_message(red)
    desk.on_message(red.model_copy(update={"state": AlertState.RESOLVED}))
    assert desk.cameras_in_use() == {}
    assert cues[-1].release
    assert cues[-1].camera == "ptz-1"
    assert notes(pool, red.id)[-1] == "cue on ptz-1 released (alert resolved)"


def test_re_aims_at_the_latest_fix_and_says_when_nothing_was_seen(
    rig: tuple[CueDesk, list[PtzCue], FakeClock], pool: ConnectionPool
) -> None:
    desk, cues, clock = rig
    red = alert(clock, pool, Level.RED)
    desk.on_message(red)
    source, ref = red.target.split(":")
    desk.on_message(
        Observation(
            source=Source(source), sensor_id="r", target_ref=ref, time=clock.now,
            lat=58.24, lon=11.35, sog_kn=35.0, cog_deg=90.0,
        )
    )  # fmt: skip
    clock.advance(30)
    desk.tick()
    assert (cues[-1].lat, cues[-1].lon, cues[-1].sog_kn) == (58.24, 11.35, 35.0)
    assert cues[-1].cue_id == cues[0].cue_id  # the same cue, re-aimed
    assert not any("found nothing" in n for n in notes(pool, red.id))
    clock.advance(31)
    desk.tick()
    assert notes(pool, red.id)[-1] == "cue on ptz-1 found nothing within 61 s"
    seen = red.model_copy(update={"factors": (ScoreFactor(name="camera_confirmation", points=15),)})
    desk.on_message(seen)
    assert notes(pool, red.id)[-1] == "confirmed by eye on ptz-1"


def test_an_operator_cue_holds_the_camera_and_displaces_the_alert(
    rig: tuple[CueDesk, list[PtzCue], FakeClock], pool: ConnectionPool
) -> None:
    desk, _, clock = rig
    red = alert(clock, pool, Level.RED)
    desk.on_message(red)
    desk.on_message(
        PtzCue(cue_id=uuid.uuid4(), camera="ptz-1", time=clock.now, requested_by="user:kim",
               lat=58.26, lon=11.38)
    )  # fmt: skip
    assert desk.cameras_in_use() == {}
    assert notes(pool, red.id)[-1] == (
        "ptz-1 taken over by user:kim; no camera can take the cue: ptz-1 held by an operator"
    )
    clock.advance(121)
    later = alert(clock, pool, Level.ORANGE)
    desk.on_message(later)
    assert desk.cameras_in_use() == {"ptz-1": later.id}  # the hold has run out


def test_a_failed_move_with_no_other_camera_says_why(
    rig: tuple[CueDesk, list[PtzCue], FakeClock], pool: ConnectionPool
) -> None:
    desk, cues, clock = rig
    red = alert(clock, pool, Level.RED)
    desk.on_message(red)
    desk.on_message(
        PtzReport(camera="ptz-1", time=clock.now, ok=False, cue_id=cues[0].cue_id,
                  error="credentials refused by the camera")
    )  # fmt: skip
    assert desk.cameras_in_use() == {}
    assert notes(pool, red.id)[-1] == (
        "ptz-1 failed (credentials refused by the camera); no camera can take the cue: ptz-1 failed"
    )


def test_a_target_out_of_reach_is_not_cued_and_the_alert_says_why(
    rig: tuple[CueDesk, list[PtzCue], FakeClock], pool: ConnectionPool
) -> None:
    desk, cues, clock = rig
    far = alert(clock, pool, Level.RED, 9_000.0)
    desk.on_message(far)
    assert cues == []
    (note,) = notes(pool, far.id)
    assert note.startswith("no camera can take the cue: ptz-1 out_of_range: ")
    assert note.endswith(" m is beyond the camera's range of 8000 m")
    yellow = alert(clock, pool, Level.YELLOW)  # not a cueing level by default
    desk.on_message(yellow)
    assert notes(pool, yellow.id) == []
