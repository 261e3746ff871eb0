"""The YOLO detector on real frames with the real INT8 weights, and the filters around it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from detectors.motion import Region
from detectors.vision import Detection, VisionUnavailable, YoloDetector, keep, suppress
from shorewatch.config.vision import ClassRule

Image = npt.NDArray[np.uint8]
SOOKE = "images/coral_sooke_ptz"
EMPTY_FRAME = "D1_sooke1_ptz_capture_2019-08-18_13-38-10.jpg"  # the manifest: no boat
BUSY_FRAME = "D1_sooke1_ptz_capture_2019-08-18_15-44-10.jpg"


@pytest.fixture(scope="module")
def detector(shared_models: Path) -> YoloDetector:
    return YoloDetector(
        shared_models / "yolo11n_int8_openvino_model", ["boat", "person"], min_score=0.2
    )


def frame(shared_data: Path, name: str) -> Image:
    image = cv2.imread(str(shared_data / SOOKE / name))
    assert image is not None
    return np.asarray(image, dtype=np.uint8)


def whole(image: Image) -> list[Region]:
    return [Region(0, 0, image.shape[1], image.shape[0])]


def test_finds_boats_on_a_real_shore_camera_frame_and_none_on_the_empty_one(
    detector: YoloDetector, shared_data: Path
) -> None:
    busy = frame(shared_data, BUSY_FRAME)
    boats = [d for d in detector.detect(busy, whole(busy)) if d.label == "boat"]
    assert len(boats) >= 2
    for boat in boats:
        assert 0 <= boat.x1 < boat.x2 <= 1920
        assert 0 <= boat.y1 < boat.y2 <= 1080
        assert boat.score >= 0.2
    empty = frame(shared_data, EMPTY_FRAME)
    assert [d for d in detector.detect(empty, whole(empty)) if d.label == "boat"] == []


def test_a_region_is_detected_in_full_frame_pixels(
    detector: YoloDetector, shared_data: Path
) -> None:
    """A crop around one boat finds it where the full frame does (offset added back)."""
    busy = frame(shared_data, BUSY_FRAME)
    best = max(detector.detect(busy, whole(busy)), key=lambda d: d.score)
    cx, cy = (best.x1 + best.x2) / 2, (best.y1 + best.y2) / 2
    region = Region(int(cx) - 160, int(cy) - 120, int(cx) + 160, int(cy) + 120)
    before = detector.invocations
    found = detector.detect(busy, [region])
    assert detector.invocations == before + 1
    match = min(found, key=lambda d: abs((d.x1 + d.x2) / 2 - cx) + abs((d.y1 + d.y2) / 2 - cy))
    assert abs((match.x1 + match.x2) / 2 - cx) < 15
    assert abs((match.y1 + match.y2) / 2 - cy) < 15
    assert region.x1 <= match.x1 < match.x2 <= region.x2


def test_no_region_no_inference(detector: YoloDetector, shared_data: Path) -> None:
    busy = frame(shared_data, BUSY_FRAME)
    before = detector.invocations
    assert detector.detect(busy, []) == []
    assert detector.invocations == before


def test_a_missing_model_or_class_is_refused_with_the_reason(shared_models: Path) -> None:
    with pytest.raises(VisionUnavailable, match="does not exist"):
        YoloDetector(shared_models / "no-such-model", ["boat"])
    with pytest.raises(VisionUnavailable, match="has no class submarine"):
        YoloDetector(shared_models / "yolo11n_int8_openvino_model", ["boat", "submarine"])


def box(x1: float, score: float, label: str = "boat", size: float = 20) -> Detection:
    return Detection(x1, 100, x1 + size, 100 + size / 2, score, label)


def test_keep_applies_each_class_rule() -> None:
    rules = {
        "boat": ClassRule(min_score=0.2, min_area=100, max_area=10_000),
        "person": ClassRule(min_score=0.5),
    }
    candidates = [
        box(0, 0.25),  # kept
        box(0, 0.19),  # under the boat floor
        box(0, 0.9, size=8),  # 32 px² < min_area
        box(0, 0.9, size=200),  # 20,000 px² > max_area
        box(0, 0.45, "person"),  # under the person floor
        box(0, 0.6, "person"),  # kept
        box(0, 0.99, "car"),  # no rule: not wanted
    ]
    assert keep(candidates, rules) == [candidates[0], candidates[5]]


def test_suppress_merges_one_boat_seen_in_two_overlapping_regions() -> None:
    same_a, same_b, other = box(100, 0.5), box(102, 0.4), box(300, 0.3)
    person = box(101, 0.6, "person")
    assert suppress([same_a, same_b, other, person], 0.5) == [person, same_a, other]


def test_from_xyxy_adds_the_region_offset() -> None:
    rows = np.array([[1, 2, 11, 7, 0.5, 8]], dtype=np.float32)
    (det,) = Detection.from_xyxy(rows, {8: "boat"}, 100, 200)
    assert det == Detection(101, 202, 111, 207, 0.5, "boat")
    assert det.area == 50
