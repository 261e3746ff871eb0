"""`shorewatch replay`: its arguments, and the run that turns them into an events file.

Exit status: 0 done (bad lines are counted and summarised, never fatal), 1 an input or the
database could not be used, 2 a configuration or usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from shorewatch.config.site import ConfigError, SiteConfig
from shorewatch.settings import Settings

if TYPE_CHECKING:
    from app.replay.runner import ReplayReport

PROGRESS_MIN_LINES = 10_000
# Outcomes that are the data doing its job; everything else is listed as a rejection.
ACCEPTED = frozenset({"position", "static", "fragment", "metadata", "target", "lost", "own_ship"})
# Not used but not lost either: other sentences on the same bus, message types no rule reads,
# AIS positions sent as "not available", a radar target still being acquired.
OTHER = {
    "ais": frozenset({"not_ais", "unsupported_type", "no_position"}),
    "radar": frozenset({"not_radar", "query"}),
}
WARN_DROPPED = 0.01  # a file losing more than this share of its lines is worth a look


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Registers `replay` among the `shorewatch` subcommands."""
    parser = sub.add_parser(
        "replay",
        help="run the detectors on recorded data, in event time; write the events as JSONL",
        description=(
            "Feed recorded AIS and radar NMEA (plain or gzip) through the detectors in event "
            "time, as fast as the CPU allows. A line's time is its prefix (an ISO 8601 time such "
            "as 2026-11-20T12:00:00Z or 2026-11-20 12:00:00.123+00:00, or Unix seconds such as "
            "1700000000.5, then a space, tab or comma), else its own (tag block c:, Unix time "
            "after the checksum, $PGHP, valid $xxRMC/$xxZDA), else the previous line's. Radar "
            "TTM/TLL times of day in a file with no date take --date, else the date of the "
            "other inputs' clock. The n-th --ais/--radar file stands for the n-th configured "
            "input of that kind."
        ),
    )
    parser.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS, help="site YAML (thresholds, zones)"
    )
    for kind, what in (("ais", "AIS"), ("radar", "radar")):
        parser.add_argument(
            f"--{kind}",
            type=Path,
            nargs="+",
            action="extend",
            default=[],
            metavar="FILE",
            help=f"recorded {what} NMEA, plain or gzip; repeatable",
        )
    parser.add_argument("--out", required=True, metavar="FILE", help="events JSONL ('-': stdout)")
    parser.add_argument(
        "--db",
        nargs="?",
        const="",
        default=None,
        metavar="DSN",
        help="also store observations and events (no DSN: SHOREWATCH_DATABASE_URL)",
    )
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="UTC date of radar times of day in files that carry no date of their own",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"progress bar on stderr (default: on a terminal, for over {PROGRESS_MIN_LINES:,} "
        "lines)",
    )


def run(site: SiteConfig, settings: Settings, args: argparse.Namespace) -> int:
    import psycopg

    from app.replay.database import ReplayStore
    from app.replay.inputs import ReplayError, count_lines, plan_inputs
    from app.replay.output import write_events
    from app.replay.progress import Progress
    from app.replay.runner import run_replay
    from shorewatch.store.db import StoreError

    err = sys.stderr
    if not args.ais and not args.radar:
        print("shorewatch replay: give at least one --ais or --radar file", file=err)
        return 2
    dsn = None if args.db is None else (args.db or settings.database_url)
    if args.db == "" and not dsn:
        print("shorewatch replay: --db without a DSN needs SHOREWATCH_DATABASE_URL", file=err)
        return 2
    if args.out != "-" and not Path(args.out).parent.is_dir():
        print(f"shorewatch replay: cannot write {args.out}: no such directory", file=err)
        return 1
    inputs = plan_inputs(site, args.ais, args.radar)
    try:
        total = sum(count_lines(spec.path) for spec in inputs)
        show = args.progress
        if show is None:
            show = err.isatty() and total > PROGRESS_MIN_LINES
        progress = Progress(total, err, enabled=bool(show))
        store = ReplayStore(dsn, site) if dsn else None
        try:
            report = run_replay(
                site,
                inputs,
                on_message=None if store is None else store.record,
                progress=progress,
                day=args.date,
            )
            progress.close()
            write_events(report.events, args.out)
            if store is not None:
                store.store_events(report.events)
        finally:
            if store is not None:
                store.close()
    except ConfigError as exc:
        print(f"shorewatch replay: configuration error:\n{exc}", file=err)
        return 2
    except (ReplayError, StoreError) as exc:
        print(f"shorewatch replay: {exc}", file=err)
        return 1
    except psycopg.Error as exc:
        print(f"shorewatch replay: database error: {exc}", file=err)
        return 1
    except OSError as exc:
        print(f"shorewatch replay: cannot write {args.out}: {exc}", file=err)
        return 1
    summarise(report, args.out, err)
    return 0


def summarise(report: ReplayReport, out: str, err: TextIO) -> None:
    """The run in a few lines on stderr: volume, speed, events by kind, rejections by reason."""
    kinds = Counter(e.kind.value for e in report.events)
    rate = report.lines / max(report.seconds, 1e-9)
    print(
        f"replay: {report.lines:,} lines, {report.messages:,} messages in {report.seconds:.2f} s "
        f"({rate:,.0f} lines/s); {len(report.events)} events -> {out}",
        file=err,
    )
    if kinds:
        print("  events: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())), file=err)
    for item in report.inputs:
        bad = {k: n for k, n in item.outcomes.items() if k not in ACCEPTED}
        good = item.lines - sum(bad.values())
        detail = ", ".join(f"{k} {n:,}" for k, n in sorted(bad.items(), key=lambda kv: -kv[1]))
        print(
            f"  {item.spec.label}: {item.lines:,} lines, {good:,} used"
            + (f"; not used: {detail}" if detail else ""),
            file=err,
        )
        if item.dating.day is not None:
            print(
                f"    radar times of day dated {item.dating.day} from {item.dating.source}",
                file=err,
            )
        dropped_summary(item.spec.kind.value, item.spec.path.name, item.outcomes, err)
        if item.lines and item.outcomes.get("no_time", 0) == item.lines:
            print("    (no time found: see `shorewatch replay --help` for the formats)", file=err)


def dropped_summary(kind: str, name: str, outcomes: Counter[str], err: TextIO) -> float:
    """The share of a file's lines lost (bad lines, no time), per reason; a warning above 1 %.

    Returns the dropped share, so callers and tests need not parse the text.
    """
    lines = sum(outcomes.values())
    lost = {
        k: n
        for k, n in outcomes.items()
        if n and k not in ACCEPTED and k not in OTHER.get(kind, ())
    }
    if not lines or not lost:
        return 0.0
    share = sum(lost.values()) / lines
    reasons = ", ".join(
        f"{k} {n / lines:.2%}" for k, n in sorted(lost.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    print(
        f"    dropped {sum(lost.values()):,} of {lines:,} lines ({share:.2%}): {reasons}", file=err
    )
    if share > WARN_DROPPED:
        print(
            f"    WARNING: {share:.1%} of {kind} {name} dropped (over {WARN_DROPPED:.0%}): "
            "events from this file may be missing",
            file=err,
        )
    return share
