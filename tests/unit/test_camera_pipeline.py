"""The camera pipeline on the real clip with the real model: episodes, pixel zones, evidence.

Frames come from the file (the RTSP path is tested in the integration suite); times are the
clip's own, 15 fps from a fixed start, so the facts are checked to the frame.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from detectors.camera_pipeline import CameraPipeline, run_epoch
from detectors.evidence import SnapshotWriter
from detectors.ptz_view import PtzView
from detectors.vision import YoloDetector
from ingest.video_file import read_all_frames
from shorewatch.config.ptz import CueConfig, PtzCamera
from shorewatch.config.site import SiteCamera
from shorewatch.config.vision import CameraZoneConfig, MotionConfig, VisionConfig
from shorewatch.events import Event, EventKind, Observation, PtzReport, TrackEnd
from shorewatch.store.photos import PhotoStore

Image = npt.NDArray[np.uint8]
CLIP = "video/liangsmfish_ship_at_sea_320x240.mp4"
EMPTY_SEA = "D1_sooke1_ptz_capture_2019-08-18_13-38-10.jpg"  # the manifest: no boat
BOATS = "D1_sooke1_ptz_capture_2019-08-18_15-44-10.jpg"
START = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
FPS = 15.0
# The boat crosses from the left edge (frame ~86) to the right (~234); this zone is the right
# half of the picture, which it enters around frame 150 and stays in until it is lost.
RIGHT_HALF = CameraZoneConfig(
    id="channel", polygon=[(160, 0), (320, 0), (320, 240), (160, 240)], loiter_s=2.0
)


@pytest.fixture(scope="module")
def frames(shared_data: Path) -> list[Image]:
    return read_all_frames(shared_data / CLIP)


@pytest.fixture(scope="module")
def model(shared_models: Path) -> Path:
    return shared_models / "yolo11n_int8_openvino_model"


class Run:
    def __init__(
        self,
        model: Path,
        store: PhotoStore | None,
        vision: VisionConfig | None = None,
        ptz: PtzView | None = None,
        **camera: object,
    ) -> None:
        vision = vision or VisionConfig(model=model)
        self.camera = SiteCamera.model_validate(
            {
                "id": "cam-7",
                "url": "clip.mp4",
                "lat": 58.25,
                "lon": 11.40,
                "detect_fps": FPS,
                "motion": MotionConfig(enabled=False),
                "calibration": {
                    "method": "pose",
                    "lat": 58.25,
                    "lon": 11.40,
                    "height_m": 10,
                    "heading_deg": 90,
                    "tilt_deg": 20,
                    "fov_deg": 60,
                    "width": 320,
                    "height": 240,
                },
                **camera,
            }
        )
        self.observations: list[Observation] = []
        self.events: list[Event] = []
        self.ends: list[TrackEnd] = []
        self.pipeline = CameraPipeline(
            self.camera,
            vision,
            YoloDetector(model, vision.classes, min_score=0.1),
            publish_observation=self.observations.append,
            publish_event=self.events.append,
            config_version="test-7",
            snapshots=None if store is None else SnapshotWriter(store),
            publish_end=self.ends.append,
            ptz=ptz,
        )

    def play(self, frames: list[Image]) -> None:
        for index, image in enumerate(frames):
            self.pipeline.process(START + timedelta(seconds=index / FPS), image)
        self.pipeline.close()

    def of_kind(self, kind: EventKind) -> list[Event]:
        return [e for e in self.events if e.kind is kind]


def test_one_boat_is_one_episode_with_a_snapshot_and_placed_observations(
    frames: list[Image], model: Path, tmp_path: Path
) -> None:
    store = PhotoStore(tmp_path / "snapshots", timedelta(days=1))
    run = Run(model, store)
    run.play(frames)

    opened, ended = run.of_kind(EventKind.CAMERA_TARGET)
    assert opened.id == ended.id
    assert opened.end is None
    assert ended.end is not None
    ref = f"cam-7-{run_epoch(START)}-{opened.facts['track']}"  # per-run epoch: first frame
    assert opened.targets == (f"camera:{ref}",)
    # Seen from about 5.7 s to 15.6 s into the clip.
    assert 5.0 < (opened.start - START).total_seconds() < 8.0
    assert 8.0 < float(ended.facts["duration_s"]) < 11.0
    assert opened.facts["label"] == "boat"
    assert opened.config_version == "test-7"
    assert opened.evidence == (f"/api/v1/events/{opened.id}/snapshot",)
    assert ended.evidence == opened.evidence
    data = store.read(opened.id, "image/jpeg")
    assert data is not None
    assert data.startswith(b"\xff\xd8\xff")

    refs = {o.target_ref for o in run.observations}
    assert refs == {ref}
    # Lost by the tracker: its track ends in the detector at once, at its last observation.
    assert [(e.target_ref, e.time) for e in run.ends] == [(ref, run.observations[-1].time)]
    assert len(run.observations) > 80
    assert all(o.lon > 11.40 for o in run.observations)  # heading 90°: east of the mast
    # Box x range -> a waterline length on every placed report (issue 13: size evidence).
    lengths = [o.length_m for o in run.observations if o.length_m is not None]
    assert len(lengths) == len(run.observations)
    assert all(0 < length < 600 for length in lengths)
    stats = run.pipeline.stats
    assert stats.frames == len(frames)
    assert stats.observations == len(run.observations)
    assert stats.confirmed_tracks == 1
    assert stats.snapshots == 1


def test_pixel_zone_entry_and_loitering_become_closed_episodes(
    frames: list[Image], model: Path, tmp_path: Path
) -> None:
    store = PhotoStore(tmp_path / "snapshots", timedelta(days=1))
    run = Run(model, store, zones=[RIGHT_HALF])
    run.play(frames)

    entry_open, entry_closed = run.of_kind(EventKind.ZONE_ENTRY)
    assert entry_open.id == entry_closed.id
    assert entry_open.facts["camera_zone"] == "channel"
    assert entry_open.facts["camera"] == "cam-7"
    assert entry_closed.end is not None
    entered_s = (entry_open.start - START).total_seconds()
    assert 9.0 < entered_s < 12.0  # the box's bottom-centre crosses x = 160 around frame 150
    loiter_open, loiter_closed = run.of_kind(EventKind.LOITERING)
    assert loiter_open.start == entry_open.start  # a stay is dated from its entry
    assert float(loiter_open.facts["dwell_s"]) >= 2.0
    assert loiter_closed.end == entry_closed.end
    for event in (entry_open, loiter_open):
        assert store.read(event.id, "image/jpeg") is not None


def test_a_failing_snapshot_store_still_publishes_the_event(
    frames: list[Image], model: Path, tmp_path: Path
) -> None:
    store = PhotoStore(tmp_path / "snapshots", timedelta(days=1))
    shutil.rmtree(store.root)  # the disk went away under the running service
    run = Run(model, store)
    run.play(frames)
    opened = run.of_kind(EventKind.CAMERA_TARGET)[0]
    assert opened.evidence == ()
    assert run.pipeline.stats.snapshot_errors == 1


def ptz_report(at: datetime, aim: Observation | None = None) -> PtzReport:
    """The PTZ on the clip's mast looking east 20 degrees down (the fixed camera's pose), with
    a cue aimed at `aim` when given."""
    return PtzReport(
        camera="ptz-7",
        time=at,
        ok=True,
        cue_id=None if aim is None else uuid.UUID(int=7),
        target=None if aim is None else "radar:r-21",
        pan_deg=90.0,
        tilt_deg=-20.0,
        zoom=0.0,
        hfov_deg=60.0,
        aim_lat=None if aim is None else aim.lat,
        aim_lon=None if aim is None else aim.lon,
    )


def mast_ptz() -> PtzCamera:
    """The PTZ whose view the clip stands in for (10 m up, pan 0 = north)."""
    return PtzCamera.model_validate(
        {
            "id": "ptz-7",
            "lat": 58.25,
            "lon": 11.40,
            "height_m": 10,
            "pan_zero_deg": 0,
            "zoom_steps": [{"zoom": 0.0, "hfov_deg": 60.0}, {"zoom": 1.0, "hfov_deg": 2.0}],
            "onvif": {"host": "127.0.0.1"},
        }
    )


def test_a_boat_tracked_before_the_cue_is_linked_once_the_cue_points_at_it(
    frames: list[Image], model: Path
) -> None:
    """The camera was already following the boat when the cue came: its sighting so far ends
    and one linked to the cued track (`associated_with`) begins, once."""
    ptz = mast_ptz()
    view = PtzView(ptz, CueConfig(confirm_gate_m=50), 320, 240)
    view.follow(ptz_report(START))  # looking, not cued
    run = Run(model, None, ptz=view, calibration=None)
    cue_frame = 140
    for index, image in enumerate(frames):
        time = START + timedelta(seconds=index / FPS)
        if index == cue_frame:
            view.follow(ptz_report(time, aim=run.observations[-1]))  # where the boat is now
        run.pipeline.process(time, image)
    run.pipeline.close()

    first_open, first_closed, linked_open, linked_closed = run.of_kind(EventKind.CAMERA_TARGET)
    assert first_open.id == first_closed.id
    assert "associated_with" not in first_open.facts
    assert first_closed.end is not None
    assert first_closed.end < START + timedelta(seconds=cue_frame / FPS) + timedelta(seconds=1)
    assert linked_open.id == linked_closed.id != first_open.id
    assert linked_open.targets == first_open.targets  # the same camera track
    assert linked_open.facts["associated_with"] == "radar:r-21"
    assert linked_open.facts["ptz"] == "ptz-7"
    assert linked_open.start >= START + timedelta(seconds=cue_frame / FPS)
    assert linked_closed.end is not None


def test_nothing_is_placed_while_the_ptz_turns_to_a_cue(frames: list[Image], model: Path) -> None:
    """Between a cue and the report of its move the last pose is stale: boxes are not placed
    by it (counted), and placing resumes with the pose the report gives."""
    ptz = mast_ptz()
    view = PtzView(ptz, CueConfig(), 320, 240)
    view.follow(ptz_report(START))
    run = Run(model, None, ptz=view, calibration=None)
    cued_at, reported_at = 110, 125
    placed_by_frame: list[int] = []
    for index, image in enumerate(frames):
        time = START + timedelta(seconds=index / FPS)
        if index == cued_at:
            view.cued()
        if index == reported_at:
            view.follow(ptz_report(time))
        before = len(run.observations)
        run.pipeline.process(time, image)
        placed_by_frame.append(len(run.observations) - before)
    assert sum(placed_by_frame[:cued_at]) > 0
    assert sum(placed_by_frame[cued_at:reported_at]) == 0
    assert sum(placed_by_frame[reported_at:]) > 0
    assert run.pipeline.stats.unplaced_ptz_moving >= reported_at - cued_at - 5


def still_camera(
    model: Path, frame_name: str, shared_data: Path, vision: VisionConfig
) -> tuple[Run, Image]:
    """A fixed 1080p camera with gating on, looking at one real Sooke frame that never moves."""
    run = Run(model, None, vision, motion=MotionConfig(), detect_fps=5.0, calibration=None)
    image = cv2.imread(str(shared_data / "images/coral_sooke_ptz" / frame_name))
    assert image is not None
    return run, np.asarray(image, dtype=np.uint8)


def test_a_still_empty_sea_costs_only_the_periodic_whole_frame_look(
    model: Path, shared_data: Path
) -> None:
    vision = VisionConfig(model=model, full_frame_every_s=4)
    run, still = still_camera(model, EMPTY_SEA, shared_data, vision)
    for index in range(30):  # 6 s at 5 fps: looks at t = 0 and t = 4 s only
        run.pipeline.process(START + timedelta(seconds=index / 5), still)
    assert run.pipeline.detector.invocations == 2
    assert run.events == []


def test_boats_lying_still_are_found_and_kept_within_the_pass_budget(
    model: Path, shared_data: Path
) -> None:
    """Nothing moves, so only the first whole-frame look finds the boats; their tracked boxes
    then keep them in view, merged into at most one pass a frame."""
    run, still = still_camera(model, BOATS, shared_data, VisionConfig(model=model))
    for index in range(20):
        run.pipeline.process(START + timedelta(seconds=index / 5), still)
    assert run.pipeline.stats.confirmed_tracks >= 1
    assert run.pipeline.detector.invocations <= 20
    assert run.pipeline.stats.frames_with_regions == 20
