"""Where a PTZ camera looks now, for its stream's pipeline: a calibration that follows the
camera's reported pan, tilt and zoom, and the cue it is serving.

A PTZ has no fixed calibration: each `PtzReport` (the driver's answer after a move) becomes a
pose calibration (mast position and height, true heading = pan zero + pan, tilt, the lens's
field of view at the reported zoom), so boxes are placed on the sea where the camera now looks.
A boat placed within `cue.confirm_gate_m` of the point the cue aimed at is the cued target
seen by eye: its `camera_target` event names the cued track (`associated_with`), which folds
it into that track's alert (inhibit rule camera_target -> dark_target) and adds the
`camera_confirmation` factor there.
"""

from __future__ import annotations

import math
import uuid
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
    def __init__(self, ptz: PtzCamera, cue: CueConfig, width: int, height: int) -> None:
        self.ptz = ptz
        self._gate_m = cue.confirm_gate_m
        self._size = (width, height)
        self.calibration: GeoCalibration | None = None
        self.cue: ActiveCue | None = None

    def follow(self, report: PtzReport) -> None:
        """A move done: look where the camera says it looks. A failed move changes nothing
        (the camera stays where its last good report put it)."""
        if report.camera != self.ptz.id or not report.ok:
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
        return cue if math.hypot(east, north) <= self._gate_m else None
