"""Camera pipeline on one core: frames per second, detector passes per frame, and latency.

    python -m bench.vision [--core N] [--repeat 3] [--hold 25] [--passes 3] [--quick]

The whole `CameraPipeline` (motion gate → YOLO11n INT8 OpenVINO → ByteTrack → observations and
events) runs as the service builds it, on one CPU core: the process pins itself to `--core`
(all its threads, before torch and OpenVINO load; OpenVINO sizes its pool from that mask) and
OMP/OpenBLAS/MKL are held to one thread. Frames are decoded into memory first; decoding is
timed separately and excluded.

1. The real clip (hand-held, 320x240, 279 frames), motion gating off and on. Hand-held, the
   whole frame moves, so the gate cannot save anything here; that is expected.
2. A fixed camera, where gating matters: there is no real fixed-camera video, so streams are
   built from the real Sooke 1920x1080 frames and labelled as constructed. (a) Each of the
   three data1/data2 triples (one fixed view, frames 5 s apart) played with every real frame
   held for `--hold` frames at 5 fps (25 frames = its real 5 s), a fresh pipeline per triple:
   a frozen sea between real changes, and changes that jump 5 s at once. (b) The real D1 frame
   with no boat held for 3 x `--hold` frames: a still, empty sea, the gate's best case.
3. Latency through a real MQTT bus (SHOREWATCH_TEST_MQTT_URL, else the embedded broker): the
   clip fed at its own 15 fps, gating off (its right setting), observations and events published
   as the service does, snapshots written; a second bus client in this process subscribes.
   Per observation and per `camera_target` event: the wall time from handing the frame to
   `process()` to the message arriving at the subscriber, split at the publish call.

Throughput runs publish to in-memory lists (the bus is measured in 3); the best of `--repeat`
passes is reported. Ratios are gating on against gating off in the same run.
"""

from __future__ import annotations

import os

# One thread per library, read when numpy (OpenBLAS), torch (OpenMP) and OpenVINO load: set
# before any of them is imported. The core itself is pinned in `main`, before torch/OpenVINO.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
os.environ["YOLO_VERBOSE"] = "False"

import argparse
import contextlib
import math
import resource
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from app.embedded import EmbeddedBroker
from detectors.camera_pipeline import CameraPipeline, PipelineStats
from detectors.evidence import SnapshotWriter
from detectors.motion import Region
from detectors.vision import Detection, YoloDetector, load_detector
from ingest.video_file import read_all_frames
from shorewatch.bus import Bus
from shorewatch.config.site import SiteCamera
from shorewatch.config.vision import MotionConfig, VisionConfig
from shorewatch.events import Event, EventKind, Message, Observation, Source
from shorewatch.logs import configure_logging
from shorewatch.metrics import Metrics
from shorewatch.store.photos import PhotoStore
from shorewatch.topics import Topics

SHARED = Path(__file__).resolve().parents[2] / "shared"
CLIP = SHARED / "data" / "video" / "liangsmfish_ship_at_sea_320x240.mp4"
SOOKE = SHARED / "data" / "images" / "coral_sooke_ptz"
MODEL = SHARED / "models" / "yolo11n_int8_openvino_model"
SOOKE_TRIPLES = ("data1_*", "data2_*13-18-*", "data2_*13-27-*")
SOOKE_EMPTY = "D1_sooke1_ptz_capture_2019-08-18_13-38-10.jpg"  # the D1 frame with no boat
CLIP_FPS = 15.0
SOOKE_FPS = 5.0
DRAIN_S = 5.0
T0 = datetime(2026, 1, 1, tzinfo=UTC)
Image = npt.NDArray[np.uint8]


# -- one core --------------------------------------------------------------------------------


def pin(core: int) -> None:
    """Every thread of this process onto `core`; threads started later inherit it."""
    for task in os.listdir("/proc/self/task"):
        os.sched_setaffinity(int(task), {core})
    cv2.setNumThreads(1)


