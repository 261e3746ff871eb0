"""Object detection on camera frames with ultralytics YOLO, run only where the motion gate says.

The model is loaded from a path in the site config (a `.pt` file or an exported folder such as
the INT8 OpenVINO one in `../shared/models/`); nothing is ever downloaded (`YOLO_OFFLINE`).
ultralytics and torch are imported on first use, so the rest of the service runs without the
`vision` extra installed. Each motion region is cropped and passed to the model on its own:
YOLO letterboxes the crop to its input size, so a small distant boat in a 200-px region is
seen at several times the scale it would have in the whole 1080p frame, and a still sea costs
no inference at all. Boxes from overlapping regions are merged by non-maximum suppression.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt
import structlog

from detectors.motion import Region
from shorewatch.config.vision import ClassRule, VisionConfig

log = structlog.get_logger(__name__)

Image = npt.NDArray[np.uint8]
INSTALL_HINT = (
    "the camera detector needs the vision extra: "
    'pip install -e ".[vision]" (see docs/cameras.md, "Installing the vision stack")'
)


class VisionUnavailable(RuntimeError):
    """The vision stack or the model cannot be loaded; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Detection:
    """One box in full-frame pixels; the only shape detections take past the model's edge."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    label: str

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.x1, self.y1, self.x2, self.y2)

    @property
    def area(self) -> float:
        return max(0.0, self.x2 - self.x1) * max(0.0, self.y2 - self.y1)

    @classmethod
    def from_xyxy(
        cls, rows: npt.NDArray[np.float32], names: Mapping[int, str], dx: float, dy: float
    ) -> list[Detection]:
        """Adapter for `[x1, y1, x2, y2, score, class]` rows of a crop at offset (dx, dy)."""
        return [
            cls(
                float(x1 + dx),
                float(y1 + dy),
                float(x2 + dx),
                float(y2 + dy),
                float(score),
                names[int(cls_id)],
            )
            for x1, y1, x2, y2, score, cls_id in rows.tolist()
        ]


class ObjectDetector(Protocol):
    """What the pipeline needs of a detector (YOLO in the service)."""

    invocations: int

    def detect(self, image: Image, regions: Sequence[Region]) -> list[Detection]: ...


def keep(detections: Iterable[Detection], rules: Mapping[str, ClassRule]) -> list[Detection]:
    """Per-class score floor and box-area limits; classes without a rule are dropped."""
    kept = []
    for det in detections:
        rule = rules.get(det.label)
        if rule is None or det.score < rule.min_score or det.area < rule.min_area:
            continue
        if rule.max_area is not None and det.area > rule.max_area:
            continue
        kept.append(det)
    return kept


def resolve_device(device: str) -> str:
    """`auto` is the first CUDA GPU when torch sees one, else the CPU."""
    if device != "auto":
        return device
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


class YoloDetector:
    """One loaded model; not thread-safe, so each camera pipeline owns one."""

    def __init__(
        self,
        model_path: Path,
        labels: Iterable[str],
        *,
        device: str = "auto",
        image_size: int = 640,
        iou: float = 0.5,
        min_score: float = 0.1,
    ) -> None:
        if not model_path.exists():
            raise VisionUnavailable(f"model {model_path} does not exist")
        os.environ.setdefault("YOLO_OFFLINE", "1")
        os.environ.setdefault(
            "YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "shorewatch-ultralytics")
        )
        try:
            from ultralytics.models.yolo import YOLO
        except ImportError as exc:
            raise VisionUnavailable(f"{INSTALL_HINT} ({exc})") from exc
        self.device = resolve_device(device)
        self.image_size = image_size
        self.iou = iou
        self.min_score = min_score
        self.invocations = 0
        self._model: Any = YOLO(str(model_path), task="detect")
        names: dict[int, str] = dict(self._model.names)
        by_name = {name: index for index, name in names.items()}
        unknown = sorted(set(labels) - set(by_name))
        if unknown:
            raise VisionUnavailable(
                f"model {model_path.name} has no class {', '.join(unknown)} "
                f"(it knows e.g. {', '.join(list(by_name)[:12])})"
            )
        self.names = names
        self.class_ids = sorted(by_name[label] for label in set(labels))
        self._predict(np.zeros((image_size, image_size, 3), np.uint8))  # warm-up, compiles
        self.invocations = 0
        log.info("vision model loaded", model=str(model_path), device=self.device)

    def detect(self, image: Image, regions: Sequence[Region]) -> list[Detection]:
        """Boxes of the wanted classes found in `regions` of `image`, in full-frame pixels."""
        found: list[Detection] = []
        for region in regions:
            crop = image[region.y1 : region.y2, region.x1 : region.x2]
            if crop.size == 0:
                continue
            found.extend(Detection.from_xyxy(self._predict(crop), self.names, region.x1, region.y1))
        return suppress(found, self.iou) if len(regions) > 1 else found

    def _predict(self, image: Image) -> npt.NDArray[np.float32]:
        self.invocations += 1
        result = self._model.predict(
            np.ascontiguousarray(image),
            imgsz=self.image_size,
            conf=self.min_score,
            iou=self.iou,
            classes=self.class_ids,
            device=self.device,
            verbose=False,
        )[0]
        return np.asarray(result.boxes.data.cpu().numpy(), dtype=np.float32)


def suppress(detections: list[Detection], iou: float) -> list[Detection]:
    """Non-maximum suppression per class across regions (a boat in two overlapping crops)."""
    kept: list[Detection] = []
    for label in {d.label for d in detections}:
        same = [d for d in detections if d.label == label]
        boxes = [[d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1] for d in same]
        indices = cv2.dnn.NMSBoxes(boxes, [d.score for d in same], 0.0, iou)
        kept.extend(same[int(i)] for i in np.asarray(indices).reshape(-1))
    return sorted(kept, key=lambda d: -d.score)


def load_detector(
    vision: VisionConfig, model: Path, rules: Mapping[str, ClassRule]
) -> YoloDetector:
    """The detector a camera with these class rules needs, as the site configures it."""
    floor = min(min(r.min_score for r in rules.values()), vision.tracker.low_score)
    return YoloDetector(
        model,
        rules,
        device=vision.device,
        image_size=vision.image_size,
        iou=vision.iou,
        min_score=floor,
    )
