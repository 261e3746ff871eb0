"""Geo-calibration: a pose camera checked against trigonometry, and a homography fitted to points
the pose produced must agree with it over the image; degenerate point sets are refused."""

from __future__ import annotations

import math
import random

import pytest
from pydantic import TypeAdapter, ValidationError

from shorewatch.geocal import (
    CalibrationConfig,
    ControlPoint,
    GeoCalibration,
    LocalPlane,
    PointsCalibration,
    PoseCalibration,
)

# The demo coast off Lysekil: a mast 20 m above the sea looking west, 60° wide, 5° down.
POSE = PoseCalibration(
    method="pose",
    lat=58.2,
    lon=11.4,
    height_m=20.0,
    heading_deg=270.0,
    tilt_deg=5.0,
    fov_deg=60.0,
    width=1280,
    height=720,
)
CAMERA = LocalPlane(POSE.lat, POSE.lon)
# f = 640 / tan 30° = 1108.5 px; vfov = 2·atan(360 / f) = 35.98°.
FOCAL = 640 / math.tan(math.radians(30))
HORIZON_ROW = 360 - FOCAL * math.tan(math.radians(5))  # 263.0


def range_bearing(lat: float, lon: float) -> tuple[float, float]:
    east, north = CAMERA.to_en(lat, lon)
    return math.hypot(east, north), math.degrees(math.atan2(east, north)) % 360


def test_vertical_field_of_view_follows_from_the_aspect() -> None:
    assert POSE.vfov_deg == pytest.approx(2 * math.degrees(math.atan(360 / FOCAL)))
    assert POSE.vfov_deg == pytest.approx(35.98, abs=0.01)


def test_bottom_centre_of_the_image_lies_at_height_over_tan_tilt_plus_half_vfov() -> None:
    cal = GeoCalibration.from_config(POSE)
    position = cal.to_latlon(640, 720)
    assert position is not None
    distance, bearing = range_bearing(*position)
    expected = 20.0 / math.tan(math.radians(5.0 + POSE.vfov_deg / 2))  # 47.1 m
    assert distance == pytest.approx(expected, rel=1e-6)
    assert distance == pytest.approx(47.1, abs=0.1)
    assert bearing == pytest.approx(270.0, abs=1e-6)  # straight down the optical axis: west


@pytest.mark.parametrize("row", [270.0, 300.0, 360.0, 500.0, 719.0])
def test_centre_column_follows_the_depression_angle(row: float) -> None:
    position = GeoCalibration.from_config(POSE).to_latlon(640, row)
    assert position is not None
    depression = 5.0 + math.degrees(math.atan((row - 360) / FOCAL))
    distance, bearing = range_bearing(*position)
    assert distance == pytest.approx(20.0 / math.tan(math.radians(depression)), rel=1e-6)
    assert bearing == pytest.approx(270.0, abs=1e-6)


def test_image_edges_look_either_side_of_the_axis() -> None:
    cal = GeoCalibration.from_config(POSE)
    left, right = cal.to_latlon(0, 360), cal.to_latlon(1280, 360)
    assert left is not None
    assert right is not None
    # The edge ray is axis + tan30°·right; tilted 5° down, its level part is cos5° along the
    # axis and tan30° across it (right of a west-looking image is north), and it drops sin5°.
    tan30, tilt = math.tan(math.radians(30)), math.radians(5)
    off_axis = math.degrees(math.atan(tan30 / math.cos(tilt)))  # 30.09°
    assert range_bearing(*right)[1] == pytest.approx(270.0 + off_axis, abs=1e-6)
    assert range_bearing(*left)[1] == pytest.approx(270.0 - off_axis, abs=1e-6)
    level = math.hypot(tan30, math.cos(tilt))
    assert range_bearing(*right)[0] == pytest.approx(20.0 * level / math.sin(tilt), rel=1e-6)


@pytest.mark.parametrize("row", [0.0, 100.0, HORIZON_ROW - 0.5])
def test_pixels_above_the_horizon_have_no_position(row: float) -> None:
    assert GeoCalibration.from_config(POSE).to_latlon(640, row) is None


def test_pixels_just_below_the_horizon_beyond_its_distance_have_none() -> None:
    """The flat sea ends at the geometric horizon, 16 km from a 20 m mast."""
    cal = GeoCalibration.from_config(POSE)
    assert cal.max_range_m == pytest.approx(math.sqrt(2 * 6_371_008.8 * 20 + 400), rel=1e-9)
    assert cal.to_latlon(640, HORIZON_ROW + 0.01) is None
    assert cal.to_latlon(640, HORIZON_ROW + 5) is not None


def pose_points(pixels: list[tuple[float, float]], noise_m: float = 0.0) -> list[ControlPoint]:
    cal = GeoCalibration.from_config(POSE)
    rng = random.Random(4)
    points = []
    for x, y in pixels:
        en = cal.to_en(x, y)
        assert en is not None
        east, north = en[0] + rng.gauss(0, noise_m), en[1] + rng.gauss(0, noise_m)
        lat, lon = CAMERA.to_latlon(east, north)
        points.append(ControlPoint(px=(x, y), lat=lat, lon=lon))
    return points


