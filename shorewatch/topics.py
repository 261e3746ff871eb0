"""MQTT topic names in one place (DESIGN.md, "Topics"), under a configurable root."""

from __future__ import annotations

import math
from dataclasses import dataclass

from shorewatch.events import EventKind, Level, Source


@dataclass(frozen=True)
class Topics:
    root: str = "shorewatch"

    def raw_ais(self, receiver: str) -> str:
        return f"{self.root}/raw/ais/{receiver}"

    def raw_radar(self, site_id: str) -> str:
        return f"{self.root}/raw/radar/{site_id}"

    def raw_camera(self, camera: str) -> str:
        return f"{self.root}/raw/camera/{camera}"

    def obs(self, source: Source, sensor: str) -> str:
        return f"{self.root}/obs/{source.value}/{sensor}"

    def event(self, kind: EventKind) -> str:
        return f"{self.root}/events/{kind.value}"

    def alert(self, level: Level) -> str:
        return f"{self.root}/alerts/{level.value}"

    def status(self, component: str) -> str:
        return f"{self.root}/status/{component}"

    @property
    def all_raw_ais(self) -> str:
        return f"{self.root}/raw/ais/+"

    @property
    def all_obs(self) -> str:
        return f"{self.root}/obs/#"

    @property
    def all_events(self) -> str:
        return f"{self.root}/events/+"

    @property
    def all_alerts(self) -> str:
        return f"{self.root}/alerts/+"

    def unit_position(self, unit: str) -> str:
        return f"{self.root}/units/{unit}/position"

    def unit_state(self, unit: str) -> str:
        return f"{self.root}/units/{unit}/state"

    def unit_assignments(self, unit: str) -> str:
        return f"{self.root}/units/{unit}/assignments"

    @property
    def all_unit_positions(self) -> str:
        return f"{self.root}/units/+/position"

    @property
    def all_unit_states(self) -> str:
        return f"{self.root}/units/+/state"

    def picture(self, tile: str) -> str:
        return f"{self.root}/picture/{tile}"

    @property
    def all_picture(self) -> str:
        return f"{self.root}/picture/+"

    def receiver_of(self, raw_topic: str) -> str:
        return raw_topic.rsplit("/", 1)[-1]

    @property
    def all_status(self) -> str:
        return f"{self.root}/status/+"

    def camera_cue(self, camera: str) -> str:
        return f"{self.root}/cameras/{camera}/cue"

    def camera_ptz(self, camera: str) -> str:
        return f"{self.root}/cameras/{camera}/ptz"

    @property
    def all_camera_cues(self) -> str:
        return f"{self.root}/cameras/+/cue"

    @property
    def all_camera_ptz(self) -> str:
        return f"{self.root}/cameras/+/ptz"


def picture_tile(lat: float, lon: float) -> str:
    """The one-degree cell a position lies in, named by its south-west corner (`58N011E`):
    the `{tile}` of `picture/{tile}`, so that a consumer can subscribe to part of the sea."""
    south, west = math.floor(lat), math.floor(lon)
    ns = f"{abs(south):02d}{'N' if south >= 0 else 'S'}"
    ew = f"{abs(west):03d}{'E' if west >= 0 else 'W'}"
    return ns + ew
