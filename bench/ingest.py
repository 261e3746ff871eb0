"""AIS ingest throughput: decode + bus + store, against pyais decode-only in the same run.

    python -m bench.ingest [--repeat N] [--service inproc|split] [--spool on|off]

`inproc` (the default) runs receiver, bus, recorder subscription and writer in this process;
`split` runs the real `ingest` and `recorder` roles as processes of their own, as production
does (bench/ingest_split.py). Uses SHOREWATCH_TEST_DATABASE_URL / SHOREWATCH_TEST_MQTT_URL
when set (CI's PostgreSQL 15 and Mosquitto), embedded services otherwise. Input: the real
captures in ../shared/data/ais/.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyais import IterMessages

from app.embedded import EmbeddedBroker, EmbeddedPostgres
from bench.ingest_split import split_pipeline
from bench.service_resources import fresh_database
from ingest.receiver import AisReceiver
from shorewatch.batching import Batcher
from shorewatch.bus import Bus
from shorewatch.config.bus import BusConfig
from shorewatch.config.site import StoreConfig
from shorewatch.events import Message, Observation, ObservationBatch, Source, VesselStatic
from shorewatch.logs import configure_logging
from shorewatch.metrics import Metrics
from shorewatch.store.db import open_pool
from shorewatch.store.migrations import migrate, series_mode_of
from shorewatch.store.writer import ObservationWriter
from shorewatch.topics import Topics

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ais"
CAPTURES = ("dma_aislib_stream_example_pghp.nmea", "amsa_terrestrial_ais.txt.gz")


def load_lines() -> list[bytes]:
    lines: list[bytes] = []
    for name in CAPTURES:
        path = DATA / name
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rb") as handle:
            lines.extend(line.rstrip(b"\r\n") for line in handle)
    return lines


def stream_reads(lines: list[bytes], read_bytes: int = 65536) -> list[list[bytes]]:
    """The lines as a TCP feed hands them on: those of one `recv` of up to 64 KiB together."""
    reads: list[list[bytes]] = [[]]
    size = 0
    for line in lines:
        if size + len(line) + 1 > read_bytes and reads[-1]:
            reads.append([])
            size = 0
        reads[-1].append(line)
        size += len(line) + 1
    return reads


def pyais_decode_only(lines: list[bytes]) -> tuple[float, int]:
    """The baseline: pyais's own iterator (multi-part assembly included) and decode()."""
    ais_lines = [line for line in lines if line.startswith((b"!", b"\\"))]
    started = time.perf_counter()
    decoded = 0
    for message in IterMessages(ais_lines):
        with contextlib.suppress(Exception):
            message.decode()
            decoded += 1
    return time.perf_counter() - started, decoded


@dataclass(frozen=True)
class PipelineResult:
    published: int
    rows: int
    published_s: float
    """When the receiver had decoded and published the last line (paced by broker acks)."""
    received_s: float
    """When the recorder's subscription had taken the last message off the bus."""
    elapsed_s: float
    """When the last row was committed: the figure the rate is computed from."""


def full_pipeline(
    lines: list[bytes], dsn: str, mqtt_url: str, bus_config: BusConfig
) -> PipelineResult:
    """Receiver -> batches on the bus (QoS 1) -> recorder subscription -> batched COPY into
    PostgreSQL, each bus message acknowledged after its COPY commits (as `shorewatch run`)."""
    metrics = Metrics()
    topics = Topics(f"bench-{uuid.uuid4().hex[:8]}")
    pool = open_pool(dsn)
    migrate(pool, StoreConfig())
    with pool.connection() as conn:
        mode = series_mode_of(conn)
        conn.execute("TRUNCATE observations, vessels")
        conn.commit()
    writer = ObservationWriter(
        pool, StoreConfig(batch_size=2000, flush_interval_s=0.2), metrics, mode
    )
    writer.start()
    received = 0

    def record(message: Message, done: Callable[[], None]) -> None:
        nonlocal received
        items = message.items if isinstance(message, ObservationBatch) else (message,)
        records = [m for m in items if isinstance(m, Observation | VesselStatic)]
        received += len(records)
        writer.submit_many(records, on_durable=done)

    inbox = Bus(
        mqtt_url,
        "bench-recorder",
        topics,
        metrics,
        receive_maximum=bus_config.receive_maximum,
    )
    inbox.subscribe_durable(topics.all_obs, record)
    inbox.connect()
    bus = Bus(mqtt_url, "bench", topics, metrics)
    bus.connect()
    time.sleep(0.3)
    topic = topics.obs(Source.AIS, "bench")

    def send(t: str, batch: ObservationBatch) -> None:
        bus.publish(t, batch)

    batcher = Batcher(
        send,
        max_items=bus_config.batch_max,
        linger_s=bus_config.batch_linger_ms / 1000,
    )

    def publish(messages: Sequence[Observation | VesselStatic]) -> None:
        if bus_config.batch_max > 1:
            batcher.add_many(topic, messages)
        else:
            for message in messages:
                bus.publish(topic, message)

    receiver = AisReceiver("bench", publish, metrics, lambda: datetime.now(UTC))
    started = time.perf_counter()
    published = sum(receiver.feed_lines(read) for read in stream_reads(lines))
    receiver.flush()
    batcher.flush()
    published_s = time.perf_counter() - started
    while received < published:
        time.sleep(0.01)
    received_s = time.perf_counter() - started
    writer.wait_idle(60)
    elapsed = time.perf_counter() - started
    with pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM observations").fetchone()
    batcher.close()
    writer.stop()
    bus.close()
    inbox.close()
    pool.close()
    rows = int(row[0]) if row else 0
    return PipelineResult(published, rows, published_s, received_s, elapsed)


