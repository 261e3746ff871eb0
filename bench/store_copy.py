"""The recorder's COPY, text against binary format, on the real captures' observations.

    python -m bench.store_copy [--batch N] [--rounds N]

Decodes the captures once (`AisReceiver`), then writes every observation with
`ObservationWriter.write_batch` in batches of `--batch` into a database of its own, truncated
before each pass; rounds alternate which format goes first, so a busy machine slows both
alike. Reports wall time and this process's CPU time (the client's share: formatting rows).
Uses SHOREWATCH_TEST_DATABASE_URL's server (a PostgreSQL server is required).
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial

import psycopg

from bench.ais_decode import timed
from bench.ingest import load_lines, stream_reads
from bench.service_resources import fresh_database
from ingest.receiver import AisReceiver
from shorewatch.config.site import StoreConfig
from shorewatch.events import Observation, VesselStatic
from shorewatch.logs import configure_logging
from shorewatch.metrics import Metrics
from shorewatch.store.db import open_pool
from shorewatch.store.migrations import migrate, series_mode_of
from shorewatch.store.writer import _COLS, ObservationWriter


class TextCopyWriter(ObservationWriter):
    """The writer as it was before binary COPY: rows formatted as text by psycopg."""

    def _copy(
        self,
        cur: psycopg.Cursor[tuple[object, ...]],
        table: str,
        rows: Sequence[tuple[object, ...]],
    ) -> None:
        with cur.copy(f"COPY {table} ({_COLS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def observations() -> list[Observation]:
    found: list[Observation] = []

    def publish(messages: Sequence[Observation | VesselStatic]) -> None:
        found.extend(m for m in messages if isinstance(m, Observation))

    receiver = AisReceiver("bench", publish, Metrics(), lambda: datetime.now(UTC))
    for read in stream_reads(load_lines()):
        receiver.feed_lines(read)
    receiver.flush()
    return found


def write_all(writer: ObservationWriter, obs: list[Observation], batch: int) -> int:
    """Every observation in batches of `batch`; the rows inserted."""
    return sum(writer.write_batch(obs[i : i + batch]) for i in range(0, len(obs), batch))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=2000, help="records per write_batch")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds of each")
    args = parser.parse_args()
    configure_logging("ERROR")
    server = os.environ.get("SHOREWATCH_TEST_DATABASE_URL", "postgresql://postgres@/postgres")
    obs = observations()
    kinds: dict[str, type[ObservationWriter]] = {
        "text": TextCopyWriter,
        "binary": ObservationWriter,
    }
    runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in kinds}
    with fresh_database(server, "sw_bench_copy") as dsn:
        pool = open_pool(dsn)
        migrate(pool, StoreConfig())
        with pool.connection() as conn:
            mode = series_mode_of(conn)
        for round_ in range(args.rounds):
            order = list(kinds) if round_ % 2 == 0 else list(reversed(kinds))
            for name in order:
                with pool.connection() as conn:
                    conn.execute("TRUNCATE observations")
                writer = kinds[name](pool, StoreConfig(batch_size=args.batch), Metrics(), mode)
                runs[name].append(timed(partial(write_all, writer, obs, args.batch)))
        pool.close()
    print(f"{len(obs)} observations, batches of {args.batch}, {args.rounds} rounds each")
    for name, results in runs.items():
        walls = [w for w, _, _ in results]
        cpus = [c for _, c, _ in results]
        print(
            f"{name:7} {results[0][2]} rows;  wall: best {min(walls):.3f} s, median "
            f"{statistics.median(walls):.3f} s;  client CPU: best {min(cpus):.3f} s, median "
            f"{statistics.median(cpus):.3f} s"
        )


if __name__ == "__main__":
    main()
