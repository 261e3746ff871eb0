"""The write-ahead spool's cost per observation: what ingest pays to make each accepted batch
survive a `kill -9` (and, with fsync "always", a power cut) before it is published.

    python -m bench.spool [--batches 2000]

Appends real ObservationBatch JSON (200 and 2 observations per batch: a busy and a quiet
feed at the default 5 ms linger), acknowledges as the broker would, per fsync policy.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from shorewatch.events import Observation, ObservationBatch, Source
from shorewatch.spool import FsyncPolicy, Spool


def batch(size: int) -> bytes:
    now = datetime.now(UTC)
    items = tuple(
        Observation(
            time=now,
            source=Source.AIS,
            sensor_id="rx",
            target_ref=str(244_000_000 + i),
            lat=58.2,
            lon=11.4,
            sog_kn=8.0,
            cog_deg=90.0,
        )
        for i in range(size)
    )
    return b"shorewatch/obs/ais/rx\n" + ObservationBatch(items=items).model_dump_json().encode()


def run(policy: FsyncPolicy, record: bytes, count: int) -> float:
    with tempfile.TemporaryDirectory(prefix="sw-spool-bench-") as tmp:
        spool = Spool(Path(tmp), max_bytes=1 << 34, max_age_s=1e9, fsync=policy)
        started = time.perf_counter()
        for _ in range(count):
            seq = spool.append(record)
            spool.ack(seq)
        spool.close()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'fsync':>9} {'obs/batch':>9} {'bytes':>7} {'µs/append':>10} {'µs/obs':>8}")
    policies: tuple[FsyncPolicy, ...] = ("never", "interval", "always")
    for size in (200, 2):
        record = batch(size)
        for policy in policies:
            count = args.batches if policy != "always" else max(args.batches // 10, 50)
            seconds = run(policy, record, count)
            micros = seconds / count * 1e6
            print(f"{policy:>9} {size:9d} {len(record):7d} {micros:10.1f} {micros / size:8.2f}")


if __name__ == "__main__":
    main()
