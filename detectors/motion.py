"""Motion gating: find the parts of a camera frame that changed, so the detector looks only there.

A YOLO pass on a full frame costs tens of milliseconds on a CPU; a still sea needs none. Each
camera gets a `MotionDetector` that keeps a running-average background of a small grey copy of
its frames (a 180-line frame is cheap and the downscale itself smooths wave speckle), compares
each new frame with it and returns padded regions, in full-resolution pixels, where something
moved. Masked areas (shore traffic, the station's own mast) are zeroed in both frame and
background, so they never differ. When most of the frame changes at once (the camera moved,
the sun came out, the IR lamp switched on) the background is reset and no motion is reported:
a detector run on a whole changed frame would only cost time and catch nothing new.

The approach follows Frigate's improved motion detector (contrast stretch over a running
min/max, blur, threshold, dilate, contours, recalibrate on global change); the code is our own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from shorewatch.config.vision import MotionConfig

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Region:
    """A box to run the detector on, in full-resolution pixels; x2 and y2 are exclusive."""

    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def width(self) -> int:
        return self.x2 - self.x1

    @property
    def height(self) -> int:
        return self.y2 - self.y1

    @property
    def area(self) -> int:
        return self.width * self.height

    def gap(self, other: Region) -> int:
        """Pixels between two boxes along the wider-separated axis; negative when they overlap."""
        dx = max(self.x1, other.x1) - min(self.x2, other.x2)
        dy = max(self.y1, other.y1) - min(self.y2, other.y2)
        return max(dx, dy)

    def union(self, other: Region) -> Region:
        return Region(
            min(self.x1, other.x1),
            min(self.y1, other.y1),
            max(self.x2, other.x2),
            max(self.y2, other.y2),
        )


class MotionDetector:
    """One camera's motion gate; keeps that camera's background between frames.

    Not thread-safe: call `detect` from the camera's own delivery thread.
    """

    def __init__(self, config: MotionConfig | None = None) -> None:
        self.config = config or MotionConfig()
        self._shape: tuple[int, int] | None = None
        self._small: tuple[int, int] = (0, 0)  # (width, height) of the motion frame
        self._background: npt.NDArray[np.float32] | None = None
        self._keep: Image | None = None  # 255 where motion counts, 0 where masked
        self._streak: Image | None = None  # consecutive moving frames per pixel
        self._contrast: tuple[float, float] | None = None
        self._last_range: tuple[float, float] | None = None
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self.calibrating = True
        self.last_changed_fraction = 0.0

    def reset(self) -> None:
        """Forget the background (the camera moved, or its settings changed)."""
        self._background = None
        self._contrast = None
        self._streak = None
        self.calibrating = True

    def detect(self, frame: Image) -> list[Region]:
        """Regions of `frame` (BGR or grey, uint8) that moved since the background."""
        height, width = frame.shape[:2]
        if not self.config.enabled:
            return [Region(0, 0, width, height)]
        if self._shape != (height, width):
            self._setup(height, width)
        grey = self._prepare(frame)
        if self._background is None or self._streak is None:
            self._background = grey.astype(np.float32)
            self._streak = np.zeros_like(grey)
            self.calibrating = True
            return []

        delta = cv2.absdiff(grey, cv2.convertScaleAbs(self._background))
        _, thresholded = cv2.threshold(delta, self.config.threshold, 255, cv2.THRESH_BINARY)
        moving = _u8(cv2.dilate(thresholded, self._kernel, iterations=1))
        changed = cv2.countNonZero(moving) / moving.size
        self.last_changed_fraction = changed
        if changed > self.config.lightning_threshold:
            # A global change: start again from this frame rather than chase it, with the
            # contrast stretch jumped to the new light too (else it would drift into motion).
            self._contrast = self._last_range
            grey = self._prepare(frame)
            self._background = grey.astype(np.float32)
            self._streak[:] = 0
            self.calibrating = True
            return []
        self.calibrating = False

        self._streak = _u8(np.where(moving > 0, np.minimum(self._streak, 254) + 1, 0))
        cv2.accumulateWeighted(grey, self._background, self.config.frame_alpha)
        if self.config.persistence_frames > 1:
            moving = _u8(np.where(self._streak >= self.config.persistence_frames, 255, 0))
        return self._regions(moving)

    def _setup(self, height: int, width: int) -> None:
        self.reset()
        self._shape = (height, width)
        small_h = min(self.config.frame_height, height)
        small_w = max(1, round(width * small_h / height))
        self._small = (small_w, small_h)
        keep = np.full((small_h, small_w), 255, np.uint8)
        scale = small_h / height
        for polygon in self.config.masks:
            points = np.array([[x * scale, y * scale] for x, y in polygon], np.float32)
            cv2.fillPoly(keep, [np.round(points).astype(np.int32)], 0)
        self._keep = keep

    def _prepare(self, frame: Image) -> Image:
        """Downscale (area average: a cheap blur), grey, contrast, mask, blur."""
        small = cv2.resize(frame, self._small, interpolation=cv2.INTER_AREA)
        grey = _u8(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small)
        if self.config.improve_contrast:
            grey = self._stretch(grey)
        if self._keep is not None and self.config.masks:
            grey = _u8(cv2.bitwise_and(grey, self._keep))
        if self.config.blur_size > 1:
            size = self.config.blur_size
            grey = _u8(cv2.GaussianBlur(grey, (size, size), 0))
        return grey

    def _stretch(self, grey: Image) -> Image:
        """Map a running 4th..96th percentile range to 0..255; the average damps flicker."""
        low, high = (float(v) for v in np.percentile(grey, (4, 96)))
        if high <= low:
            return grey
        self._last_range = (low, high)
        if self._contrast is None:
            self._contrast = (low, high)
        else:
            old_low, old_high = self._contrast
            self._contrast = (0.9 * old_low + 0.1 * low, 0.9 * old_high + 0.1 * high)
        low, high = self._contrast
        if high - low < 1:
            return grey
        lut = np.clip((np.arange(256) - low) * 255.0 / (high - low), 0, 255).astype(np.uint8)
        return _u8(cv2.LUT(grey, lut))

    def _regions(self, moving: Image) -> list[Region]:
        assert self._shape is not None
        height, width = self._shape
        if self._keep is not None and self.config.masks:
            moving = _u8(cv2.bitwise_and(moving, self._keep))
        contours, _ = cv2.findContours(moving, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_area = self.config.contour_area * moving.size
        scale = height / self._small[1]
        boxes: list[Region] = []
        for contour in contours:
            if cv2.contourArea(contour) < min_area:
                continue
            x, y, w, h = cv2.boundingRect(contour)
            boxes.append(
                Region(
                    int(x * scale),
                    int(y * scale),
                    min(width, int(np.ceil((x + w) * scale))),
                    min(height, int(np.ceil((y + h) * scale))),
                )
            )
        boxes = merge_regions(boxes, self.config.merge_distance, self.config.max_regions)
        padded = [
            pad_region(box, self.config.padding, self.config.min_region_size, width, height)
            for box in boxes
        ]
        return merge_regions(padded, 0, self.config.max_regions)


def _u8(array: Any) -> Image:
    """OpenCV's stubs type results loosely; every image here is uint8 (no copy made)."""
    return np.asarray(array, dtype=np.uint8)