def threads_off_core(core: int) -> tuple[int, int]:
    """(threads, threads whose last CPU was not `core`), from /proc/self/task/*/stat."""
    total = off = 0
    for task in os.listdir("/proc/self/task"):
        try:
            stat = Path(f"/proc/self/task/{task}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        total += 1
        off += int(fields[36]) != core  # field 39, "processor", counted after the name
    return total, off


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def openvino_threads(yolo: YoloDetector) -> str:
    """INFERENCE_NUM_THREADS of the compiled model, read back (ultralytics' internals)."""
    try:
        model: Any = yolo._model.predictor.model
        return str(model.backend.ov_compiled_model.get_property("INFERENCE_NUM_THREADS"))
    except Exception as exc:  # a report line, never a failure
        return f"unknown ({type(exc).__name__})"


# -- frames ----------------------------------------------------------------------------------


def decode_clip() -> tuple[list[Image], float]:
    started = time.perf_counter()
    frames = read_all_frames(CLIP)
    return frames, time.perf_counter() - started


def sooke_sequences(hold: int) -> tuple[list[list[Image]], float]:
    """Each real triple with every real frame repeated `hold` times (the same array)."""
    started = time.perf_counter()
    sequences = []
    for pattern in SOOKE_TRIPLES:
        paths = sorted(SOOKE.glob(pattern))
        if len(paths) != 3:
            raise SystemExit(f"expected 3 frames for {pattern} in {SOOKE}, found {len(paths)}")
        real = [np.asarray(cv2.imread(str(p)), dtype=np.uint8) for p in paths]
        sequences.append([frame for frame in real for _ in range(hold)])
    return sequences, time.perf_counter() - started


def sooke_empty(hold: int) -> tuple[list[Image], float]:
    started = time.perf_counter()
    frame = np.asarray(cv2.imread(str(SOOKE / SOOKE_EMPTY)), dtype=np.uint8)
    return [frame] * hold, time.perf_counter() - started


def clip_camera(camera_id: str, gating: bool) -> SiteCamera:
    """The clip's camera, with the pose that places its boat (tilt 20°, 10 m)."""
    return SiteCamera.model_validate(
        {
            "id": camera_id,
            "url": str(CLIP),
            "lat": 58.0,
            "lon": 11.0,
            "detect_fps": CLIP_FPS,
            "motion": MotionConfig(enabled=gating),
            "calibration": {
                "method": "pose",
                "lat": 58.0,
                "lon": 11.0,
                "height_m": 10,
                "heading_deg": 90,
                "tilt_deg": 20,
                "fov_deg": 60,
                "width": 320,
                "height": 240,
            },
        }
    )


def sooke_camera(gating: bool) -> SiteCamera:
    """A nominal pose (not surveyed) that puts the horizon near the frames' own, so boxes on
    the water are placed; placement costs the same wherever it lands."""
    return SiteCamera.model_validate(
        {
            "id": "sooke",
            "url": str(SOOKE),
            "lat": 48.37,
            "lon": -123.73,
            "detect_fps": SOOKE_FPS,
            "motion": MotionConfig(enabled=gating),
            "calibration": {
                "method": "pose",
                "lat": 48.37,
                "lon": -123.73,
                "height_m": 20,
                "heading_deg": 180,
                "tilt_deg": 10,
                "fov_deg": 60,
                "width": 1920,
                "height": 1080,
            },
        }
    )


# -- the detector, timed ---------------------------------------------------------------------


class TimedDetector:
    """The shared YOLO detector, counting this pipeline's passes and timing each call."""

    def __init__(self, inner: YoloDetector) -> None:
        self.inner = inner
        self.invocations = 0
        self.seconds = 0.0
        self.last_s = 0.0

    def detect(self, image: Image, regions: Sequence[Region]) -> list[Detection]:
        before = self.inner.invocations
        started = time.perf_counter()
        try:
            return self.inner.detect(image, regions)
        finally:
            self.last_s = time.perf_counter() - started
            self.seconds += self.last_s
            self.invocations += self.inner.invocations - before


def make_detector(vision: VisionConfig) -> YoloDetector:
    """As the service builds it (`Service._camera_pipeline`)."""
    return load_detector(vision, MODEL, vision.classes)


# -- throughput ------------------------------------------------------------------------------


@dataclass
class Throughput:
    name: str
    gating: bool
    frames: int = 0
    seconds: float = math.inf
    detector_s: float = 0.0
    invocations: int = 0
    cpu_ratio: float = 0.0
    stats: PipelineStats = field(default_factory=PipelineStats)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds

    @property
    def per_frame(self) -> float:
        return self.invocations / self.frames


def throughput(
    name: str,
    sequences: list[list[Image]],
    camera: SiteCamera,
    vision: VisionConfig,
    yolo: YoloDetector,
    repeat: int,
) -> Throughput:
    """Best of `repeat` passes; each sequence through a fresh pipeline, frames at `detect_fps`."""
    best = Throughput(name, camera.motion.enabled)
    for _ in range(repeat):
        run = Throughput(name, camera.motion.enabled)
        run.seconds = 0.0
        totals = PipelineStats()
        cpu_start, wall_start = cpu_seconds(), time.perf_counter()
        for frames in sequences:
            detector = TimedDetector(yolo)
            sink: list[Observation | Event] = []
            pipeline = CameraPipeline(
                camera,
                vision,
                detector,
                publish_observation=sink.append,
                publish_event=sink.append,
                config_version="bench-vision",
            )
            period = timedelta(seconds=1 / camera.detect_fps)
            started = time.perf_counter()
            for i, frame in enumerate(frames):
                pipeline.process(T0 + i * period, frame)
            run.seconds += time.perf_counter() - started
            pipeline.close()
            run.frames += len(frames)
            run.detector_s += detector.seconds
            run.invocations += detector.invocations
            for stat in fields(PipelineStats):
                value = getattr(totals, stat.name) + getattr(pipeline.stats, stat.name)
                setattr(totals, stat.name, value)
        run.cpu_ratio = (cpu_seconds() - cpu_start) / (time.perf_counter() - wall_start)
        run.stats = totals
        if run.seconds < best.seconds:
            best = run
    return best


HEADER = (
    f"{'footage':<44} {'gating':>6} {'frames':>6} {'frames/s':>8} {'ms/frame':>8} "
    f"{'det ms/fr':>9} {'inv/frame':>9} {'fr w/ det':>9} {'detections':>10} "
    f"{'tracks':>6} {'obs':>5} {'cpu/wall':>8}"
)


def throughput_line(r: Throughput) -> str:
    return (
        f"{r.name:<44} {'on' if r.gating else 'off':>6} {r.frames:6d} {r.fps:8.1f} "
        f"{1000 * r.seconds / r.frames:8.1f} {1000 * r.detector_s / r.frames:9.1f} "
        f"{r.per_frame:9.2f} {r.stats.frames_with_regions:9d} {r.stats.detections:10d} "
        f"{r.stats.confirmed_tracks:6d} {r.stats.observations:5d} {r.cpu_ratio:8.2f}"
    )


def ratio_line(off: Throughput, on: Throughput) -> str:
    return (
        f"  gating on / off: frames/s x{on.fps / off.fps:.2f}, detector invocations/frame "
        f"{off.per_frame:.2f} -> {on.per_frame:.2f} (x{on.per_frame / off.per_frame:.2f}), "
        f"detector time/frame x{on.detector_s / on.frames / (off.detector_s / off.frames):.2f}"
    )


# -- latency over the bus --------------------------------------------------------------------


@dataclass
class Timings:
    """perf_counter marks, all in this process: frame handed in, published, received."""

    handed: dict[datetime, float] = field(default_factory=dict)
    published: dict[tuple[str, ...], tuple[float, float]] = field(default_factory=dict)
    received: dict[tuple[str, ...], float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    process_ms: list[float] = field(default_factory=list)
    detector_ms: list[float] = field(default_factory=list)
    late: int = 0
    frames: int = 0

    def outstanding(self) -> int:
        with self.lock:
            return sum(1 for key in self.published if key not in self.received)


def obs_key(obs: Observation) -> tuple[str, ...]:
    return ("obs", obs.sensor_id, obs.target_ref, obs.time.isoformat())


def event_key(event: Event) -> tuple[str, ...] | None:
    """Only the opening of a `camera_target` (its close comes a track's lifetime later)."""
    if event.kind is not EventKind.CAMERA_TARGET or event.end is not None:
        return None
    return ("event", str(event.id))


def receive(timings: Timings) -> Callable[[Message], None]:
    def handle(message: Message) -> None:
        now = time.perf_counter()
        key: tuple[str, ...] | None = None
        if isinstance(message, Observation):
            key = obs_key(message)
        elif isinstance(message, Event):
            key = event_key(message)
        if key is not None:
            with timings.lock:
                timings.received.setdefault(key, now)

    return handle


def latency_pass(
    n: int,
    frames: list[Image],
    vision: VisionConfig,
    yolo: YoloDetector,
    bus: Bus,
    topics: Topics,
    snapshots: SnapshotWriter,
    timings: Timings,
) -> None:
    camera = clip_camera(f"clip-p{n}", gating=False)
    obs_topic = topics.obs(Source.CAMERA, camera.id)
    current = [0.0]

    def publish_observation(obs: Observation) -> None:
        with timings.lock:
            timings.published[obs_key(obs)] = (current[0], time.perf_counter())
        bus.publish(obs_topic, obs)

    def publish_event(event: Event) -> None:
        key = event_key(event)
        if key is not None:
            with timings.lock:
                timings.published[key] = (current[0], time.perf_counter())
        bus.publish(topics.event(event.kind), event)

    detector = TimedDetector(yolo)
    pipeline = CameraPipeline(
        camera,
        vision,
        detector,
        publish_observation=publish_observation,
        publish_event=publish_event,
        config_version="bench-vision",
        snapshots=snapshots,
    )
    period = 1 / camera.detect_fps
    started = time.perf_counter()
    for i, frame in enumerate(frames):
        due = started + i * period
        while (now := time.perf_counter()) < due:
            time.sleep(min(due - now, 0.002))
        current[0] = time.perf_counter()
        timings.late += current[0] - due > period
        detector.last_s = 0.0
        pipeline.process(T0 + timedelta(seconds=i * period), frame)
        timings.process_ms.append(1000 * (time.perf_counter() - current[0]))
        timings.detector_ms.append(1000 * detector.last_s)
        timings.frames += 1
    pipeline.close()
    deadline = time.perf_counter() + DRAIN_S
    while timings.outstanding() and time.perf_counter() < deadline:
        time.sleep(0.05)


def latency(
    frames: list[Image], vision: VisionConfig, yolo: YoloDetector, mqtt_url: str, passes: int
) -> Timings:
    topics = Topics(f"bench-vision-{uuid.uuid4().hex[:8]}")
    timings = Timings()
    consumer = Bus(mqtt_url, "bench-vision-consumer", topics, Metrics())
    consumer.subscribe(topics.all_obs, receive(timings))
    consumer.subscribe(topics.all_events, receive(timings))
    camera_bus = Bus(mqtt_url, "bench-vision-camera", topics, Metrics())
    with tempfile.TemporaryDirectory(prefix="bench-vision-") as tmp:
        snapshots = SnapshotWriter(PhotoStore(Path(tmp), timedelta(days=1)))
        consumer.connect()
        camera_bus.connect()
        try:
            time.sleep(1.0)  # subscriptions acknowledged
            for n in range(1, passes + 1):
                latency_pass(n, frames, vision, yolo, camera_bus, topics, snapshots, timings)
        finally:
            camera_bus.close()
            consumer.close()
    return timings


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def spread(values: list[float]) -> str:
    if not values:
        return "n=0"
    return (
        f"n={len(values):<4d} p50 {statistics.median(values):7.1f} ms  "
        f"p95 {pct(values, 0.95):7.1f} ms  max {max(values):7.1f} ms"
    )


def latency_report(t: Timings) -> None:
    print(
        f"  frames handed in {t.frames}, more than one frame period late {t.late}; "
        f"messages lost {t.outstanding()}"
    )
    print(f"  process() per frame            {spread(t.process_ms)}")
    print(f"  detector per frame             {spread(t.detector_ms)}")
    for kind, label in (("obs", "observation"), ("event", "camera_target event")):
        whole, inside, bus = [], [], []
        for key, (handed, published) in t.published.items():
            if key[0] != kind or key not in t.received:
                continue
            whole.append(1000 * (t.received[key] - handed))
            inside.append(1000 * (published - handed))
            bus.append(1000 * (t.received[key] - published))
        print(f"  {label}, frame handed -> received")
        print(f"    whole                        {spread(whole)}")
        print(f"    frame handed -> publish call {spread(inside)}")
        print(f"    publish call -> received     {spread(bus)}")


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    allowed = sorted(os.sched_getaffinity(0))
    parser.add_argument("--core", type=int, default=allowed[-1], help="CPU to pin to")
    parser.add_argument("--repeat", type=int, default=3, help="throughput passes (best kept)")
    parser.add_argument("--hold", type=int, default=25, help="frames each Sooke frame is held")
    parser.add_argument("--passes", type=int, default=3, help="latency passes over the clip")
    parser.add_argument("--quick", action="store_true", help="--repeat 1 --hold 10 --passes 1")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.hold, args.passes = 1, 10, 1
    pin(args.core)
    configure_logging("ERROR")

    vision = VisionConfig(model=MODEL)
    yolo = make_detector(vision)  # torch and OpenVINO load here, after pinning
    import torch

    print(
        f"one core: affinity {sorted(os.sched_getaffinity(0))}, OpenVINO INFERENCE_NUM_THREADS "
        f"{openvino_threads(yolo)}, torch threads {torch.get_num_threads()}, "
        f"cv2 threads {cv2.getNumThreads()}, OMP_NUM_THREADS {os.environ['OMP_NUM_THREADS']}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"model {MODEL.name}, image size {vision.image_size}, device {yolo.device}")

    clip, clip_decode_s = decode_clip()
    sooke, sooke_read_s = sooke_sequences(args.hold)
    empty, empty_read_s = sooke_empty(3 * args.hold)
    print(
        f"decoded first, excluded from frames/s: clip {len(clip)} frames in "
        f"{clip_decode_s:.2f} s; Sooke 10 JPEGs in {sooke_read_s + empty_read_s:.2f} s"
    )
    print()
    footage: list[tuple[str, list[list[Image]], Callable[[bool], SiteCamera], str]] = [
        (
            f"clip 320x240 hand-held, {len(clip)} fr @15 fps",
            [clip],
            lambda gating: clip_camera("clip", gating),
            "real footage, hand-held: the whole frame moves (the horizon sweeps), so the "
            "motion gate passes the whole frame and cannot save anything here; expected. "
            "Such a camera runs with motion.enabled: false.",
        ),
        (
            f"Sooke 1080p fixed: 3 real triples, held {args.hold}",
            sooke,
            sooke_camera,
            "CONSTRUCTED from real frames: each data1/data2 triple (one fixed view, 5 s "
            f"apart), every real frame held for {args.hold} frames at {SOOKE_FPS:g} fps, a "
            "fresh pipeline per triple. The sea is frozen between real changes, and each "
            "change is a 5 s jump (regions at old and new positions until the background "
            "catches up), not the small steps of real video.",
        ),
        (
            f"Sooke 1080p fixed: empty sea, held {3 * args.hold}",
            [empty],
            sooke_camera,
            f"CONSTRUCTED: the real D1 frame with no boat ({SOOKE_EMPTY}) held for "
            f"{3 * args.hold} frames: identical frames, so nothing moves (real waves would); "
            "the best case for the gate.",
        ),
    ]
    print(HEADER)
    results: list[tuple[Throughput, Throughput]] = []
    for name, sequences, camera_of, _note in footage:
        pair = []
        for gating in (False, True):
            result = throughput(name, sequences, camera_of(gating), vision, yolo, args.repeat)
            print(throughput_line(result), flush=True)
            pair.append(result)
        results.append((pair[0], pair[1]))
    print(
        f"frames/s: best of {args.repeat}, frames in memory, observations to a list; "
        "ms/frame: the whole pipeline; det ms/fr: YOLO alone; inv: model passes "
        "(one per region); fr w/ det: frames the detector ran on"
    )
    for (name, _sequences, _camera_of, note), (off, on) in zip(footage, results, strict=True):
        print()
        print(f"{name}:")
        print(ratio_line(off, on))
        print(f"  {note}")
    print()

    with contextlib.ExitStack() as stack:
        mqtt_url = os.environ.get("SHOREWATCH_TEST_MQTT_URL") or stack.enter_context(
            EmbeddedBroker()
        )
        print(
            f"latency: clip fed at {CLIP_FPS:g} fps real time, gating off, {args.passes} "
            f"pass(es), snapshots on, broker {mqtt_url.split('?')[0]} (QoS 1), subscriber in "
            "this process"
        )
        cpu_start, wall_start = cpu_seconds(), time.perf_counter()
        timings = latency(clip, vision, yolo, mqtt_url, args.passes)
        ratio = (cpu_seconds() - cpu_start) / (time.perf_counter() - wall_start)
    latency_report(timings)
    threads, off_core = threads_off_core(args.core)
    print(
        f"  cpu/wall {ratio:.2f} (real time: the core idles between frames); "
        f"{threads} threads, {off_core} last ran off core {args.core}"
    )


if __name__ == "__main__":
    main()
