"""`shorewatch simulate`: the mixed scenario as recorded files plus its truth labels.

Gives engineers a labelled recording to try `replay`, `evaluate` and `backtest` on
(docs/detection.md has the worked example): `ais.nmea`, `radar.nmea` and `labels.jsonl`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from app.evaluate.records import label_lines
from app.simulator.lines import write_recordings
from app.simulator.scenarios import mixed_scenario
from app.simulator.truth import planted_labels
from shorewatch.config.site import SiteConfig

COMMAND = "simulate"
DEFAULT_START = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)  # a November night


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        COMMAND,
        help="write the simulator's mixed scenario as recordings with truth labels",
        description=(
            "Write the demo coast's mixed scenario (ordinary traffic plus one planted case per "
            "rule) as ais.nmea and radar.nmea recordings and its truth as labels.jsonl, for "
            "`shorewatch replay`, `evaluate` and `backtest`. Uses the demo site by default."
        ),
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.add_argument("--for", dest="seconds", type=float, default=900.0, help="seconds")
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        default=DEFAULT_START,
        help="UTC start, ISO 8601 (default 2026-11-20T22:00:00+00:00)",
    )


def run(site: SiteConfig, args: argparse.Namespace) -> int:
    radars = [spec for spec in site.ingest.radar if spec.format == "nmea" and spec.site]
    if not radars:
        print("shorewatch simulate: the site needs an NMEA radar with a site", file=sys.stderr)
        return 2
    start = args.start if args.start.tzinfo else args.start.replace(tzinfo=UTC)
    scenario = mixed_scenario(start)
    args.out.mkdir(parents=True, exist_ok=True)
    files = write_recordings(scenario, args.seconds, args.out)
    labels = [
        label
        for label in planted_labels(scenario, radars[0].id)
        if (label.start - start).total_seconds() <= args.seconds
    ]
    truth = args.out / "labels.jsonl"
    truth.write_text(label_lines(labels), encoding="utf-8")
    for path in [*files.values(), truth]:
        print(path)
    return 0
