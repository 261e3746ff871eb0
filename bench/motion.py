"""Motion gate cost and yield on real footage, one core.

    python -m bench.motion [--repeat N]

The clip (hand-held, 320x240, 279 frames) gives frames per second of `MotionDetector.detect`,
the fraction of frames with motion, regions per frame and the mean fraction of the frame the
regions cover (what the detector would still look at). The Sooke fixed-camera frames
(1920x1080) give the cost at full HD and the same yield figures for a camera that does not move.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from detectors.motion import MotionDetector
from ingest.video_file import read_all_frames

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
Image = npt.NDArray[np.uint8]


def _clip() -> list[Image]:
    return read_all_frames(DATA / "video" / "liangsmfish_ship_at_sea_320x240.mp4")


def _run(name: str, sequences: list[list[Image]], repeat: int) -> None:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for frames in sequences:
            detector = MotionDetector()
            for frame in frames:
                detector.detect(frame)
        best = min(best, time.perf_counter() - started)
    n = moving = regions = 0
    area = 0.0
    for frames in sequences:
        detector = MotionDetector()
        for frame in frames:
            found = detector.detect(frame)
            covered = np.zeros(frame.shape[:2], bool)
            for r in found:
                covered[r.y1 : r.y2, r.x1 : r.x2] = True
            n += 1
            moving += bool(found)
            regions += len(found)
            area += float(covered.mean())
    print(
        f"{name}: {n / best:,.0f} frames/s, {moving / n:.2f} of frames with motion, "
        f"{regions / n:.2f} regions/frame, mean area fraction {area / n:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    _run("clip 320x240 (hand-held)", [_clip()], args.repeat)
    folder = DATA / "images" / "coral_sooke_ptz"
    sequences = [
        [np.asarray(cv2.imread(str(p)), dtype=np.uint8) for p in sorted(folder.glob(pattern))]
        for pattern in ("data1_*", "data2_*13-18-*", "data2_*13-27-*")
    ]
    _run("sooke 1920x1080 (fixed, 3 sequences of 3 frames)", sequences, args.repeat)


if __name__ == "__main__":
    main()
