"""Camera geo-calibration: a pixel on the sea surface becomes a latitude and longitude.

Both calibration forms reduce to one 3x3 homography from pixels to east/north metres in a
local tangent plane, because a pinhole camera looking at a flat sea *is* a homography. The
plane is azimuthal-equidistant around its origin (the camera for `pose`, the control points'
mean for `points`), so fits are done in metres, not in degrees whose east scale shrinks with
latitude. Homogeneous `w <= 0` means the ray never meets the sea (at or above the horizon).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Literal, Self

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shorewatch.events import Latitude, Longitude

EARTH_RADIUS_M = 6_371_008.8
# Three pixels or ground points this close to one line (triangle area / longest side²) fix no
# plane: a homography from them is an artefact of noise.
COLLINEAR_RATIO = 1e-3

Matrix = npt.NDArray[np.float64]
BBox = tuple[float, float, float, float]


class CalibrationError(ValueError):
    """Control points that cannot define a camera-to-sea mapping, and why."""


class ControlPoint(BaseModel):
    """A pixel whose position on the water (or the waterline of a fixed object) is known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    px: tuple[float, float] = Field(description="[x, y] in the detector's frame pixels.")
    lat: Latitude
    lon: Longitude


class PointsCalibration(BaseModel):
    """At least four surveyed pixel ↔ lat/lon pairs; with more, the fit's error means something."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["points"]
    points: list[ControlPoint] = Field(min_length=4)
    max_error_m: float | None = Field(
        default=None, gt=0, description="Refuse a fit whose worst control point is off by more."
    )

    @model_validator(mode="after")
    def _fits(self) -> Self:
        fit_points(self)  # a degenerate set fails when the site YAML loads, not at first target
        return self


class PoseCalibration(BaseModel):
    """Where the camera stands and looks, for when no surveyed points are at hand."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["pose"]
    lat: Latitude
    lon: Longitude
    height_m: float = Field(gt=0, le=5000, description="Lens height above the sea surface.")
    heading_deg: float = Field(ge=0, lt=360, description="True bearing of the optical axis.")
    tilt_deg: float = Field(ge=-45, le=90, description="Optical axis below the horizon.")
    fov_deg: float = Field(gt=0, lt=180, description="Horizontal field of view.")
    width: int = Field(ge=16, le=16384, description="Frame width the boxes are measured in.")
    height: int = Field(ge=16, le=16384, description="Frame height the boxes are measured in.")

    @property
    def focal_px(self) -> float:
        return (self.width / 2) / math.tan(math.radians(self.fov_deg) / 2)

    @property
    def vfov_deg(self) -> float:
        """Square pixels: the vertical field of view follows from the horizontal one."""
        return 2 * math.degrees(math.atan((self.height / 2) / self.focal_px))


CalibrationConfig = Annotated[PointsCalibration | PoseCalibration, Field(discriminator="method")]


@dataclass(frozen=True)
class LocalPlane:
    """Azimuthal-equidistant east/north metres around an origin on a spherical earth."""

    lat: float
    lon: float

    def to_en(self, lat: float, lon: float) -> tuple[float, float]:
        p1, p2 = math.radians(self.lat), math.radians(lat)
        dl = math.radians(lon - self.lon)
        a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        distance = 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
        bearing = math.atan2(
            math.sin(dl) * math.cos(p2),
            math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl),
        )
        return distance * math.sin(bearing), distance * math.cos(bearing)

    def to_latlon(self, east: float, north: float) -> tuple[float, float]:
        p1, l1 = math.radians(self.lat), math.radians(self.lon)
        theta, delta = math.atan2(east, north), math.hypot(east, north) / EARTH_RADIUS_M
        p2 = math.asin(
            math.sin(p1) * math.cos(delta) + math.cos(p1) * math.sin(delta) * math.cos(theta)
        )
        l2 = l1 + math.atan2(
            math.sin(theta) * math.sin(delta) * math.cos(p1),
            math.cos(delta) - math.sin(p1) * math.sin(p2),
        )
        return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


@dataclass(frozen=True, eq=False)
class GeoCalibration:
    """One camera's pixel → sea-surface mapping; `residuals_m` are the control points' misfits."""

    matrix: Matrix
    plane: LocalPlane
    sea_sign: float = 1.0  # sign of homogeneous w on the sea side of the horizon
    max_range_m: float = math.inf
    residuals_m: tuple[float, ...] = field(default=())

    @classmethod
    def from_config(cls, config: PointsCalibration | PoseCalibration) -> GeoCalibration:
        if isinstance(config, PoseCalibration):
            return from_pose(config)
        return fit_points(config)

    @property
    def rms_error_m(self) -> float:
        """Root-mean-square reprojection error at the control points (0 for a pose)."""
        if not self.residuals_m:
            return 0.0
        return math.sqrt(sum(r * r for r in self.residuals_m) / len(self.residuals_m))

    @property
    def max_error_m(self) -> float:
        return max(self.residuals_m, default=0.0)

    def to_en(self, x: float, y: float) -> tuple[float, float] | None:
        """Metres east/north of the plane origin, or None where the pixel sees no sea."""
        east, north, w = self.matrix @ np.array([x, y, 1.0])
        if w * self.sea_sign <= 1e-12:
            return None
        east, north = float(east / w), float(north / w)
        if math.hypot(east, north) > self.max_range_m:
            return None
        return east, north

    def to_latlon(self, x: float, y: float) -> tuple[float, float] | None:
        en = self.to_en(x, y)
        return None if en is None else self.plane.to_latlon(*en)

    @staticmethod
    def ground_point(bbox: BBox) -> tuple[float, float]:
        """Bottom-centre of a box: where a boat meets the water, the only pixel on the sea."""
        x1, y1, x2, y2 = bbox
        return (x1 + x2) / 2, max(y1, y2)

    def place(self, bbox: BBox) -> tuple[float, float] | None:
        return self.to_latlon(*self.ground_point(bbox))

    def waterline_m(self, bbox: BBox) -> float | None:
        """The box's bottom edge on the sea, in metres: the box width times its range, as
        the calibration maps it. A hull seen broadside spans its length; from any other
        aspect less, so this is a lower bound on the hull length. None where an end sees no
        sea."""
        x1, y1, x2, y2 = bbox
        bottom = max(y1, y2)
        left, right = self.to_en(min(x1, x2), bottom), self.to_en(max(x1, x2), bottom)
        if left is None or right is None:
            return None
        return math.hypot(right[0] - left[0], right[1] - left[1])


