"""One camera's frames to targets: motion gate → YOLO → ByteTrack → observations and events.

Frames stay in this process (they arrive from the reader on its delivery thread); only
metadata leaves: a camera `Observation` per confirmed track per frame, placed by the camera's
calibration at the box's bottom-centre (fusion associates it with radar and AIS, and a boat
no AIS vouches for becomes a `dark_target` there), plus episodes: a `camera_target` event when
a track is confirmed, closed when ByteTrack drops it, and `zone_entry` / `loitering` events for
the camera's pixel zones. Each new event gets a snapshot of the frame with its box.

With motion gating on, the detector sees only the regions that moved, plus (`track_regions`)
the boxes of objects already tracked, so a boat that stops is not lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import structlog

from detectors.camera_zones import CameraZones, FactKind, ZoneFact, ZoneState
from detectors.evidence import SnapshotWriter
from detectors.motion import MotionDetector, Region, merge_regions, pad_region
from detectors.ptz_view import PtzView
from detectors.tracking import ByteTracker, TrackedObject, TrackUpdate
from detectors.vision import ObjectDetector, keep
from shorewatch.config.site import SiteCamera
from shorewatch.config.vision import VisionConfig
from shorewatch.episodes import closed, new_event, round_facts
from shorewatch.events import Event, EventKind, Observation, Source, TrackEnd
from shorewatch.geocal import GeoCalibration

log = structlog.get_logger(__name__)

Image = npt.NDArray[np.uint8]
BBox = tuple[float, float, float, float]


@dataclass(slots=True)
class PipelineStats:
    frames: int = 0
    frames_with_regions: int = 0
    detections: int = 0
    confirmed_tracks: int = 0
    observations: int = 0
    unplaced: int = 0
    unplaced_ptz_moving: int = 0
    """Of `unplaced`: a PTZ turning or zooming to a cue (its pose is not known until it stops)."""
    events: int = 0
    snapshots: int = 0
    snapshot_errors: int = 0


def run_epoch(first_frame: datetime) -> str:
    """A run's epoch: its first frame's Unix second in base 36 (six characters until 2059)."""
    n = max(0, int(first_frame.timestamp()))
    digits = ""
    while True:
        n, d = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + digits
        if n == 0:
            return digits


@dataclass(slots=True)
class _OpenTarget:
    """A confirmed track's `camera_target` episode, closed at the last sighting."""

    event: Event
    last_seen: datetime


