"""`shorewatch camera-check`: run one camera's pipeline on its stream or a recording and print
what it saw, track by track, so an engineer can set `min_score` / `confirm_score` from the
scores the model really gives on that camera (docs/cameras.md, "Tuning the scores").

Nothing is published and nothing is stored; snapshots go to `--snapshots` when given.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from shorewatch.config.site import SiteCamera, SiteConfig
from shorewatch.events import Event, Observation

COMMAND = "camera-check"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        COMMAND,
        help="run one camera's detector on its stream or a recording; print scores per track",
        description=__doc__,
    )
    parser.add_argument("camera", help="the camera's id in ingest.cameras")
    parser.add_argument("--source", help="a video file or URL instead of the camera's own")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="stop after this long (a file: or at its end)"
    )
    parser.add_argument("--snapshots", type=Path, help="write event snapshots here")


@dataclass
class TrackSummary:
    label: str
    scores: list[float] = field(default_factory=list)
    areas: list[float] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    confirmed_at: datetime | None = None

    def line(self, track_id: int, start: datetime) -> str:
        def at(moment: datetime | None) -> str:
            return "-" if moment is None else f"{(moment - start).total_seconds():.1f}"

        return (
            f"{track_id:>6} {self.label:<8} {len(self.scores):>6} "
            f"{min(self.scores):>5.2f} {statistics.median(self.scores):>6.2f} "
            f"{max(self.scores):>5.2f} {statistics.median(self.areas):>8.0f} "
            f"{at(self.first):>7} {at(self.last):>7} {at(self.confirmed_at):>9}"
        )


def run(site: SiteConfig, args: argparse.Namespace) -> int:
    cameras = {c.id: c for c in site.ingest.cameras}
    camera = cameras.get(args.camera)
    if camera is None:
        known = ", ".join(cameras) or "none configured"
        print(f"shorewatch: no camera {args.camera!r} (ingest.cameras: {known})", file=sys.stderr)
        return 2
    if args.source:
        update: dict[str, object] = {"url": args.source, "detect": True}
        if "://" not in args.source:
            update |= {"realtime": False, "loop": False}
        camera = SiteCamera.model_validate({**camera.model_dump(), **update})
    if site.vision.model is None:
        print("shorewatch: vision.model is not set", file=sys.stderr)
        return 2
    return _check(site, camera, site.resolve(site.vision.model), args.seconds, args.snapshots)


def _check(
    site: SiteConfig, camera: SiteCamera, model: Path, seconds: float, snapshots: Path | None
) -> int:
    from detectors.camera_pipeline import CameraPipeline
    from detectors.evidence import SnapshotWriter
    from detectors.vision import VisionUnavailable, load_detector
    from ingest.rtsp import CameraReader, CameraStatus, Frame
    from shorewatch.store.photos import PhotoStore

    rules = camera.rules(site.vision)
    try:
        detector = load_detector(site.vision, model, rules)
    except VisionUnavailable as exc:
        print(f"shorewatch: {exc}", file=sys.stderr)
        return 1
    events: list[Event] = []
    observations: list[Observation] = []
    writer = None
    if snapshots is not None:
        writer = SnapshotWriter(PhotoStore(snapshots, timedelta(days=3650)))
    pipeline = CameraPipeline(
        camera,
        site.vision,
        detector,
        publish_observation=observations.append,
        publish_event=events.append,
        config_version=site.version,
        snapshots=writer,
    )
    tracks: dict[int, TrackSummary] = {}
    start: list[datetime] = []

    def on_frame(frame: Frame) -> None:
        if not start:
            start.append(frame.time)
        for obj in pipeline.process(frame.time, frame.image).objects:
            summary = tracks.setdefault(obj.track_id, TrackSummary(obj.detection.label))
            summary.scores.append(obj.detection.score)
            summary.areas.append(obj.detection.area)
            summary.first = summary.first or frame.time
            summary.last = frame.time
            if obj.newly_confirmed:
                summary.confirmed_at = frame.time

    def on_status(status: CameraStatus) -> None:
        print(f"camera {'online' if status.online else 'offline'}: {status.reason}")

    reader = CameraReader(camera, on_frame, on_status)
    reader.start()
    reader.join(seconds)  # a file ends by itself; a stream runs for `seconds`
    reader.stop()
    pipeline.close()
    _report(pipeline.counts(), tracks, start[0] if start else None, events, len(observations))
    return 0


def _report(
    counts: dict[str, int],
    tracks: dict[int, TrackSummary],
    start: datetime | None,
    events: list[Event],
    observations: int,
) -> None:
    frames = counts["frames"] or 1
    print(
        f"frames {counts['frames']}, model passes {counts['detector_runs']} "
        f"({counts['detector_runs'] / frames:.2f} a frame), boxes kept {counts['detections']}, "
        f"observations {observations} (unplaced {counts['unplaced']})"
    )
    if start is None or not tracks:
        print("no tracks")
        return
    print(" track label    frames   min median   max area_px²  first_s  last_s confirm_s")
    for track_id, summary in sorted(tracks.items()):
        print(summary.line(track_id, start))
    for event in events:
        state = "closed" if event.end is not None else "opened"
        print(f"event {event.kind.value} {state} {', '.join(event.targets)} {event.evidence}")