def from_pose(pose: PoseCalibration) -> GeoCalibration:
    """Ray-cast through a pinhole onto a flat sea; beyond the geometric horizon, None."""
    psi, tau = math.radians(pose.heading_deg), math.radians(pose.tilt_deg)
    f, cx, cy = pose.focal_px, pose.width / 2, pose.height / 2
    right = [math.cos(psi), -math.sin(psi), 0.0]
    down = [-math.sin(psi) * math.sin(tau), -math.cos(psi) * math.sin(tau), -math.cos(tau)]
    forward = [math.sin(psi) * math.cos(tau), math.cos(psi) * math.cos(tau), -math.sin(tau)]
    camera_to_enu = np.array([right, down, forward], dtype=np.float64).T
    pixel_to_ray = np.array([[1 / f, 0, -cx / f], [0, 1 / f, -cy / f], [0, 0, 1]])
    # Ray (dE, dN, dU) meets the sea at h·(dE, dN)/(-dU): homogeneous (h·dE, h·dN, -dU).
    scale = np.diag([pose.height_m, pose.height_m, -1.0])
    matrix = scale @ camera_to_enu @ pixel_to_ray
    horizon = math.sqrt(2 * EARTH_RADIUS_M * pose.height_m + pose.height_m**2)
    return GeoCalibration(matrix, LocalPlane(pose.lat, pose.lon), max_range_m=horizon)


def fit_points(config: PointsCalibration) -> GeoCalibration:
    """Least squares over every point (no RANSAC: a mistyped point must show, not vanish)."""
    points = config.points
    plane = LocalPlane(
        sum(p.lat for p in points) / len(points), sum(p.lon for p in points) / len(points)
    )
    pixels = np.array([p.px for p in points], dtype=np.float64)
    ground = np.array([plane.to_en(p.lat, p.lon) for p in points], dtype=np.float64)
    _check_general_position(pixels, "pixel")
    _check_general_position(ground, "lat/lon")
    matrix, _ = cv2.findHomography(pixels, ground, 0)
    if matrix is None or not np.all(np.isfinite(matrix)):
        raise CalibrationError("the control points admit no homography")
    homogeneous = np.hstack([pixels, np.ones((len(points), 1))]) @ matrix.T
    w = homogeneous[:, 2]
    if not (np.all(w > 0) or np.all(w < 0)):
        raise CalibrationError("the control points lie on both sides of the fitted horizon")
    residuals = np.hypot(*(homogeneous[:, :2] / w[:, None] - ground).T)
    calibration = GeoCalibration(
        matrix.astype(np.float64),
        plane,
        sea_sign=float(np.sign(w[0])),
        residuals_m=tuple(float(r) for r in residuals),
    )
    if config.max_error_m is not None and calibration.max_error_m > config.max_error_m:
        worst = int(np.argmax(residuals))
        raise CalibrationError(
            f"point {worst} is {calibration.max_error_m:.1f} m off the fit "
            f"(max_error_m {config.max_error_m}); check its pixel and coordinates"
        )
    return calibration


def _check_general_position(xy: Matrix, what: str) -> None:
    """Four points with three on a line, or a set all on one line, define no homography."""
    if len({(float(x), float(y)) for x, y in xy}) < len(xy):
        raise CalibrationError(f"duplicate {what} control points")
    centred = xy - xy.mean(axis=0)
    spread = np.linalg.svd(centred, compute_uv=False)
    if spread[1] <= COLLINEAR_RATIO * spread[0]:
        raise CalibrationError(f"the {what} control points are (nearly) collinear")
    if len(xy) == 4:
        for skip in range(4):
            a, b, c = (xy[i] for i in range(4) if i != skip)
            (ux, uy), (vx, vy) = b - a, c - a
            area = abs(float(ux * vy - uy * vx)) / 2
            longest = max(float(np.sum((p - q) ** 2)) for p, q in ((a, b), (b, c), (a, c)))
            if area <= COLLINEAR_RATIO * longest:
                raise CalibrationError(
                    f"three of the four {what} control points are (nearly) collinear; "
                    "move one or add a fifth"
                )
