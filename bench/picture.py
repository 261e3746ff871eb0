"""What the live picture costs the detector and the API, with 10,000 moving targets.

    python -m bench.picture [--targets 10000] [--minutes 3]

1. Detector: a DetectorWorker fed `--targets` simulated AIS vessels (a static report each, then
   a position every 10 s of event time for `--minutes`), once without and once with the
   PictureFeed listening; the feed is flushed every 1 s of event time, as its thread does every
   second of wall-clock time live. Figures: observations per second both ways, the flush's
   cost, and the messages and bytes it publishes per flush.
2. API: the picture those flushes built applied to an `api.picture.Picture` (jurisdiction
   located, alerts joined, JSON made per target), then what one WebSocket client costs per
   second: `view()` of a viewport holding every target and the diff message made from it, when
   all targets changed and when none did.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.live_session import picture_messages
from api.picture import BBox, Picture
from api.principal import Principal, Role
from detectors.picture import PictureFeed
from detectors.worker import DetectorWorker
from shorewatch.config.site import load_config
from shorewatch.events import Observation, PictureUpdate, Source, VesselStatic
from shorewatch.jurisdictions import build_jurisdictions
from shorewatch.metrics import Metrics
from shorewatch.zones import build_zones

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CONFIG = Path(__file__).resolve().parents[1] / "configs" / "demo.yaml"
COS_LAT = math.cos(math.radians(58.25))


def traffic(targets: int, minutes: float) -> list[Observation | VesselStatic]:
    """Vessels spread over the demo coast, each reporting every 10 s, in time order."""
    rng = random.Random(7)
    fleet = [
        (
            230_000_000 + i,
            58.0 + rng.random() * 0.5,
            11.0 + rng.random() * 0.8,
            rng.uniform(2, 20),
            rng.uniform(0, 359),
            rng.uniform(0, 10),
        )
        for i in range(targets)
    ]
    out: list[Observation | VesselStatic] = [
        VesselStatic(sensor_id="rx", time=T0, mmsi=m, name=f"V{m}", ship_type=70) for m, *_ in fleet
    ]
    steps = int(minutes * 6)
    for step in range(steps):
        for mmsi, lat, lon, sog, cog, phase in fleet:
            t = step * 10 + phase
            metres = sog * 1852 / 3600 * t
            out.append(
                Observation(
                    source=Source.AIS,
                    sensor_id="rx",
                    target_ref=str(mmsi),
                    time=T0 + timedelta(seconds=t),
                    lat=lat + metres * math.cos(math.radians(cog)) / 111_320,
                    lon=lon + metres * math.sin(math.radians(cog)) / (111_320 * COS_LAT),
                    sog_kn=sog,
                    cog_deg=cog,
                )
            )
    out.sort(key=lambda m: m.time)
    return out


def run_detector(
    messages: list[Observation | VesselStatic], with_picture: bool
) -> tuple[float, list[float], list[PictureUpdate]]:
    site = load_config(CONFIG)
    worker = DetectorWorker(site, build_zones(site), lambda _events: None, Metrics())
    sent: list[PictureUpdate] = []
    feed = PictureFeed(worker.fusion, worker.watchlist, sent.append)
    if with_picture:
        worker.listener = feed
    flushes: list[float] = []
    next_flush = T0 + timedelta(seconds=1)
    start = time.perf_counter()
    for message in messages:
        if with_picture and message.time >= next_flush:
            began = time.perf_counter()
            feed.flush()
            flushes.append(time.perf_counter() - began)
            next_flush = message.time + timedelta(seconds=1)
        worker.process_message(message)
    return time.perf_counter() - start, flushes, sent


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    best = math.inf
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=3.0)
    args = parser.parse_args()

    messages = traffic(args.targets, args.minutes)
    observations = sum(isinstance(m, Observation) for m in messages)
    plain, _, _ = run_detector(messages, with_picture=False)
    fed, flushes, sent = run_detector(messages, with_picture=True)
    per_flush = len(sent) / max(1, len(flushes))
    size = statistics.mean(len(u.model_dump_json()) for u in sent[-200:])
    print(f"detector, {args.targets} targets, {observations} positions:")
    print(f"  without picture: {observations / plain:,.0f} obs/s")
    worker = fed - sum(flushes)  # live, the flushes run on the feed's own thread
    print(f"  with picture:    {observations / worker:,.0f} obs/s ({worker / plain - 1:+.0%} time)")
    print(
        f"  flush every 1 s: p50 {statistics.median(flushes) * 1e3:.1f} ms, "
        f"max {max(flushes) * 1e3:.1f} ms; {per_flush:.1f} messages/flush, "
        f"{size / 1024:.0f} KiB each"
    )

    site = load_config(CONFIG)
    picture = Picture(build_jurisdictions(site), ttl_s=3600)
    last: dict[str, PictureUpdate] = {}
    for update in sent:
        for track in update.tracks:
            last[track.key] = update
    latest = list({id(u): u for u in last.values()}.values())
    began = time.perf_counter()
    for update in latest:
        picture.apply(update)
    applied = time.perf_counter() - began
    print(f"API: {len(picture)} targets applied in {applied * 1e3:.0f} ms")

    admin = Principal("bench", Role.ADMIN, None)
    everything = BBox(10.0, 57.0, 13.0, 59.0)
    view = timed(lambda: picture.view(admin, everything))
    entries = picture.view(admin, everything)
    chunks, holds = picture_messages(entries, {}, True)
    stale = {key: -1 for key in holds}
    all_changed = timed(lambda: picture_messages(entries, stale, False))
    unchanged = timed(lambda: picture_messages(entries, holds, False))
    full = "".join(chunks)
    print(
        f"  per client per second: view {view * 1e3:.1f} ms, diff (all changed) "
        f"{all_changed * 1e3:.1f} ms, diff (none changed) {unchanged * 1e3:.1f} ms; "
        f"full picture {len(full) / 1e6:.2f} MB in {len(chunks)} messages "
        f"({len(full) / len(entries):.0f} B a target)"
    )


if __name__ == "__main__":
    main()
