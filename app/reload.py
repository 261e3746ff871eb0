"""Hot reload of the site file: thresholds, zones, watch list and version without a restart.

Checked every `interval_s` (file changed: size, mtime or content) and at once on SIGHUP. The new
file is validated first — parsed, checked like at start, its zones built — and only then
applied; a broken file is refused with one clear log line naming the file and the error, and
the running configuration is kept. Events carry the new `version` from then on. Sections that
are only read at start (ingest, store, fusion, alerts, api…) are reported as needing a restart.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import structlog
from pydantic import ValidationError

from detectors.watchlist_sync import WatchlistSync, seed_entries
from detectors.worker import DetectorWorker, reconfigure
from shorewatch.config.site import ConfigError, SiteConfig, load_config
from shorewatch.zones import build_zones

log = structlog.get_logger(__name__)
RELOADED = ("version", "thresholds", "zones", "watchlist")
"""What a reload changes in the running service; any other difference needs a restart."""


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    APPLIED = "applied"
    REFUSED = "refused"


def needs_restart(before: SiteConfig, after: SiteConfig) -> list[str]:
    """Top-level sections that differ but that the running service read only at start."""
    old, new = before.model_dump(), after.model_dump()
    return sorted(k for k in new if k not in RELOADED and old.get(k) != new[k])


def detector_applier(
    detector: DetectorWorker, sync: WatchlistSync | None
) -> Callable[[SiteConfig], None]:
    """What a reload does to the detector role: zones and seeds are built first, so a file
    whose zone cannot be read raises before anything changes."""

    def apply(new: SiteConfig) -> None:
        zones, seeds = build_zones(new), seed_entries(new.watchlist)
        reconfigure(detector, new, zones)
        if sync is not None:
            sync.reseed(seeds)

    return apply


class ConfigReloader:
    """Watches one site file; `apply` receives a validated SiteConfig and may raise to refuse
    it (e.g. a zone file it cannot read) before changing anything."""

    def __init__(
        self,
        path: Path,
        current: SiteConfig,
        apply: Callable[[SiteConfig], None],
        *,
        interval_s: float = 2.0,
    ) -> None:
        self.path = path
        self.current = current
        self._apply = apply
        self._interval = interval_s
        self._seen = self._fingerprint()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _fingerprint(self) -> bytes | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).digest()
        except OSError:
            return None

    def request(self, *_: object) -> None:
        """SIGHUP handler: check now, even if the file looks the same."""
        self._wake.set()

    def check(self, *, force: bool = False) -> Outcome:
        seen = self._fingerprint()
        if seen == self._seen and not force:
            return Outcome.UNCHANGED
        self._seen = seen
        try:
            new = load_config(self.path)
            self._apply(new)
        except (ConfigError, ValidationError, OSError, ValueError) as exc:
            log.error(
                "config reload refused; the running configuration is kept",
                path=str(self.path),
                error=str(exc).replace("\n", " | "),
                kept_version=self.current.version,
            )
            return Outcome.REFUSED
        restart = needs_restart(self.current, new)
        if restart:
            log.warning("config sections changed that need a restart", sections=restart)
        if new.version == self.current.version:
            log.warning("config reloaded without a new version: events will not show it")
        log.info(
            "config reloaded", path=str(self.path), version=new.version, was=self.current.version
        )
        self.current = new
        return Outcome.APPLIED

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="config-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self._interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.check(force=woken)
            except Exception:  # a reload must never take the service down
                log.exception("config reload failed; the running configuration is kept")
