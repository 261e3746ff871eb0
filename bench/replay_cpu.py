"""Replay's CPU time per message on the largest real AIS capture, for comparing two trees on a
shared machine (wall time measures the neighbours; `time.process_time` does not).

    PYTHONPATH=<tree> python bench/replay_cpu.py LABEL [--rounds 3]

runs `run_replay` with the default site on the capture `bench.replay` picks, imported from
whichever tree PYTHONPATH names, and prints the best CPU time and the events raised (which must
match between the trees being compared).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from app.replay.inputs import plan_inputs
from app.replay.runner import run_replay
from bench.replay import largest_capture
from shorewatch.config.site import load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("label")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path = largest_capture()
    site = load_config()
    inputs = plan_inputs(site, [path], [])
    best = float("inf")
    report = None
    for _ in range(args.rounds):
        started = time.process_time()
        report = run_replay(site, inputs)
        best = min(best, time.process_time() - started)
    assert report is not None
    kinds = Counter(e.kind.value for e in report.events)
    print(
        f"{args.label}: {path.name}, best of {args.rounds}: {best:.2f} CPU-s, "
        f"{report.messages / best:,.0f} messages/CPU-s, events {dict(sorted(kinds.items()))}"
    )


if __name__ == "__main__":
    main()
