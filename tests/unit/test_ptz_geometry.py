"""Issue 14, acceptance 1: cue geometry against an independent computation.

The reference is geographiclib's geodesics on the WGS84 ellipsoid (Karney's algorithm), not the
spherical tangent plane the code uses; the first-order dip formula (`h/d + d/2R`) stands in for
the exact spherical tilt. Lead: the boat moved along its geodesic by geographiclib's `Direct`.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from geographiclib.geodesic import Geodesic

from shorewatch.config.ptz import PtzCamera
from shorewatch.ptz_geometry import (
    Aim,
    Refusal,
    RefusalReason,
    TargetFix,
    aim,
    from_onvif,
    hfov_at,
    to_onvif,
    zoom_for,
)

WGS84 = Geodesic.WGS84
R = 6_371_008.8
KN = 1852.0 / 3600.0
NOW = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)


def camera(**changes: object) -> PtzCamera:
    spec: dict[str, object] = {
        "id": "ptz-1",
        "lat": 58.25,
        "lon": 11.40,
        "height_m": 40.0,
        "pan_zero_deg": 270.0,
        "pan_min_deg": -170.0,
        "pan_max_deg": 170.0,
        "tilt_min_deg": -45.0,
        "tilt_max_deg": 20.0,
        "zoom_steps": [
            {"zoom": 0.0, "hfov_deg": 60.0},
            {"zoom": 0.5, "hfov_deg": 10.0},
            {"zoom": 1.0, "hfov_deg": 2.0},
        ],
        "max_range_m": 15_000.0,
        "pan_speed_dps": 40.0,
        "settle_s": 0.5,
        "onvif": {"host": "127.0.0.1"},
    }
    spec.update(changes)
    return PtzCamera.model_validate(spec)


def place(lat: float, lon: float, azimuth: float, distance_m: float) -> tuple[float, float]:
    out = WGS84.Direct(lat, lon, azimuth, distance_m)
    return out["lat2"], out["lon2"]


def wrap(angle: float) -> float:
    return (angle + 180.0) % 360.0 - 180.0


def still(lat: float, lon: float) -> TargetFix:
    return TargetFix(lat, lon, NOW)


@pytest.mark.parametrize(
    ("azimuth", "distance_m"),
    [(270.0, 500.0), (200.0, 3_000.0), (315.0, 8_000.0), (340.0, 12_000.0), (101.0, 1_200.0)],
)
def test_pan_and_tilt_match_an_ellipsoidal_geodesic(azimuth: float, distance_m: float) -> None:
    cam = camera()
    lat, lon = place(cam.lat, cam.lon, azimuth, distance_m)
    result = aim(cam, still(lat, lon), NOW, current_pan=0.0)
    assert isinstance(result, Aim), result
    reference = WGS84.Inverse(cam.lat, cam.lon, lat, lon)
    expected_pan = wrap(reference["azi1"] - cam.pan_zero_deg)
    assert abs(wrap(result.pan_deg - expected_pan)) <= 0.2
    assert result.range_m == pytest.approx(reference["s12"], rel=0.005)
    dip = math.degrees(cam.height_m / reference["s12"] + reference["s12"] / (2 * R))
    assert result.tilt_deg == pytest.approx(-dip, abs=0.02)


def test_zoom_makes_the_boat_fill_its_share_of_the_frame() -> None:
    cam = camera()
    lat, lon = place(cam.lat, cam.lon, 280.0, 4_000.0)
    fix = TargetFix(lat, lon, NOW, length_m=12.0)
    result = aim(cam, fix, NOW, current_pan=10.0, frame_fill=0.25)
    assert isinstance(result, Aim)
    boat_deg = 2 * math.degrees(math.atan(6.0 / 4_000.0))  # 0.172°: wants a 0.69° view
    assert boat_deg / 0.25 < 2.0
    # Narrower than the lens's 2°: the zoom stops at its end.
    assert result.zoom == 1.0
    assert result.hfov_deg == pytest.approx(2.0)


def test_zoom_inside_the_lens_range_interpolates_between_steps() -> None:
    cam = camera()
    lat, lon = place(cam.lat, cam.lon, 250.0, 600.0)
    result = aim(cam, TargetFix(lat, lon, NOW, length_m=20.0), NOW, frame_fill=0.5)
    assert isinstance(result, Aim)
    wanted = 2 * math.degrees(math.atan(10.0 / 600.0)) / 0.5  # 3.82°
    assert result.hfov_deg == pytest.approx(wanted, rel=0.01)
    # Between 10° at 0.5 and 2° at 1.0: (10 - 3.82) / 8 of the way.
    assert result.zoom == pytest.approx(0.5 + 0.5 * (10.0 - wanted) / 8.0, abs=0.005)
    assert hfov_at(cam, zoom_for(cam, 25.0)) == pytest.approx(25.0)


def test_a_40_knot_boat_is_led_to_where_it_will_be_when_the_move_ends() -> None:
    cam = camera()
    start = place(cam.lat, cam.lon, 270.0, 5_000.0)
    fix_time = NOW - timedelta(seconds=2)  # the radar fix is 2 s old
    fix = TargetFix(start[0], start[1], fix_time, sog_kn=40.0, cog_deg=0.0)
    current_pan = -60.0
    led = aim(cam, fix, NOW, current_pan=current_pan)
    unled = aim(cam, TargetFix(start[0], start[1], NOW), NOW, current_pan=current_pan)
    assert isinstance(led, Aim)
    assert isinstance(unled, Aim)

    # Independent: the move lasts |Δpan| / speed + settle; iterate the fixed point with geodesics.
    move = cam.settle_s
    for _ in range(10):
        run = 40.0 * KN * (2.0 + move)
        lat, lon = place(*start, 0.0, run)
        pan = wrap(WGS84.Inverse(cam.lat, cam.lon, lat, lon)["azi1"] - cam.pan_zero_deg)
        move = abs(pan - current_pan) / cam.pan_speed_dps + cam.settle_s
    assert led.move_s == pytest.approx(move, abs=0.01)  # 1.5 s slew + 0.5 s settle
    assert abs(led.pan_deg - pan) <= 0.2
    assert led.at == NOW + timedelta(seconds=led.move_s)
    # 40 kn over 4 s is 82 m north: about 0.94° at 5 km, far more than a 2° lens can spare.
    assert 80 < 40.0 * KN * (2.0 + led.move_s) < 85
    assert led.pan_deg - unled.pan_deg == pytest.approx(0.94, abs=0.05)
    assert WGS84.Inverse(led.lat, led.lon, lat, lon)["s12"] < 5.0


@pytest.mark.parametrize(
    ("changes", "azimuth", "distance_m", "reason", "words"),
    [
        ({"height_m": 5.0}, 270.0, 14_000.0, RefusalReason.BELOW_HORIZON, "below the horizon"),
        ({"height_m": 400.0}, 270.0, 20_000.0, RefusalReason.OUT_OF_RANGE, "beyond"),
        ({}, 90.0, 2_000.0, RefusalReason.PAN_LIMITS, "outside pan limits"),
        ({"tilt_min_deg": -1.0}, 270.0, 1_000.0, RefusalReason.TILT_LIMITS, "tilt -2.3"),
    ],
)
def test_refusals_say_why(
    changes: dict[str, object], azimuth: float, distance_m: float, reason: RefusalReason, words: str
) -> None:
    cam = camera(**changes)
    lat, lon = place(cam.lat, cam.lon, azimuth, distance_m)
    result = aim(cam, still(lat, lon), NOW)
    assert isinstance(result, Refusal), result
    assert result.reason is reason
    assert words in result.detail


def test_the_horizon_counts_the_hull_height() -> None:
    cam_low = camera(height_m=10.0)  # horizon 11.3 km, + 5.0 km for a 2-m hull: 16.3 km
    lat, lon = place(cam_low.lat, cam_low.lon, 270.0, 14_000.0)
    assert isinstance(aim(cam_low, still(lat, lon), NOW), Aim)
    assert isinstance(aim(cam_low, still(lat, lon), NOW, boat_height_m=0.0), Refusal)


def test_pan_wraps_to_the_turn_nearest_the_current_one() -> None:
    cam = camera(pan_min_deg=-350.0, pan_max_deg=350.0)
    lat, lon = place(cam.lat, cam.lon, 90.0, 1_000.0)  # pan ±180
    near_plus = aim(cam, still(lat, lon), NOW, current_pan=300.0)
    near_minus = aim(cam, still(lat, lon), NOW, current_pan=-300.0)
    assert isinstance(near_plus, Aim)
    assert isinstance(near_minus, Aim)
    assert near_plus.pan_deg == pytest.approx(180.0, abs=0.2)
    assert near_minus.pan_deg == pytest.approx(-180.0, abs=0.2)


def test_onvif_space_round_trips() -> None:
    cam = camera()
    x, y = to_onvif(cam, 45.0, -9.0)
    assert (x, y) == pytest.approx((0.25, -0.1))
    assert from_onvif(cam, x, y) == pytest.approx((45.0, -9.0))
