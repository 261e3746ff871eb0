"""What engineers tune on the camera pipeline: motion gate, detector classes, tracker, zones.

Kept apart from the detectors so the site configuration can embed these models without
importing OpenCV or ultralytics. Every model refuses unknown keys, so a misspelt threshold
fails at start rather than running on a default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from shapely.geometry import Polygon

COCO_BOAT = "boat"
COCO_PERSON = "person"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MotionConfig(_Strict):
    """How sensitive one camera's motion gate is, and what it ignores."""

    enabled: bool = Field(default=True, description="False: every frame is one full region.")
    threshold: int = Field(
        default=25,
        ge=1,
        le=255,
        description="Grey-level change that counts (lower: more sensitive).",
    )
    contour_area: float = Field(
        default=0.0002, ge=0, lt=1, description="Smallest moving blob, as a fraction of the frame."
    )
    frame_alpha: float = Field(
        default=0.05, gt=0, le=1, description="Weight of each new frame in the background average."
    )
    frame_height: int = Field(
        default=180, ge=32, le=2160, description="Height the motion frame is downscaled to."
    )
    improve_contrast: bool = Field(
        default=True, description="Stretch grey levels between running 4th/96th percentiles."
    )
    blur_size: int = Field(default=3, ge=1, le=31, description="Gaussian kernel (odd; 1 = none).")
    persistence_frames: int = Field(
        default=1, ge=1, le=30, description="Frames a pixel must keep moving (waves flicker)."
    )
    lightning_threshold: float = Field(
        default=0.6, gt=0, le=1, description="Changed fraction that means a global change: reset."
    )
    merge_distance: int = Field(
        default=32, ge=0, description="Boxes closer than this (full-res px) become one."
    )
    max_regions: int = Field(default=8, ge=1, le=64, description="More are merged pairwise.")
    padding: float = Field(
        default=0.25, ge=0, le=2, description="Context added on each side, times the box size."
    )
    min_region_size: int = Field(
        default=96, ge=1, description="Smallest region side in full-res px (detector context)."
    )
    masks: list[list[tuple[int, int]]] = Field(
        default_factory=list,
        description="Polygons to ignore, as [x, y] points in full-resolution frame pixels.",
    )

    @field_validator("blur_size")
    @classmethod
    def _odd_kernel(cls, size: int) -> int:
        if size % 2 == 0:
            raise ValueError("blur_size must be odd")
        return size

    @field_validator("masks")
    @classmethod
    def _polygons(cls, masks: list[list[tuple[int, int]]]) -> list[list[tuple[int, int]]]:
        for polygon in masks:
            if len(polygon) < 3:
                raise ValueError("a mask polygon needs at least three points")
        return masks

    @model_validator(mode="after")
    def _sane(self) -> Self:
        if self.contour_area >= self.lightning_threshold:
            raise ValueError("contour_area must be below lightning_threshold")
        return self