def mode_note(dsn: str) -> str:
    pool = open_pool(dsn)
    try:
        with pool.connection() as conn:
            return series_mode_of(conn)
    finally:
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1, help="passes over the captures")
    parser.add_argument(
        "--batch", type=int, default=BusConfig().batch_max, help="reports per bus message"
    )
    parser.add_argument("--service", choices=("inproc", "split"), default="inproc")
    parser.add_argument(
        "--spool", choices=("on", "off"), default="on", help="split: ingest's write-ahead spool"
    )
    parser.add_argument("--profile", type=Path, help="split: cProfile each role into this dir")
    args = parser.parse_args()
    configure_logging("ERROR")  # the captures' rejected lines would bury the figures
    lines = load_lines() * args.repeat
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        dsn = os.environ.get("SHOREWATCH_TEST_DATABASE_URL") or stack.enter_context(
            EmbeddedPostgres(tmp / "pg")
        )
        mqtt_url = os.environ.get("SHOREWATCH_TEST_MQTT_URL") or stack.enter_context(
            EmbeddedBroker()
        )
        base_s, base_n = pyais_decode_only(lines)
        print(
            f"input: {len(lines)} lines ({', '.join(CAPTURES)}) x{args.repeat}; batch {args.batch}"
        )
        print(
            f"pyais decode-only:          {len(lines) / base_s:10.0f} lines/s  ({base_n} messages, "
            f"{base_s:.2f} s)"
        )
        if args.service == "split":
            store_dsn = stack.enter_context(fresh_database(dsn, "sw_bench_ingest"))
            full_s = report_split(lines, store_dsn, mqtt_url, args)
        else:
            store_dsn = dsn
            full_s = report_inproc(lines, dsn, mqtt_url, args.batch)
        layout = mode_note(store_dsn)  # the split run's own database, still there
    print(f"ratio full / decode-only:   {base_s / full_s:10.2f}")
    where = "embedded" if "host=/" in dsn else "server"
    print(f"broker: {mqtt_url.split('?')[0]}  database: {where} ({layout})")


def report_inproc(lines: list[bytes], dsn: str, mqtt_url: str, batch: int) -> float:
    full = full_pipeline(lines, dsn, mqtt_url, BusConfig(batch_max=batch))
    print(
        f"decode + bus + store:       {len(lines) / full.elapsed_s:10.0f} lines/s  "
        f"({full.published} published, {full.rows} rows, {full.elapsed_s:.2f} s; one process)"
    )
    print(
        f"  last line published at {full.published_s:.2f} s, last message received at "
        f"{full.received_s:.2f} s, last row committed at {full.elapsed_s:.2f} s"
    )
    return full.elapsed_s


def report_split(lines: list[bytes], dsn: str, mqtt_url: str, args: argparse.Namespace) -> float:
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    full = split_pipeline(
        lines, dsn, mqtt_url, batch=args.batch, spool=args.spool == "on", profile_dir=args.profile
    )
    print(
        f"decode + bus + store:       {len(lines) / full.elapsed_s:10.0f} lines/s  "
        f"({full.rows} rows, {full.elapsed_s:.2f} s; ingest and recorder roles, spool {args.spool})"
    )
    cpu = ", ".join(f"{role} {s:.2f} s" for role, s in full.cpu_s.items())
    print(
        f"  last byte sent at {full.sent_s:.2f} s, last row committed at {full.elapsed_s:.2f} s;"
        f" CPU: {cpu}"
    )
    shares = ", ".join(f"{p:.0%} at {full.time_to(p):.2f} s" for p in (0.25, 0.5, 0.75, 0.95))
    print(f"  rows committed: {shares}")
    return full.elapsed_s


if __name__ == "__main__":
    main()
