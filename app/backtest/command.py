"""`shorewatch backtest --config current.yaml --config proposed.yaml --ais ... --radar ...`
(or `--db --since 7d [--area S,W,N,E|zone]`).

Replays the same recordings (or the store's observations of a window) under both
configurations, as `shorewatch replay` does, and shows what the second would have raised
differently. Exit status: 0 done, 1 an input could not be
read, 2 a configuration or usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

from app.backtest.diff import DEFAULT_TOLERANCE_S, Difference, compare
from app.backtest.report import text, write_report
from app.backtest.store import Input, area_of, since_of, stored_inputs
from app.evaluate.records import EventRecord
from app.replay.inputs import ReplayError, plan_inputs
from app.replay.output import event_line, final_states
from app.replay.runner import run_replay
from detectors.watchlist import WatchList
from detectors.watchlist_sync import seed_entries
from detectors.worker import DetectorWorker
from shorewatch.config.site import ConfigError, SiteConfig, load_config
from shorewatch.events import Event
from shorewatch.metrics import Metrics
from shorewatch.settings import Settings
from shorewatch.zones import build_zones

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
    parser.add_argument(
        "--db",
        nargs="?",
        const="",
        default=None,
        metavar="DSN",
        help="the store's observations instead of files (no DSN: SHOREWATCH_DATABASE_URL)",
    )
    parser.add_argument("--since", help="with --db: 7d, 12h, 30m or an ISO 8601 time")
    parser.add_argument("--until", help="with --db: ISO 8601 time (default: now)")
    parser.add_argument(
        "--area", help="with --db: S,W,N,E degrees, or a zone id of the first config"
    )
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
    from_store = args.db is not None
    if from_store == bool(args.ais or args.radar) or (from_store and not args.since):
        print(
            "shorewatch backtest: give --ais/--radar files, or --db with --since (not both)",
            file=err,
        )
        return 2
    names = _names(args.configs)
    runs: list[list[EventRecord]] = []
    try:
        sites = [load_config(path) for path in args.configs]
        source = _store_source(args, sites[0]) if from_store else None
        for site in sites:
            if source is not None:
                events = detect(site, source())
            else:
                inputs = plan_inputs(site, args.ais, args.radar)
                events = run_replay(site, inputs, day=args.date).events
            runs.append([EventRecord.model_validate_json(event_line(e)) for e in events])
            if args.out is not None:
                args.out.mkdir(parents=True, exist_ok=True)
                lines = "".join(event_line(e) + "\n" for e in events)
                (args.out / f"events-{names[len(runs) - 1]}.jsonl").write_text(lines)
    except ConfigError as exc:
        print(f"shorewatch backtest: configuration error:\n{exc}", file=err)
        return 2
    except (ReplayError, ValueError) as exc:
        print(f"shorewatch backtest: {exc}", file=err)
        return 1
    except psycopg.Error as exc:
        print(f"shorewatch backtest: database error: {exc}", file=err)
        return 1
    differences, unchanged = compare(runs[0], runs[1], args.tolerance_s)
    counts = [Counter(e.kind for e in events) for events in runs]
    sys.stdout.write(text(names, counts, differences, unchanged))
    if args.out is not None:
        (args.out / "changes.jsonl").write_text("".join(_change_line(d) for d in differences))
        page = write_report(args.out, names, counts, differences, unchanged)
        print(f"report: {page}", file=err)
    return 0


def _store_source(args: argparse.Namespace, site: SiteConfig) -> Callable[[], Iterator[Input]]:
    """The window's stored observations, read afresh for each configuration."""
    dsn = args.db or Settings().database_url
    if not dsn:
        raise ValueError("--db without a DSN needs SHOREWATCH_DATABASE_URL")
    now = datetime.now(UTC)
    since = since_of(args.since, now)
    until = since_of(args.until, now) if args.until else now
    area = area_of(args.area, site) if args.area else None
    return lambda: stored_inputs(dsn, since, until, area)


def detect(site: SiteConfig, inputs: Iterable[Input]) -> list[Event]:
    """The live detector over stored input, in event time; each event's final state."""
    latest: dict[uuid.UUID, Event] = {}

    def keep(events: list[Event]) -> None:
        latest.update((event.id, event) for event in events)

    worker = DetectorWorker(
        site, build_zones(site), keep, Metrics(), watchlist=WatchList(seed_entries(site.watchlist))
    )
    for message in inputs:
        worker.process_message(message)
    worker.finish()
    return final_states(latest.values())


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
