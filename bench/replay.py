"""Replay throughput on a real capture, and detector memory with 10,000 simultaneous targets.

    python -m bench.replay [--repeat N] [--targets N] [--minutes M]

1. Throughput: the largest real AIS capture in ../shared/data/ais through the replay runner
   (timed lines, AIS decode, every detector rule in `RULES`, default configuration), against
   pyais decode-only (its own iterator, multi-part assembly included, and `decode()`) of the
   same sentences in the same run. Best of `--repeat` passes for each.
2. Memory: a fresh subprocess feeds a DetectorWorker `--targets` simulated vessels, each with a
   static report and then a position every 10 s for `--minutes` of event time, and reports the
   peak resident set (ru_maxrss), how far it rose above the resident set once set up, and the
   observations per second it sustained. Linux only (/proc, ru_maxrss in KiB).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pyais import IterMessages

from app.replay.inputs import count_lines, plan_inputs, read_lines
from app.replay.runner import run_replay
from app.replay.timed_lines import timed_lines
from detectors.watchlist import WatchList
from detectors.worker import DetectorWorker
from ingest.nmea_ais import AisDecoder
from shorewatch.config.site import load_config
from shorewatch.events import Event, Observation, Source, VesselStatic
from shorewatch.metrics import Metrics
from shorewatch.zones import build_zones

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ais"
REPORT_EVERY_S = 10.0
AREA = ((57.9, 58.5), (10.9, 11.9))  # off the default site (Lysekil), zones included


def largest_capture() -> Path:
    return max(sorted(DATA.iterdir()), key=count_lines)


def best(passes: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(passes):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def pyais_decode_only(sentences: list[bytes]) -> int:
    decoded = 0
    for message in IterMessages(sentences):
        with contextlib.suppress(Exception):
            message.decode()
            decoded += 1
    return decoded


def decode_only(path: Path) -> int:
    """Our side without the detectors: line times and the AIS decoder, as replay feeds it."""
    decoder = AisDecoder("bench")
    return sum(len(decoder.feed(t.data, t.time)) for t in timed_lines(read_lines(path)))


def throughput(passes: int) -> None:
    path = largest_capture()
    lines = [line.rstrip(b"\r\n") for line in read_lines(path)]
    sentences = [line for line in lines if line.startswith((b"!", b"\\"))]
    site = load_config()
    inputs = plan_inputs(site, [path], [])
    base_s = best(passes, lambda: pyais_decode_only(sentences))
    ours_s = best(passes, lambda: decode_only(path))
    reports = [run_replay(site, inputs) for _ in range(passes)]
    report = reports[-1]
    replay_s = min(r.seconds for r in reports)
    n = len(sentences)
    kinds = Counter(e.kind.value for e in report.events)
    print(f"capture: {path.name}: {len(lines):,} lines, {n:,} AIS sentences")
    print(f"rules ({len(report.rules)}): {', '.join(report.rules)}")
    print(f"pyais decode-only:            {n / base_s:10,.0f} sentences/s  ({base_s:.2f} s)")
    print(f"replay decode only (no det.): {n / ours_s:10,.0f} sentences/s  ({ours_s:.2f} s)")
    print(
        f"replay decode + detectors:    {n / replay_s:10,.0f} sentences/s  ({replay_s:.2f} s, "
        f"{len(lines) / replay_s:,.0f} lines/s, {report.messages:,} messages)"
    )
    print(f"ratio replay / pyais decode-only: {base_s / replay_s:.3f}")
    print(
        f"events: {len(report.events)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})"
    )


@dataclass(frozen=True)
class MemoryResult:
    targets: int
    minutes: float
    observations: int
    tracked: int
    events: int
    seconds: float
    setup_rss_mib: float
    peak_rss_mib: float


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _rss_mib() -> float:
    """Resident now (not the peak so far, which set-up's transient allocations may hold)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return _maxrss_mib()


def memory_child(targets: int, minutes: float) -> MemoryResult:
    """Runs in its own process, so the peak is this workload's alone."""
    site = load_config()
    published: list[int] = [0]

    def count(events: list[Event]) -> None:
        published[0] += len(events)

    worker = DetectorWorker(site, build_zones(site), count, Metrics(), watchlist=WatchList())
    rng = random.Random(20261120)
    fleet = []
    for i in range(targets):
        roll = rng.random()
        speed = rng.uniform(0, 2) if roll < 0.2 else rng.uniform(25, 45) if roll > 0.9 else 10.0
        fleet.append(
            (
                265_000_000 + i,
                rng.uniform(*AREA[0]),
                rng.uniform(*AREA[1]),
                speed,
                rng.uniform(0, 360),
            )
        )
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    setup = _rss_mib()
    ticks = round(minutes * 60 / REPORT_EVERY_S)
    step = REPORT_EVERY_S / targets
    observations = 0
    started = time.perf_counter()
    for mmsi, *_ in fleet:
        worker.process_message(
            VesselStatic(sensor_id="sim", time=start, mmsi=mmsi, name=f"SIM {mmsi}", length_m=12.0)
        )
    for k in range(ticks):
        for i, (mmsi, lat, lon, sog, cog) in enumerate(fleet):
            elapsed = k * REPORT_EVERY_S + i * step
            metres = sog * 1852.0 / 3600.0 * elapsed
            north, east = metres * math.cos(math.radians(cog)), metres * math.sin(math.radians(cog))
            worker.process_message(
                Observation(
                    source=Source.AIS,
                    sensor_id="sim",
                    target_ref=str(mmsi),
                    time=start + timedelta(seconds=elapsed),
                    lat=lat + north / 111_195.0,
                    lon=lon + east / (111_195.0 * math.cos(math.radians(lat))),
                    sog_kn=round(sog, 1),
                    cog_deg=round(cog, 1) % 360.0,
                )
            )
            observations += 1
    worker.finish()
    return MemoryResult(
        targets=targets,
        minutes=minutes,
        observations=observations,
        tracked=len(worker.fusion),
        events=published[0],
        seconds=time.perf_counter() - started,
        setup_rss_mib=setup,
        peak_rss_mib=_maxrss_mib(),
    )


def memory(targets: int, minutes: float) -> None:
    child = subprocess.run(
        [sys.executable, "-m", "bench.replay", "--memory-child", str(targets), str(minutes)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = MemoryResult(**json.loads(child.stdout.strip().splitlines()[-1]))
    growth = result.peak_rss_mib - result.setup_rss_mib
    print(
        f"memory: {result.targets:,} simultaneous targets, {result.minutes:g} min of event time "
        f"({result.observations:,} observations, {result.tracked:,} tracked at the end, "
        f"{result.events:,} event publications)"
    )
    print(
        f"  peak RSS {result.peak_rss_mib:,.0f} MiB, of which {growth:,.0f} MiB above set-up "
        f"({growth * 1024 / result.targets:,.1f} KiB per target)"
    )
    print(
        f"  detector throughput at that load: {result.observations / result.seconds:,.0f} "
        f"observations/s ({result.seconds:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best one counts")
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--memory-child", nargs=2, metavar=("TARGETS", "MINUTES"))
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    if args.memory_child:
        targets, minutes = args.memory_child
        print(json.dumps(asdict(memory_child(int(targets), float(minutes)))))
        return
    throughput(max(args.repeat, 1))
    if not args.skip_memory:
        memory(args.targets, args.minutes)


if __name__ == "__main__":
    main()
