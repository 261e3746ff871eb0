"""`shorewatch backtest --config current.yaml --config proposed.yaml --ais ... --radar ...`.

Replays the same recordings under both configurations (as `shorewatch replay` does) and shows
what the second would have raised differently. Exit status: 0 done, 1 an input could not be
read, 2 a configuration or usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

from app.backtest.diff import DEFAULT_TOLERANCE_S, Difference, compare
from app.backtest.report import text, write_report
from app.evaluate.records import EventRecord
from app.replay.inputs import ReplayError, plan_inputs
from app.replay.output import event_line
from app.replay.runner import run_replay
from shorewatch.config.site import ConfigError, load_config

COMMAND = "backtest"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        COMMAND,
        help="what a configuration change would have raised on recorded data",
        description=(
            "Replay the same recorded AIS/radar files under two site configurations (the "
            "current one first) and show the events each raises and the difference: added, "
            "removed and changed episodes per kind, hour and zone, as tables and a plot."
        ),
    )
    parser.add_argument(
        "--config",
        dest="configs",
        type=Path,
        action="append",
        required=True,
        metavar="YAML",
        help="site YAML; give exactly two: current, then proposed",
    )
    for kind in ("ais", "radar"):
        parser.add_argument(
            f"--{kind}", type=Path, nargs="+", action="extend", default=[], metavar="FILE"
        )
    parser.add_argument("--date", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD")
    parser.add_argument("--tolerance-s", type=float, default=DEFAULT_TOLERANCE_S)
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="events of each run, changes.jsonl, report+plot"
    )


def _names(paths: list[Path]) -> list[str]:
    stems = [p.stem for p in paths]
    return stems if len(set(stems)) == len(stems) else ["current", "proposed"]


def run(args: argparse.Namespace) -> int:
    err = sys.stderr
    if len(args.configs) != 2:
        print("shorewatch backtest: give --config twice (current, then proposed)", file=err)
        return 2
    if not args.ais and not args.radar:
        print("shorewatch backtest: give at least one --ais or --radar file", file=err)
        return 2
    names = _names(args.configs)
    runs: list[list[EventRecord]] = []
    try:
        for path in args.configs:
            site = load_config(path)
            report = run_replay(site, plan_inputs(site, args.ais, args.radar), day=args.date)
            runs.append([EventRecord.model_validate_json(event_line(e)) for e in report.events])
            if args.out is not None:
                args.out.mkdir(parents=True, exist_ok=True)
                lines = "".join(event_line(e) + "\n" for e in report.events)
                (args.out / f"events-{names[len(runs) - 1]}.jsonl").write_text(lines)
    except ConfigError as exc:
        print(f"shorewatch backtest: configuration error:\n{exc}", file=err)
        return 2
    except ReplayError as exc:
        print(f"shorewatch backtest: {exc}", file=err)
        return 1
    differences, unchanged = compare(runs[0], runs[1], args.tolerance_s)
    counts = [Counter(e.kind for e in events) for events in runs]
    sys.stdout.write(text(names, counts, differences, unchanged))
    if args.out is not None:
        (args.out / "changes.jsonl").write_text("".join(_change_line(d) for d in differences))
        page = write_report(args.out, names, counts, differences, unchanged)
        print(f"report: {page}", file=err)
    return 0


def _change_line(d: Difference) -> str:
    record = {
        "change": d.change.value,
        "kind": d.event.kind,
        "targets": list(d.event.targets),
        "zone": d.event.zone,
        "before": None if d.before is None else d.before.model_dump(mode="json"),
        "after": None if d.after is None else d.after.model_dump(mode="json"),
        "detail": d.detail,
    }
    return json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
