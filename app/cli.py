"""The `shorewatch` command: run roles, migrate the store, replay recorded data, or run the
self-contained demo."""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from app import auth_command, camera_check, coverage_command
from app.backtest import command as backtest_command
from app.evaluate import command as evaluate_command
from app.replay import command as replay_command
from app.simulator import command as simulate_command
from shorewatch.config.site import DEFAULT_CONFIG, DEMO_CONFIG, ConfigError, SiteConfig, load_config
from shorewatch.logs import configure_logging
from shorewatch.settings import Settings

if TYPE_CHECKING:
    from app.reload import ConfigReloader
    from detectors.watchlist_sync import WatchlistSync
    from detectors.worker import DetectorWorker


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shorewatch", description=__doc__)
    parser.add_argument("--config", type=Path, help="site YAML (default: the packaged one)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the service (all roles, or those given)")
    run.add_argument(
        "--role",
        action="append",
        choices=["ingest", "recorder", "detector", "alerts", "api"],
        help="run only this role; repeat for several",
    )
    sub.add_parser("migrate", help="apply database migrations and exit")
    demo = sub.add_parser("demo", help="everything embedded, with simulated traffic")
    demo.add_argument(
        "--for",
        dest="seconds",
        type=float,
        default=None,
        help="stop by itself after this many seconds",
    )
    demo.add_argument("--port", type=int, default=8080, help="API port (default 8080)")
    demo.add_argument("--speedup", type=float, default=1.0, help="simulated time per second")
    replay_command.add_parser(sub)
    auth_command.add_parsers(sub)
    camera_check.add_parser(sub)
    evaluate_command.add_parser(sub)
    backtest_command.add_parser(sub)
    simulate_command.add_parser(sub)
    coverage_command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
        configure_logging(settings.log_level)
        # The demo's own site (a radar and a zone for every planted case) unless one is given.
        demo_site = args.command in ("demo", simulate_command.COMMAND)
        packaged = DEMO_CONFIG if demo_site else DEFAULT_CONFIG
        site = load_config(args.config or settings.config, packaged=packaged)
    except (ConfigError, ValidationError) as exc:
        print(f"shorewatch: configuration error:\n{exc}", file=sys.stderr)
        return 2
    if args.command == "demo":
        from app.demo import run_demo

        return run_demo(site, settings, seconds=args.seconds, port=args.port, speedup=args.speedup)
    if args.command == "replay":
        return replay_command.run(site, settings, args)
    if args.command == evaluate_command.COMMAND:
        return evaluate_command.run(args)
    if args.command == backtest_command.COMMAND:
        return backtest_command.run(args)
    if args.command == simulate_command.COMMAND:
        return simulate_command.run(site, args)
    if args.command == coverage_command.COMMAND:
        return coverage_command.run(site, args)
    if args.command == camera_check.COMMAND:
        return camera_check.run(site, args)
    if args.command in auth_command.COMMANDS:
        return auth_command.run(site, settings, args)
    if settings.database_url is None:
        print("shorewatch: set SHOREWATCH_DATABASE_URL (or use `shorewatch demo`)", file=sys.stderr)
        return 2
    if args.command == "migrate":
        from shorewatch.store.db import open_pool
        from shorewatch.store.migrations import migrate

        pool = open_pool(settings.database_url)
        try:
            applied = migrate(pool, site.store)
        finally:
            pool.close()
        print(f"migrations applied: {applied or 'none (up to date)'}")
        return 0
    return _run(site, settings, args.role, args.config or settings.config)


def _run(
    site: SiteConfig, settings: Settings, roles: list[str] | None, path: Path | None = None
) -> int:
    from app.composition import ROLES, Service

    if settings.mqtt_url is None:
        print("shorewatch: set SHOREWATCH_MQTT_URL (or use `shorewatch demo`)", file=sys.stderr)
        return 2
    token = settings.api_token.get_secret_value() if settings.api_token else None
    service = Service(
        site,
        dsn=settings.database_url or "",
        mqtt_url=settings.broker_url() or "",
        roles=roles or ROLES,
        api_token=token,
        api_host=settings.api_host,
        api_port=settings.api_port,
        topic_root=settings.topic_root,
        data_dir=settings.data_dir,
        client_id=settings.client_id,
        console_dir=settings.console_dir,
        live_recheck_s=settings.live_recheck_s,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    service.start()
    reloader = start_hot_reload(service.detector, service.watchlist_sync, site, path)
    freeze_startup_objects()
    try:
        stop.wait()
    finally:
        if reloader is not None:
            reloader.stop()
        service.stop()
    return 0


def freeze_startup_objects() -> None:
    """What start made (modules, configuration, schemas, pools: ~150,000 objects) lives as long
    as the process. Moved out of the cyclic collector's way, a full collection walks only what
    came since: at 2,000 events/s each one paused the alerts process for 60-75 ms every few
    seconds, and the API for up to 227 ms (docs/benchmarks.md). Garbage at this moment is
    collected first, so nothing collectable is frozen."""
    gc.collect()
    gc.freeze()


def start_hot_reload(
    detector: DetectorWorker | None,
    sync: WatchlistSync | None,
    site: SiteConfig,
    path: Path | None,
) -> ConfigReloader | None:
    """Thresholds, zones, watch-list seeds and version reload on file change or SIGHUP
    (app/reload.py), for the detector role when the site comes from a file."""
    if detector is None or path is None:
        return None
    from app.reload import ConfigReloader, detector_applier

    reloader = ConfigReloader(path, site, detector_applier(detector, sync))
    signal.signal(signal.SIGHUP, reloader.request)
    reloader.start()
    return reloader


if __name__ == "__main__":
    sys.exit(main())
