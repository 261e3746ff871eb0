"""Where a PTZ camera looks now, for its stream's pipeline: a calibration that follows the
camera's reported pan, tilt and zoom, and the cue it is serving.

A PTZ has no fixed calibration: each `PtzReport` (the driver's answer after a move) becomes a
pose calibration (mast position and height, true heading = pan zero + pan, tilt, the lens's
field of view at the reported zoom), so boxes are placed on the sea where the camera now looks.
Between a cue and the report of its move the camera is turning or zooming while the last pose
still stands: a box placed by it would sweep across the sea at hundreds of knots and feed the
rules a phantom speedboat, so nothing is placed then (`moving`), for at most as long as the
driver can take to answer.
A boat seen where the cue pointed is the cued target seen by eye: its `camera_target` event
names the cued track (`associated_with`), which folds it into that track's alert (inhibit rule
camera_target -> dark_target) and adds the `camera_confirmation` factor there.

"Where the cue pointed" is judged as a PTZ measures: the bearing from the mast is sharp (pan is
read back to a fraction of a degree), but range from one camera comes from the depression
angle, which near the horizon turns a tenth of a degree into hundreds of metres. So the gate is
a bearing gate plus a range window that a tilt error of `confirm_tilt_error_deg` either way
spans at the aim's range (and never narrower than `confirm_gate_m`).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from shorewatch.config.ptz import CueConfig, PtzCamera
from shorewatch.events import PtzReport
from shorewatch.geocal import GeoCalibration, LocalPlane, PoseCalibration, from_pose
from shorewatch.ptz_geometry import true_heading

MAX_DOWN_DEG = 45.0  # PoseCalibration's limit on tilt below the horizon


@dataclass(frozen=True)
class ActiveCue:
    cue_id: uuid.UUID
    target: str
    lat: float
    lon: float


class PtzView:
    def __init__(
        self,
        ptz: PtzCamera,
        cue: CueConfig,
        width: int,
        height: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ptz = ptz
        self._gate_m = cue.confirm_gate_m
        self._bearing_deg = cue.confirm_bearing_deg
        self._tilt_error_rad = math.radians(cue.confirm_tilt_error_deg)
        self._size = (width, height)
        self._clock = clock
        self._cued_at: float | None = None
        # The longest a move can take to be answered: connecting, a half turn at the slew rate,
        # settling, and the driver's own timeout (after which it reports the failure).
        onvif = ptz.onvif
        self._move_bound_s = (
            onvif.connect_timeout_s + 180.0 / ptz.pan_speed_dps + ptz.settle_s + onvif.timeout_s
        )
        self.calibration: GeoCalibration | None = None
        self.cue: ActiveCue | None = None

    def cued(self) -> None:
        """A cue went to the camera's driver: it is (about to be) moving until it reports."""
        if self._cued_at is None:
            self._cued_at = self._clock()

    @property
    def moving(self) -> bool:
        cued_at = self._cued_at
        return cued_at is not None and self._clock() - cued_at < self._move_bound_s

    @property
    def placing(self) -> GeoCalibration | None:
        """The calibration to place boxes by now: none while the camera is moving."""
        return None if self.moving else self.calibration

    def follow(self, report: PtzReport) -> None:
        """A move done: look where the camera says it looks. A failed move changes nothing
        (the camera stays where its last good report put it)."""
        if report.camera != self.ptz.id:
            return
        self._cued_at = None  # answered, moved or not: the pose below is where it looks
        if not report.ok:
            return
        if report.pan_deg is None or report.tilt_deg is None or report.hfov_deg is None:
            return
        width, height = self._size
        pose = PoseCalibration(
            method="pose",
            lat=self.ptz.lat,
            lon=self.ptz.lon,
            height_m=self.ptz.height_m,
            heading_deg=true_heading(self.ptz, report.pan_deg),
            tilt_deg=max(-MAX_DOWN_DEG, min(MAX_DOWN_DEG, -report.tilt_deg)),
            fov_deg=report.hfov_deg,
            width=width,
            height=height,
        )
        self.calibration = from_pose(pose)
        if (
            report.target
            and report.cue_id
            and report.aim_lat is not None
            and report.aim_lon is not None
        ):
            self.cue = ActiveCue(report.cue_id, report.target, report.aim_lat, report.aim_lon)

    def release(self) -> None:
        self.cue = None

    def confirms(self, lat: float, lon: float) -> ActiveCue | None:
        """The cue a boat placed at lat/lon confirms, if it lies within the gate."""
        cue = self.cue
        if cue is None:
            return None
        east, north = LocalPlane(cue.lat, cue.lon).to_en(lat, lon)
        if math.hypot(east, north) <= self._gate_m:
            return cue
        mast = LocalPlane(self.ptz.lat, self.ptz.lon)
        seen_bearing, seen_range = _polar(*mast.to_en(lat, lon))
        aim_bearing, aim_range = _polar(*mast.to_en(cue.lat, cue.lon))
        off_bearing = abs((seen_bearing - aim_bearing + 180.0) % 360.0 - 180.0)
        if off_bearing > self._bearing_deg:
            return None
        near, far = self.range_window(aim_range)
        return cue if near - self._gate_m <= seen_range <= far + self._gate_m else None

    def range_window(self, aim_range_m: float) -> tuple[float, float]:
        """Nearest and farthest range a boat at `aim_range_m` may be placed at when the
        depression angle it is seen at is off by the allowed tilt error (flat sea; the far
        end is unbounded once the error reaches the horizon)."""
        depression = math.atan2(self.ptz.height_m, max(aim_range_m, 1.0))
        near = self.ptz.height_m / math.tan(depression + self._tilt_error_rad)
        low = depression - self._tilt_error_rad
        far = self.ptz.height_m / math.tan(low) if low > 0 else math.inf
        return near, far


def _polar(east: float, north: float) -> tuple[float, float]:
    """Bearing (degrees true) and distance of an east/north offset."""
    return math.degrees(math.atan2(east, north)) % 360.0, math.hypot(east, north)