SURVEY: list[tuple[float, float]] = [
    (100, 700),
    (1180, 690),
    (640, 600),
    (200, 420),
    (1100, 400),
    (640, 330),
]


def test_homography_fitted_to_pose_points_agrees_with_the_pose_over_the_image() -> None:
    pose = GeoCalibration.from_config(POSE)
    fitted = GeoCalibration.from_config(
        PointsCalibration(method="points", points=pose_points(SURVEY))
    )
    assert fitted.rms_error_m < 0.05
    assert fitted.max_error_m < 0.1
    worst = 0.0
    for x in range(0, 1281, 160):
        for y in range(300, 721, 30):  # from ~600 m out to the foot of the mast
            a, b = pose.to_latlon(x, y), fitted.to_latlon(x, y)
            assert a is not None
            assert b is not None
            east, north = LocalPlane(*a).to_en(*b)
            worst = max(worst, math.hypot(east, north))
    assert worst < 3.0
    assert fitted.to_latlon(640, 200) is None  # the fitted horizon is the pose's


def test_reprojection_error_is_reported_in_metres_and_can_refuse_a_fit() -> None:
    noisy = pose_points(SURVEY, noise_m=2.0)
    fitted = GeoCalibration.from_config(PointsCalibration(method="points", points=noisy))
    assert 0.3 < fitted.rms_error_m < 4.0
    assert len(fitted.residuals_m) == len(SURVEY)
    with pytest.raises(ValidationError, match=r"point \d is .* m off the fit"):
        PointsCalibration(method="points", points=noisy, max_error_m=0.1)


def test_four_points_fit_exactly() -> None:
    points = pose_points(SURVEY[:4])
    fitted = GeoCalibration.from_config(PointsCalibration(method="points", points=points))
    assert fitted.max_error_m < 1e-3


def points_at(pixels: list[tuple[float, float]], ground: list[tuple[float, float]]) -> object:
    return {
        "method": "points",
        "points": [
            {"px": list(px), "lat": lat, "lon": lon}
            for px, (lat, lon) in zip(pixels, ground, strict=True)
        ],
    }


GROUND = [(58.2, 11.39), (58.201, 11.39), (58.2, 11.392), (58.2012, 11.3925)]
PIXELS = [(100.0, 700.0), (1100.0, 700.0), (300.0, 400.0), (900.0, 420.0)]
ADAPTER: TypeAdapter[PointsCalibration | PoseCalibration] = TypeAdapter(CalibrationConfig)


@pytest.mark.parametrize(
    ("pixels", "ground", "message"),
    [
        ([(0, 0), (100, 100), (200, 200), (300, 300.5)], GROUND, "pixel control points are"),
        (PIXELS, [(58.2, 11.39 + i * 0.001) for i in range(4)], "lat/lon control points are"),
        ([(0, 700), (500, 700), (1000, 700), (600, 400)], GROUND, "three of the four pixel"),
        ([*PIXELS[:3], PIXELS[0]], GROUND, "duplicate pixel"),
    ],
)
def test_degenerate_point_sets_are_refused(
    pixels: list[tuple[float, float]], ground: list[tuple[float, float]], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        ADAPTER.validate_python(points_at(pixels, ground))


def test_fewer_than_four_points_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least 4"):
        ADAPTER.validate_python(points_at(PIXELS[:3], GROUND[:3]))


def test_the_config_is_discriminated_by_method() -> None:
    pose = ADAPTER.validate_python({**POSE.model_dump()})
    assert isinstance(pose, PoseCalibration)
    assert isinstance(ADAPTER.validate_python(points_at(PIXELS, GROUND)), PointsCalibration)
    with pytest.raises(ValidationError):
        ADAPTER.validate_python({**POSE.model_dump(), "zoom": 2})


def test_ground_point_is_the_bottom_centre_of_the_box() -> None:
    assert GeoCalibration.ground_point((100.0, 40.0, 180.0, 90.0)) == (140.0, 90.0)
    assert GeoCalibration.ground_point((180.0, 90.0, 100.0, 40.0)) == (140.0, 90.0)


def test_local_plane_round_trips() -> None:
    plane = LocalPlane(58.2, 11.4)
    lat, lon = plane.to_latlon(-3000.0, 1200.0)
    assert plane.to_en(lat, lon) == pytest.approx((-3000.0, 1200.0), abs=1e-6)


def test_a_boxs_waterline_is_its_width_times_its_range() -> None:
    """Issue 13: box x range -> length. On the optical axis's row every ray meets the sea at
    the same depth h / sin(tilt), so a 100 px wide box spans 100 px x depth / f."""
    cal = GeoCalibration.from_config(POSE)
    depth = 20.0 / math.sin(math.radians(5.0))  # 229.5 m along the axis
    seen = cal.waterline_m((590.0, 330.0, 690.0, 360.0))
    assert seen == pytest.approx(100 * depth / FOCAL, rel=1e-6)  # 20.7 m
    assert cal.waterline_m((590.0, 100.0, 690.0, 200.0)) is None  # above the horizon
