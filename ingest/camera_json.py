"""Detections from smart cameras that run their own detector and publish JSON over MQTT.

One payload is one detection or an array of them (one frame's boxes). A detection is placed
by the lat/lon the camera gives, else by this camera's `GeoCalibration` applied to the box's
bottom-centre; a box that cannot be placed (no calibration, or above the horizon) is counted
`no_position`. Like the radar JSON decoder it never raises and puts every detection in
exactly one `CameraOutcome`, so `stats` accounts for the whole feed.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ingest.json_feed import InvalidJson, json_items, summary
from shorewatch.events import Latitude, Longitude, Observation, Source
from shorewatch.geocal import GeoCalibration

Pixel = Annotated[float, Field(ge=0.0, le=65_536.0)]


class CameraOutcome(StrEnum):
    TARGET = "target"
    NO_POSITION = "no_position"  # no lat/lon given and no calibration places the box
    INVALID_JSON = "invalid_json"
    SCHEMA = "schema"


CAMERA_REJECTIONS = frozenset(
    {CameraOutcome.NO_POSITION, CameraOutcome.INVALID_JSON, CameraOutcome.SCHEMA}
)


class EdgeDetection(BaseModel):
    """One box as the camera reports it; the camera's id is its topic, not a field."""

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    track: str = Field(min_length=1, max_length=32, description="The camera tracker's id.")
    time: AwareDatetime
    label: str = Field(min_length=1, max_length=64)
    confidence: float = Field(ge=0.0, le=1.0)
    bbox: tuple[Pixel, Pixel, Pixel, Pixel] = Field(description="[x1, y1, x2, y2] in pixels.")
    lat: Latitude | None = None
    lon: Longitude | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        x1, y1, x2, y2 = self.bbox
        if x2 <= x1 or y2 <= y1:
            raise ValueError("bbox must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give lat with lon")
        return self


class EdgeCameraDecoder:
    """One smart camera's feed: detections in, camera observations out."""

    def __init__(
        self,
        camera_id: str,
        *,
        calibration: GeoCalibration | None = None,
        on_outcome: Callable[[CameraOutcome, str], None] | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.calibration = calibration
        self._on_outcome = on_outcome
        self.stats: Counter[str] = Counter()

    def feed(self, payload: bytes | str) -> tuple[Observation, ...]:
        """Decode one payload; a bad detection is counted and skipped, never raised."""
        try:
            items = json_items(payload)
        except InvalidJson as exc:
            self._count(CameraOutcome.INVALID_JSON, str(exc))
            return ()
        if not items:
            self._count(CameraOutcome.SCHEMA, "empty array")
        observations: list[Observation] = []
        for item in items:
            try:
                detection = EdgeDetection.model_validate(item)
                obs = self._convert(detection)
            except ValidationError as exc:
                self._count(CameraOutcome.SCHEMA, summary(exc, "detection"))
                continue
            if obs is None:
                self._count(CameraOutcome.NO_POSITION, f"track {detection.track}")
                continue
            self._count(CameraOutcome.TARGET, "")
            observations.append(obs)
        return tuple(observations)

    def _convert(self, detection: EdgeDetection) -> Observation | None:
        position = self._place(detection)
        if position is None:
            return None
        return Observation(
            source=Source.CAMERA,
            sensor_id=self.camera_id,
            target_ref=f"{self.camera_id}-{detection.track}",
            time=detection.time,
            lat=position[0],
            lon=position[1],
            label=detection.label,
            confidence=detection.confidence,
            bbox=detection.bbox,
        )

    def _place(self, detection: EdgeDetection) -> tuple[float, float] | None:
        if detection.lat is not None and detection.lon is not None:
            return detection.lat, detection.lon
        if self.calibration is None:
            return None
        return self.calibration.place(detection.bbox)

    def _count(self, outcome: CameraOutcome, detail: str) -> None:
        self.stats[outcome.value] += 1
        if self._on_outcome is not None:
            # A failing logger or metric must not stop the feed.
            with contextlib.suppress(Exception):
                self._on_outcome(outcome, detail)
