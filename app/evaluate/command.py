"""`shorewatch evaluate --truth labels.jsonl --events events.jsonl`: scores per rule.

Exit status: 0 done, 1 an input could not be read or parsed (the file and line are named).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.evaluate.matching import DEFAULT_TOLERANCE_S, evaluate
from app.evaluate.records import RecordError, read_events, read_labels
from app.evaluate.report import text, write_report

COMMAND = "evaluate"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        COMMAND,
        help="precision, recall and F1 per rule of an events file against truth labels",
        description=(
            "Match the events (as `shorewatch replay` writes them) to truth labels (JSONL: "
            "kind, target, start, optional end, zone, note) by kind, target and time window, "
            "and print precision, recall and F1 per rule with every miss and false alarm. "
            "Matching rules: docs/detection.md, 'Evaluation'."
        ),
    )
    parser.add_argument("--truth", type=Path, required=True, metavar="LABELS.jsonl")
    parser.add_argument("--events", type=Path, required=True, metavar="EVENTS.jsonl")
    parser.add_argument(
        "--tolerance-s",
        type=float,
        default=DEFAULT_TOLERANCE_S,
        help=f"slack around a label's time span (default {DEFAULT_TOLERANCE_S:g} s)",
    )
    parser.add_argument(
        "--rule", action="append", default=None, help="score only this rule; repeatable"
    )
    parser.add_argument("--report", type=Path, metavar="DIR", help="write report.html + plot")
    parser.add_argument("--json", type=Path, metavar="FILE", help="the scores as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        labels = read_labels(args.truth)
        events = read_events(args.events)
    except RecordError as exc:
        print(f"shorewatch evaluate: {exc}", file=sys.stderr)
        return 1
    scores = evaluate(labels, events, args.tolerance_s, args.rule)
    sys.stdout.write(text(scores))
    if args.json is not None:
        summary = {
            s.rule: {
                "hits": len(s.hits),
                "misses": len(s.misses),
                "false_alarms": len(s.false_alarms),
                "precision": s.precision,
                "recall": s.recall,
                "f1": s.f1,
            }
            for s in scores.values()
        }
        args.json.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    if args.report is not None:
        page = write_report(args.report, scores, f"Evaluation of {args.events.name}")
        print(f"report: {page}", file=sys.stderr)
    return 0