class CameraZoneConfig(_Strict):
    """A polygon drawn on the camera's frame, in the same pixels as the detector's boxes."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")
    name: str = ""
    polygon: list[tuple[float, float]] = Field(min_length=3, description="[x, y] pixel pairs.")
    entry: bool = Field(default=True, description="Report a track entering.")
    loiter_s: float | None = Field(default=None, gt=0, description="Report a stay this long.")
    exit_grace_s: float = Field(default=2.0, ge=0, description="Absence that ends a stay.")

    @model_validator(mode="after")
    def _valid_polygon(self) -> CameraZoneConfig:
        polygon = Polygon(self.polygon)
        if not polygon.is_valid or polygon.area <= 0:
            raise ValueError(f"zone {self.id}: the polygon is empty or crosses itself")
        return self


class ClassRule(_Strict):
    """How one object class is filtered and confirmed."""

    min_score: float = Field(
        default=0.3, gt=0, le=1, description="Boxes scored below this are dropped."
    )
    confirm_score: float = Field(
        default=0.45,
        gt=0,
        le=1,
        description="A track counts once the median of its recent scores reaches this.",
    )
    min_area: int = Field(default=0, ge=0, description="Smallest box, in detect-frame pixels².")
    max_area: int | None = Field(
        default=None, gt=0, description="Largest box, in detect-frame pixels² (None: no limit)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.max_area is not None and self.max_area <= self.min_area:
            raise ValueError("max_area must be larger than min_area")
        return self


def _default_classes() -> dict[str, ClassRule]:
    """Tuned on the shipped YOLO11n INT8 model: distant boats of 10-20 px score 0.15-0.7, so a
    low floor keeps them tracked and the median confirms them (docs/cameras.md, tuning)."""
    return {
        COCO_BOAT: ClassRule(min_score=0.15, confirm_score=0.35),
        COCO_PERSON: ClassRule(min_score=0.4, confirm_score=0.55),
    }


class TrackerConfig(_Strict):
    """ByteTrack's knobs (ultralytics names in brackets)."""

    high_score: float = Field(
        default=0.25, gt=0, le=1, description="First-round association (track_high_thresh)."
    )
    low_score: float = Field(
        default=0.1, ge=0, le=1, description="Second round keeps weak boxes (track_low_thresh)."
    )
    new_track_score: float = Field(
        default=0.25, gt=0, le=1, description="Unmatched box starting a track (new_track_thresh)."
    )
    match_threshold: float = Field(
        default=0.8, gt=0, le=1, description="Largest 1-IoU cost accepted (match_thresh)."
    )
    lost_after_s: float = Field(
        default=6.0, gt=0, le=600, description="Unseen this long, a track ends (track_buffer)."
    )
    fuse_score: bool = Field(
        default=False,
        description="Weigh the IoU by the box score when matching (fuse_score). Off: a small "
        "distant boat scoring 0.3 would need an IoU of 0.67 to keep its track.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low_score >= self.high_score:
            raise ValueError("low_score must be below high_score")
        return self


class VisionConfig(_Strict):
    """The detector every camera of this site shares (one model file, loaded per camera)."""

    model: Path | None = Field(
        default=None,
        description="YOLO weights: a .pt file or an exported model folder (OpenVINO, ONNX...); "
        "relative to the config file. Never downloaded.",
    )
    device: str = Field(
        default="auto",
        pattern=r"^(auto|cpu|cuda(:\d+)?|mps|intel:(cpu|gpu|npu))$",
        description="auto: the first CUDA GPU when torch sees one, else the CPU.",
    )
    image_size: int = Field(default=640, ge=64, le=4096, description="Inference size (px).")
    iou: float = Field(default=0.5, gt=0, le=1, description="Non-maximum suppression IoU.")
    classes: dict[str, ClassRule] = Field(
        default_factory=_default_classes,
        description="Model class names to keep (COCO: boat, person, ...), each with its rule.",
    )
    confirm_frames: int = Field(
        default=5, ge=1, le=100, description="Recent scores whose median confirms a track."
    )
    min_hits: int = Field(
        default=3, ge=1, le=100, description="Frames a track needs before it can be confirmed."
    )
    track_regions: bool = Field(
        default=True,
        description="Also look around tracked objects that stopped moving, so they keep "
        "their track while motion gating is on.",
    )
    max_passes_per_frame: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Regions are merged (nearest first) down to this many model passes. 1: "
        "gating never costs more than a whole-frame pass; more: small boats in separate "
        "regions are seen larger, at one pass each.",
    )
    full_frame_every_s: float | None = Field(
        default=10.0,
        gt=0,
        description="With gating on, look at the whole frame this often anyway, so that a "
        "boat lying still (loitering, or in view at start) is found. None: never.",
    )
    tracker: TrackerConfig = TrackerConfig()

    @field_validator("classes")
    @classmethod
    def _some_class(cls, classes: dict[str, ClassRule]) -> dict[str, ClassRule]:
        if not classes:
            raise ValueError("give at least one class (e.g. boat)")
        return classes


class EvidenceConfig(_Strict):
    """Snapshots of camera events: a JPEG with the box drawn, kept for a limited time."""

    retention_days: float = Field(default=30, gt=0, le=3650)
    max_total_mb: int = Field(default=2048, ge=1, description="Oldest deleted beyond this.")
    jpeg_quality: int = Field(default=85, ge=10, le=100)
