"""Camera tracking: ultralytics' ByteTrack keeps ids across frames; we add score confirmation.

ByteTrack associates boxes by IoU after a Kalman prediction, in two rounds (confident boxes
first, then weak ones that can only continue an existing track), which is what keeps a boat's
id while its score dips behind spray. A track is *confirmed* (becomes a target the service
reports) only once it has been seen `min_hits` times and the median of its last
`confirm_frames` scores reaches the class's `confirm_score`: one glint scored 0.5 is not a
boat, five frames around 0.5 are. Ends are reported when ByteTrack drops a track, so events
can close.
"""

from __future__ import annotations

import statistics
from argparse import Namespace
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detectors.vision import Detection
from shorewatch.config.vision import ClassRule, TrackerConfig


@dataclass(frozen=True, slots=True)
class TrackedObject:
    track_id: int
    detection: Detection
    median_score: float
    hits: int
    confirmed: bool
    newly_confirmed: bool


@dataclass(frozen=True, slots=True)
class TrackUpdate:
    objects: list[TrackedObject]
    ended: list[int]


@dataclass(slots=True)
class _History:
    scores: deque[float]
    hits: int = 0
    confirmed: bool = False
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


@dataclass(slots=True)
class _Confirmation:
    window: int
    min_hits: int
    rules: Mapping[str, ClassRule]
    tracks: dict[int, _History] = field(default_factory=dict)

    def observe(self, track_id: int, det: Detection) -> TrackedObject:
        history = self.tracks.get(track_id)
        if history is None:
            history = self.tracks[track_id] = _History(deque(maxlen=self.window))
        history.scores.append(det.score)
        history.hits += 1
        history.bbox = det.bbox
        median = statistics.median(history.scores)
        rule = self.rules.get(det.label)
        newly = (
            not history.confirmed
            and rule is not None
            and history.hits >= self.min_hits
            and median >= rule.confirm_score
        )
        history.confirmed = history.confirmed or newly
        return TrackedObject(track_id, det, median, history.hits, history.confirmed, newly)


class ByteTracker:
    """One camera's tracker (ultralytics `BYTETracker`) plus score confirmation."""

    def __init__(
        self,
        config: TrackerConfig,
        rules: Mapping[str, ClassRule],
        *,
        fps: float,
        confirm_frames: int,
        min_hits: int,
        frame_shape: tuple[int, int] = (1080, 1920),
    ) -> None:
        from ultralytics.trackers.byte_tracker import BYTETracker

        args = Namespace(
            track_high_thresh=config.high_score,
            track_low_thresh=config.low_score,
            new_track_thresh=config.new_track_score,
            track_buffer=max(1, round(config.lost_after_s * fps)),
            match_thresh=config.match_threshold,
            fuse_score=config.fuse_score,
        )
        tracker_class: Any = BYTETracker  # its __init__ is unannotated
        self._tracker: Any = tracker_class(args)
        self._confirm = _Confirmation(confirm_frames, min_hits, rules)
        self._labels = sorted(rules)
        self._shape = frame_shape

    def update(self, detections: Sequence[Detection]) -> TrackUpdate:
        """Feed one frame's boxes (possibly none, which ages the tracks)."""
        from ultralytics.engine.results import Boxes

        rows = np.array(
            [[*d.bbox, d.score, self._class_index(d.label)] for d in detections],
            dtype=np.float32,
        ).reshape(-1, 6)
        output = self._tracker.update(Boxes(rows, self._shape))
        objects = []
        for row in np.asarray(output).reshape(-1, 8).tolist():
            x1, y1, x2, y2, track_id, score, _cls, index = row
            source = detections[int(index)]
            det = Detection(x1, y1, x2, y2, float(score), source.label)
            objects.append(self._confirm.observe(int(track_id), det))
        alive = {int(t.track_id) for t in self._tracker.tracked_stracks}
        alive |= {int(t.track_id) for t in self._tracker.lost_stracks}
        ended = sorted(set(self._confirm.tracks) - alive)
        for track_id in ended:
            del self._confirm.tracks[track_id]
        return TrackUpdate(objects, ended)

    def active_boxes(self) -> list[tuple[float, float, float, float]]:
        """Where tracked (and briefly lost) objects were last seen, to look there again."""
        return [h.bbox for h in self._confirm.tracks.values()]

    def _class_index(self, label: str) -> int:
        return self._labels.index(label) if label in self._labels else len(self._labels)
