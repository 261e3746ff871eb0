"""A short video file decoded whole into memory, for benches, tests and offline tuning runs,
where decoding must not be timed with (or interleaved into) the work being measured."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt


def read_all_frames(path: Path) -> list[npt.NDArray[np.uint8]]:
    """Every frame the file shows, BGR; empty when it cannot be opened."""
    capture = cv2.VideoCapture(str(path))
    frames: list[npt.NDArray[np.uint8]] = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return frames
            frames.append(np.asarray(frame, dtype=np.uint8))
    finally:
        capture.release()
