"""PTZ cameras and the cueing policy, validated like the rest of the site YAML.

A PTZ is described by where it stands, how its pan zero points, what it can reach (limits,
zoom range, field of view per zoom step) and how to talk to it (ONVIF address, profile token).
Credentials never sit in the file: the YAML names the environment variables that hold them.
"""

from __future__ import annotations

import os
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shorewatch.events import EventKind, Latitude, Level, Longitude


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OnvifEndpoint(Strict):
    """Where the camera's ONVIF device service answers, and which env vars hold its login."""

    host: str = Field(min_length=1)
    port: int = Field(default=80, ge=1, le=65535)
    profile_token: str | None = Field(
        default=None, description="Media profile to move; default: the first one the camera lists."
    )
    username_env: str | None = Field(default=None, description="Env var holding the user name.")
    password_env: str | None = Field(default=None, description="Env var holding the password.")
    timeout_s: float = Field(default=5.0, gt=0, le=60, description="A move and its status.")
    connect_timeout_s: float = Field(
        default=15.0, gt=0, le=120, description="Connecting: service addresses and profiles."
    )
    absolute_move: bool = Field(
        default=True, description="False: the camera lacks AbsoluteMove; use RelativeMove."
    )

    def credentials(self) -> tuple[str, str]:
        """(user, password) from the environment; empty strings where a variable is unset."""
        user = os.environ.get(self.username_env, "") if self.username_env else ""
        password = os.environ.get(self.password_env, "") if self.password_env else ""
        return user, password


class ZoomStep(Strict):
    """One point of the lens curve: ONVIF zoom position (0..1) and its horizontal FOV."""

    zoom: float = Field(ge=0.0, le=1.0)
    hfov_deg: float = Field(gt=0.0, lt=180.0)


class PtzCamera(Strict):
    """One pan-tilt-zoom camera. Pan is measured clockwise from `pan_zero_deg` (the true
    bearing the camera faces at pan 0); tilt is positive up, so the sea is at negative tilt."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
    lat: Latitude
    lon: Longitude
    height_m: float = Field(gt=0, le=5000, description="Lens height above mean sea level.")
    pan_zero_deg: float = Field(ge=0, lt=360, description="True bearing at pan 0.")
    pan_min_deg: float = Field(default=-180.0, ge=-360, le=360)
    pan_max_deg: float = Field(default=180.0, ge=-360, le=360)
    tilt_min_deg: float = Field(default=-90.0, ge=-90, le=90)
    tilt_max_deg: float = Field(default=30.0, ge=-90, le=90)
    onvif_pan_deg: tuple[float, float] = Field(
        default=(-180.0, 180.0), description="Pan in degrees at ONVIF x = -1 and x = +1."
    )
    onvif_tilt_deg: tuple[float, float] = Field(
        default=(-90.0, 90.0), description="Tilt in degrees at ONVIF y = -1 and y = +1."
    )
    zoom_steps: list[ZoomStep] = Field(
        min_length=1, description="Lens curve; interpolated between steps, widest first."
    )
    max_range_m: float = Field(default=12_000.0, gt=0)
    pan_speed_dps: float = Field(default=60.0, gt=0, description="Slew rate, degrees a second.")
    settle_s: float = Field(default=0.5, ge=0, description="Added to every move's duration.")
    width: int = Field(default=1920, ge=16, le=16384, description="Frame width (calibration).")
    height: int = Field(default=1080, ge=16, le=16384, description="Frame height.")
    stream: str | None = Field(
        default=None, description="Id of the ingest camera that reads this PTZ's video."
    )
    onvif: OnvifEndpoint

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.pan_max_deg <= self.pan_min_deg:
            raise ValueError("pan_max_deg must be > pan_min_deg")
        if self.tilt_max_deg <= self.tilt_min_deg:
            raise ValueError("tilt_max_deg must be > tilt_min_deg")
        if self.onvif_pan_deg[1] <= self.onvif_pan_deg[0]:
            raise ValueError("onvif_pan_deg must be increasing")
        if self.onvif_tilt_deg[1] <= self.onvif_tilt_deg[0]:
            raise ValueError("onvif_tilt_deg must be increasing")
        zooms = [s.zoom for s in self.zoom_steps]
        fovs = [s.hfov_deg for s in self.zoom_steps]
        if zooms != sorted(set(zooms)) or fovs != sorted(fovs, reverse=True):
            raise ValueError("zoom_steps: zoom increasing and hfov_deg decreasing")
        return self


class CueConfig(Strict):
    """When an alert turns a camera, and for how long."""

    levels: list[Level] = Field(default_factory=lambda: [Level.RED, Level.ORANGE])
    kinds: list[EventKind] = Field(
        default_factory=lambda: [EventKind.DARK_TARGET, EventKind.HIGH_SPEED]
    )
    reaim_s: float = Field(default=3.0, gt=0, description="Re-aim an open cue this often.")
    confirm_within_s: float = Field(
        default=60.0, gt=0, description="A cue that sees no boat this long says so on the alert."
    )
    confirm_gate_m: float = Field(
        default=300.0,
        gt=0,
        description="A boat this close to the cued point confirms it, at any range.",
    )
    confirm_bearing_deg: float = Field(
        default=1.5,
        gt=0,
        le=30,
        description="A boat this far off the cue's bearing from the mast does not confirm it.",
    )
    confirm_tilt_error_deg: float = Field(
        default=0.5,
        ge=0,
        le=10,
        description="Tilt error allowed when placing a boat by its depression angle: the range "
        "gate widens with it (one camera's range is coarse near the horizon).",
    )
    boat_length_m: float = Field(default=10.0, gt=0, description="Assumed when unknown.")
    boat_height_m: float = Field(default=2.0, ge=0, description="Above the water, for horizon.")
    frame_fill: float = Field(default=0.25, gt=0, le=1, description="Share of the frame width.")
    operator_hold_s: float = Field(
        default=120.0, gt=0, description="An operator's cue keeps the camera this long."
    )


class PtzConfig(Strict):
    cameras: list[PtzCamera] = Field(default_factory=list)
    cue: CueConfig = CueConfig()

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [c.id for c in self.cameras]
        if len(ids) != len(set(ids)):
            raise ValueError("ptz.cameras: duplicate ids")
        return self

    def camera(self, camera_id: str) -> PtzCamera | None:
        return next((c for c in self.cameras if c.id == camera_id), None)
