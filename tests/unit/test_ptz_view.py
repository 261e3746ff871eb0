"""The PTZ's confirmation gate: sharp in bearing, as wide in range as a small tilt error makes
one camera's range near the horizon (checked against the flat-sea formula worked by hand)."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime

import pytest
from geographiclib.geodesic import Geodesic

from detectors.ptz_view import PtzView
from shorewatch.config.ptz import CueConfig, PtzCamera
from shorewatch.events import PtzReport

WGS84 = Geodesic.WGS84
MAST = (58.25, 11.40)
HEIGHT_M = 25.0


def view(**cue: float) -> PtzView:
    ptz = PtzCamera.model_validate(
        {
            "id": "ptz-1",
            "lat": MAST[0],
            "lon": MAST[1],
            "height_m": HEIGHT_M,
            "pan_zero_deg": 0,
            "zoom_steps": [{"zoom": 0.0, "hfov_deg": 50.0}, {"zoom": 1.0, "hfov_deg": 1.0}],
            "onvif": {"host": "127.0.0.1", "port": 8000},
        }
    )
    return PtzView(ptz, CueConfig.model_validate(cue), 320, 240)


def at(bearing_deg: float, range_m: float) -> tuple[float, float]:
    point = WGS84.Direct(*MAST, bearing_deg, range_m)
    return point["lat2"], point["lon2"]


def cued(v: PtzView, bearing_deg: float, range_m: float) -> PtzView:
    lat, lon = at(bearing_deg, range_m)
    v.follow(
        PtzReport(
            camera="ptz-1",
            time=datetime(2026, 12, 5, tzinfo=UTC),
            ok=True,
            cue_id=uuid.uuid4(),
            target="radar:r-21",
            pan_deg=bearing_deg,
            tilt_deg=-math.degrees(math.atan2(HEIGHT_M, range_m)),
            zoom=1.0,
            hfov_deg=2.0,
            aim_lat=lat,
            aim_lon=lon,
        )
    )
    return v


def test_the_range_window_is_what_the_tilt_error_spans_at_the_aim() -> None:
    near, far = view(confirm_tilt_error_deg=0.5).range_window(1_200.0)
    depression = math.degrees(math.atan(25.0 / 1_200.0))  # 1.193 deg
    assert near == pytest.approx(25.0 / math.tan(math.radians(depression + 0.5)), rel=1e-9)
    assert near == pytest.approx(845.6, abs=0.5)
    assert far == pytest.approx(2_066.0, abs=1.0)


def test_past_the_horizon_error_the_far_end_is_open() -> None:
    near, far = view(confirm_tilt_error_deg=0.5).range_window(5_000.0)  # 0.29 deg down
    assert near < 5_000.0
    assert far == math.inf


def test_a_boat_on_the_cued_bearing_confirms_across_the_coarse_range() -> None:
    v = cued(view(confirm_gate_m=300, confirm_bearing_deg=1.5), 250.0, 1_200.0)
    assert v.confirms(*at(250.4, 1_630.0)) is not None  # 430 m long: a tilt error, same boat
    assert v.confirms(*at(249.5, 900.0)) is not None
    assert v.confirms(*at(250.0, 2_600.0)) is None  # beyond what half a degree explains
    assert v.confirms(*at(250.0, 500.0)) is None  # nearer than 846 m less the 300-m gate


def test_a_boat_off_the_cued_bearing_does_not_confirm_unless_it_is_at_the_aim() -> None:
    v = cued(view(confirm_gate_m=30, confirm_bearing_deg=1.0), 250.0, 1_200.0)
    assert v.confirms(*at(252.0, 1_200.0)) is None  # 2 deg off the bearing, 42 m aside
    assert v.confirms(*at(253.0, 1_600.0)) is None
    assert v.confirms(*at(251.2, 1_200.0)) is not None  # 25 m aside: within the plain gate


def test_no_cue_no_confirmation_and_a_release_ends_it() -> None:
    v = view()
    assert v.confirms(*at(250.0, 1_200.0)) is None
    cued(v, 250.0, 1_200.0)
    assert v.confirms(*at(250.0, 1_200.0)) is not None
    v.release()
    assert v.confirms(*at(250.0, 1_200.0)) is None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_cued_camera_places_nothing_until_its_move_is_reported() -> None:
    clock = Clock()
    ptz = view().ptz
    v = PtzView(ptz, CueConfig(), 320, 240, clock=clock)
    cued(v, 250.0, 1200.0)
    calibration = v.calibration
    assert calibration is not None
    assert (v.moving, v.placing) == (False, calibration)
    v.cued()
    assert (v.moving, v.placing) == (True, None)
    clock.now += 3.0
    cued(v, 252.0, 1150.0)
    assert not v.moving
    assert v.placing is v.calibration is not calibration


def test_a_failed_move_ends_the_wait_and_keeps_the_last_pose() -> None:
    clock = Clock()
    v = cued(PtzView(view().ptz, CueConfig(), 320, 240, clock=clock), 250.0, 1200.0)
    before = v.calibration
    v.cued()
    v.follow(
        PtzReport(
            camera="ptz-1", time=datetime(2026, 12, 5, tzinfo=UTC), ok=False, error="timed out"
        )
    )
    assert not v.moving
    assert v.placing is before


def test_a_camera_that_never_answers_is_trusted_again_after_the_longest_move() -> None:
    """Connecting 15 s + half a turn at 60 °/s + settling 0.5 s + the move's timeout 5 s."""
    clock = Clock()
    v = cued(PtzView(view().ptz, CueConfig(), 320, 240, clock=clock), 250.0, 1200.0)
    v.cued()
    clock.now += 23.4
    assert v.moving
    clock.now += 0.2
    assert not v.moving
    assert v.placing is v.calibration