def merge_regions(boxes: list[Region], distance: int, limit: int) -> list[Region]:
    """Join boxes closer than `distance`, then the closest pairs until at most `limit` remain."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if boxes[i].gap(boxes[j]) < distance:
                    boxes[i] = boxes[i].union(boxes.pop(j))
                    merged = True
                    break
            if merged:
                break
    while len(boxes) > limit:
        _, i, j = min(
            (boxes[i].gap(boxes[j]), i, j)
            for i in range(len(boxes))
            for j in range(i + 1, len(boxes))
        )
        boxes[i] = boxes[i].union(boxes.pop(j))
    return sorted(boxes, key=lambda b: (b.y1, b.x1))


def pad_region(box: Region, padding: float, min_size: int, width: int, height: int) -> Region:
    """Grow a box by `padding`, to at least `min_size` and to at most 2:1, inside the frame.

    The detector letterboxes each region into its square input: a near-square crop wastes
    little of it, and the margin gives it the water around the boat to judge by. A wide band
    (a wake, a horizon shift) is not squared, which would often mean the whole frame.
    """
    w = max(box.width * (1 + 2 * padding), min_size)
    h = max(box.height * (1 + 2 * padding), min_size)
    w, h = max(w, h / 2), max(h, w / 2)
    side_x, side_y = int(min(width, w)), int(min(height, h))
    cx = (box.x1 + box.x2) / 2
    cy = (box.y1 + box.y2) / 2
    x1 = int(min(max(cx - side_x / 2, 0), width - side_x))
    y1 = int(min(max(cy - side_y / 2, 0), height - side_y))
    return Region(x1, y1, x1 + side_x, y1 + side_y)