class CameraPipeline:
    def __init__(
        self,
        camera: SiteCamera,
        vision: VisionConfig,
        detector: ObjectDetector,
        *,
        publish_observation: Callable[[Observation], None],
        publish_event: Callable[[Event], None],
        config_version: str,
        snapshots: SnapshotWriter | None = None,
        publish_end: Callable[[TrackEnd], None] | None = None,
        ptz: PtzView | None = None,
    ) -> None:
        """`publish_end` hears when a track whose observations were published is lost, so the
        detector ends that track at once (as a radar's status L does)."""
        self.camera = camera
        self.vision = vision
        self.detector = detector
        self.rules = camera.rules(vision)
        self.motion = MotionDetector(camera.motion)
        self.tracker = ByteTracker(
            vision.tracker,
            self.rules,
            fps=camera.detect_fps,
            confirm_frames=vision.confirm_frames,
            min_hits=vision.min_hits,
        )
        self.calibration = (
            None if camera.calibration is None else GeoCalibration.from_config(camera.calibration)
        )
        self.zones = CameraZones(camera.id, camera.zones)
        self.stats = PipelineStats()
        self._publish_obs = publish_observation
        self._publish_event = publish_event
        self._version = config_version
        self._snapshots = snapshots
        self.ptz = ptz
        """A PTZ's stream: placed by where the camera reports it looks, not a fixed calibration."""
        self._targets: dict[int, _OpenTarget] = {}
        self._zone_state: ZoneState = {}
        self._zone_events: dict[tuple[str, str, FactKind], Event] = {}
        self._full_frame_at: datetime | None = None
        self._epoch = ""
        self._publish_end = publish_end
        self._placed: dict[int, datetime] = {}
        """Tracks whose observations went out, with the time of the latest one."""

    def process(self, time: datetime, image: Image) -> TrackUpdate:
        """One frame at `time` (its capture time). Runs on the reader's delivery thread.
        Returns the tracker's view of the frame (confirmed or not), for tuning tools."""
        self.stats.frames += 1
        if not self._epoch:
            self._epoch = run_epoch(time)
        regions = self._regions(time, image)
        if regions:
            self.stats.frames_with_regions += 1
        found = keep(self.detector.detect(image, regions), self.rules) if regions else []
        self.stats.detections += len(found)
        update = self.tracker.update(found)
        for obj in update.objects:
            if obj.confirmed:
                self._confirmed(time, image, obj)
        for track_id in update.ended:
            self._ended(track_id)
        return update

    def counts(self) -> dict[str, int]:
        """For /metrics: the stats and how many times the model ran."""
        return {**asdict(self.stats), "detector_runs": self.detector.invocations}

    def close(self) -> None:
        """The camera stops: close what is open, at the time each was last seen."""
        for track_id in list(self._targets):
            self._ended(track_id)

    # -- regions -------------------------------------------------------------------------------

    def _regions(self, time: datetime, image: Image) -> list[Region]:
        """Where the model looks: moved regions and tracked boxes, merged down to the pass
        budget; now and then (and on the first frame) the whole frame."""
        regions = self.motion.detect(image)
        height, width = image.shape[:2]
        if not self.camera.motion.enabled:
            return regions
        every = self.vision.full_frame_every_s
        due = every is not None and (
            self._full_frame_at is None or (time - self._full_frame_at).total_seconds() >= every
        )
        if due:
            self._full_frame_at = time
            return [Region(0, 0, width, height)]
        if self.vision.track_regions:
            regions = regions + self._tracked_regions(width, height)
        return merge_regions(regions, 0, self.vision.max_passes_per_frame)

    def _tracked_regions(self, width: int, height: int) -> list[Region]:
        cfg = self.camera.motion
        return [
            pad_region(
                Region(int(x1), int(y1), max(int(x1) + 1, int(x2)), max(int(y1) + 1, int(y2))),
                cfg.padding,
                cfg.min_region_size,
                width,
                height,
            )
            for x1, y1, x2, y2 in self.tracker.active_boxes()
        ]

    # -- targets -------------------------------------------------------------------------------

    def _ref(self, track_id: int) -> str:
        """`<camera>-<epoch>-<track>`: the tracker numbers from 1 again in every run, so the
        run's epoch (its first frame's time) keeps one run's track 3 from being another's."""
        return f"{self.camera.id}-{self._epoch}-{track_id}"

    def _confirmed(self, time: datetime, image: Image, obj: TrackedObject) -> None:
        det = obj.detection
        calibration = self.calibration if self.ptz is None else self.ptz.placing
        place = None if calibration is None else calibration.place(det.bbox)
        seen_m = None if calibration is None else calibration.waterline_m(det.bbox)
        if place is None:
            self.stats.unplaced += 1
            if self.ptz is not None and self.ptz.moving:
                self.stats.unplaced_ptz_moving += 1
        else:
            self.stats.observations += 1
            self._placed[obj.track_id] = time
            self._publish_obs(
                Observation(
                    source=Source.CAMERA,
                    sensor_id=self.camera.id,
                    target_ref=self._ref(obj.track_id),
                    time=time,
                    lat=place[0],
                    lon=place[1],
                    label=det.label,
                    length_m=None if seen_m is None or seen_m > 600 else round(seen_m, 1),
                    confidence=round(obj.median_score, 3),
                    bbox=(
                        round(det.x1, 1),
                        round(det.y1, 1),
                        round(det.x2, 1),
                        round(det.y2, 1),
                    ),
                )
            )
        lat, lon = place if place is not None else (self.camera.lat, self.camera.lon)
        target = self._targets.get(obj.track_id)
        if obj.newly_confirmed:
            self.stats.confirmed_tracks += 1
            self._open_target(time, image, obj, place, self._cue_facts(place))
        elif target is not None and "associated_with" not in target.event.facts:
            cue_facts = self._cue_facts(place)
            if cue_facts:
                # Seen first elsewhere in the frame (or before the cue), now where the cue
                # points: the sighting so far ends and one linked to the cued track begins.
                self._emit(closed(target.event, target.last_seen))
                self._open_target(time, image, obj, place, cue_facts)
        target = self._targets.get(obj.track_id)
        if target is not None:
            target.last_seen = time
        if self.zones.zones:
            ground = GeoCalibration.ground_point(det.bbox)
            self._zone_state, facts_ = self.zones.step(
                self._zone_state, str(obj.track_id), ground, time
            )
            for fact in facts_:
                self._zone_fact(fact, lat, lon, image, det.bbox)

    def _open_target(
        self,
        time: datetime,
        image: Image,
        obj: TrackedObject,
        place: tuple[float, float] | None,
        cue_facts: dict[str, str],
    ) -> None:
        det = obj.detection
        lat, lon = place if place is not None else (self.camera.lat, self.camera.lon)
        facts = round_facts(
            {
                "source": "camera",
                "camera": self.camera.id,
                "track": obj.track_id,
                "label": det.label,
                "score": obj.median_score,
                "placed": place is not None,
                "box_area_px": det.area,
                **cue_facts,
            },
            3,
        )
        event = new_event(
            EventKind.CAMERA_TARGET,
            (f"camera:{self._ref(obj.track_id)}",),
            time,
            lat,
            lon,
            facts,
            self._version,
        )
        event = self._with_snapshot(event, image, det.bbox, f"{det.label} {obj.median_score:.2f}")
        self._targets[obj.track_id] = _OpenTarget(event, time)
        self._emit(event)

    def _cue_facts(self, place: tuple[float, float] | None) -> dict[str, str]:
        """A boat where the PTZ's cue pointed is the cued track seen by eye (`associated_with`
        folds this event into that track's alert)."""
        if self.ptz is None or place is None:
            return {}
        cue = self.ptz.confirms(*place)
        if cue is None:
            return {}
        return {"associated_with": cue.target, "cue": str(cue.cue_id), "ptz": self.ptz.ptz.id}

    def _ended(self, track_id: int) -> None:
        placed = self._placed.pop(track_id, None)
        if placed is not None and self._publish_end is not None:
            self._publish_end(
                TrackEnd(
                    source=Source.CAMERA,
                    sensor_id=self.camera.id,
                    target_ref=self._ref(track_id),
                    time=placed,
                )
            )
        target = self._targets.pop(track_id, None)
        if target is not None:
            self._emit(closed(target.event, target.last_seen))
        self._zone_state, facts = self.zones.end(self._zone_state, str(track_id))
        for fact in facts:
            self._zone_fact(fact, None, None, None, None)

    # -- zones ---------------------------------------------------------------------------------

    def _zone_fact(
        self,
        fact: ZoneFact,
        lat: float | None,
        lon: float | None,
        image: Image | None,
        bbox: BBox | None,
    ) -> None:
        if fact.kind is FactKind.EXIT:
            for kind in (FactKind.ENTRY, FactKind.LOITERING):
                open_event = self._zone_events.pop((fact.track, fact.zone, kind), None)
                if open_event is not None:
                    self._emit(closed(open_event, fact.time, {"dwell_s": round(fact.dwell_s, 1)}))
            return
        assert lat is not None
        assert lon is not None
        assert image is not None
        assert bbox is not None
        event_kind = EventKind.ZONE_ENTRY if fact.kind is FactKind.ENTRY else EventKind.LOITERING
        event = new_event(
            event_kind,
            (f"camera:{self.camera.id}-{fact.track}",),
            fact.time if fact.kind is FactKind.ENTRY else fact.entered_at,
            lat,
            lon,
            {
                "source": "camera",
                "camera": self.camera.id,
                "camera_zone": fact.zone,
                "dwell_s": round(fact.dwell_s, 1),
            },
            self._version,
            scope=f"{self.camera.id}:{fact.zone}",
        )
        event = self._with_snapshot(event, image, bbox, f"{fact.kind.value} {fact.zone}")
        self._zone_events[(fact.track, fact.zone, fact.kind)] = event
        self._emit(event)

    # -- output --------------------------------------------------------------------------------

    def _with_snapshot(self, event: Event, image: Image, bbox: BBox, caption: str) -> Event:
        if self._snapshots is None:
            return event
        try:
            url = self._snapshots.save(event.id, image, bbox, caption)
        except (OSError, ValueError):
            # Evidence is worth a lot, but not the event itself: publish without it.
            self.stats.snapshot_errors += 1
            log.exception("snapshot not written", camera=self.camera.id, event_id=str(event.id))
            return event
        self.stats.snapshots += 1
        return event.model_copy(update={"evidence": (*event.evidence, url)})

    def _emit(self, event: Event) -> None:
        self.stats.events += 1
        self._publish_event(event)
