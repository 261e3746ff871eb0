"""AIS decoding alone: ShoreWatch's `AisReceiver` against pyais decode-only, same lines, same run.

    python -m bench.ais_decode [--rounds N]

No broker, no database: the receiver publishes into a counter. It does everything it does live
(tag blocks and other clocks, checksums, multi-part assembly, every line counted on /metrics,
schema reports), and a /metrics scrape at the end, so counts kept back are paid for. Rounds
alternate between the two, so a busy machine slows both alike; the best round of each is
reported (the least disturbed), with the median beside it, in wall time and in the process's
CPU time (steadier where other work shares the cores: time spent waiting for a core is not
counted).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bench.ingest import CAPTURES, load_lines, pyais_decode_only, stream_reads
from ingest.receiver import AisReceiver
from shorewatch.events import Observation, VesselStatic
from shorewatch.logs import configure_logging
from shorewatch.metrics import Metrics


def timed(run: Callable[[], int]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and what `run` returned."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def receiver_only(lines: list[bytes]) -> int:
    """Feed every line (a TCP read's lines at a time, as the ingest role does), then scrape."""
    metrics = Metrics()
    published = 0

    def publish(messages: Sequence[Observation | VesselStatic]) -> None:
        nonlocal published
        published += len(messages)

    receiver = AisReceiver("bench", publish, metrics, lambda: datetime.now(UTC))
    for read in stream_reads(lines):
        receiver.feed_lines(read)
    receiver.flush()
    metrics.exposition()
    return published


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds of each")
    args = parser.parse_args()
    configure_logging("ERROR")  # the captures' rejected lines would bury the figures
    lines = load_lines()
    runs: dict[str, list[tuple[float, float, int]]] = {"pyais decode-only": [], "AisReceiver": []}
    for _ in range(args.rounds):
        runs["pyais decode-only"].append(timed(lambda: pyais_decode_only(lines)[1]))
        runs["AisReceiver"].append(timed(lambda: receiver_only(lines)))
    print(f"input: {len(lines)} lines ({', '.join(CAPTURES)}); {args.rounds} rounds each")
    best: dict[str, tuple[float, float]] = {}
    median: dict[str, tuple[float, float]] = {}
    for name, results in runs.items():
        walls = [wall for wall, _, _ in results]
        cpus = [cpu for _, cpu, _ in results]
        best[name] = (min(walls), min(cpus))
        median[name] = (statistics.median(walls), statistics.median(cpus))
        print(
            f"{name:18} wall: best {len(lines) / best[name][0]:7.0f} lines/s, median "
            f"{len(lines) / median[name][0]:7.0f};  CPU: best {len(lines) / best[name][1]:7.0f}, "
            f"median {len(lines) / median[name][1]:7.0f}  ({results[0][2]} messages)"
        )
    base, ours = "pyais decode-only", "AisReceiver"
    print(
        f"ratio AisReceiver / pyais: wall best {best[base][0] / best[ours][0]:.2f}, median "
        f"{median[base][0] / median[ours][0]:.2f};  CPU best {best[base][1] / best[ours][1]:.2f}, "
        f"median {median[base][1] / median[ours][1]:.2f}"
    )


if __name__ == "__main__":
    main()
