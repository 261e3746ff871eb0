"""Keeps a detector's `WatchList` equal to the site's seed entries plus the store's active ones.

The store NOTIFYs on every change, so an entry added through the API (in this process or any
other) reaches every detector within moments; the list is also re-read every `interval_s` in
case a notification was lost while disconnected. Database trouble is logged and retried with
back-off: the detector keeps matching against the last list it loaded and never sees an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence

import psycopg
import structlog
from psycopg import sql

from detectors.watchlist import WatchEntry, WatchList
from shorewatch.config.site import WatchlistEntryConfig
from shorewatch.store.timeseries import Conn
from shorewatch.store.watchlist_repo import CHANNEL, WatchlistEntry, WatchlistRepo

log = structlog.get_logger(__name__)


def seed_entries(configs: Sequence[WatchlistEntryConfig]) -> list[WatchEntry]:
    """The YAML's entries, with ids from their position so a replay names them the same."""
    return [
        WatchEntry(
            id=f"config:{n}",
            mmsi=c.mmsi,
            imo=c.imo,
            name=c.name,
            callsign=c.callsign,
            reason=c.reason,
            points=c.points,
        )
        for n, c in enumerate(configs, 1)
    ]


def stored_entry(entry: WatchlistEntry) -> WatchEntry:
    return WatchEntry(
        id=str(entry.id),
        mmsi=entry.mmsi,
        imo=entry.imo,
        name=entry.name,
        callsign=entry.callsign,
        reason=entry.reason,
        points=entry.points,
    )


class WatchlistSync:
    def __init__(
        self,
        dsn: str,
        watchlist: WatchList,
        seeds: Iterable[WatchEntry] = (),
        *,
        interval_s: float = 30.0,
        retry_s: float = 1.0,
        retry_max_s: float = 60.0,
        tick_s: float = 0.5,
    ) -> None:
        self._dsn = dsn
        self._watchlist = watchlist
        self._seeds = tuple(seeds)
        self._interval = interval_s
        self._retry = (retry_s, retry_max_s)
        self._tick = tick_s
        self._repo = WatchlistRepo()
        self._current: tuple[WatchEntry, ...] | None = None
        self._stored: tuple[WatchEntry, ...] = ()  # the store's entries at the last refresh
        self._lock = threading.Lock()  # refresh (sync thread) against reseed (reload thread)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchlist-sync", daemon=True)
        self.loads = 0
        """Successful reads of the store so far."""

    def start(self) -> None:
        """Seeds match at once; the store's entries follow as soon as the store answers."""
        self._watchlist.replace(self._seeds)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def refresh(self, conn: Conn) -> None:
        stored = tuple(stored_entry(e) for e in self._repo.active(conn))
        with self._lock:
            self._stored = stored
            entries = self._seeds + stored
            if entries != self._current:
                self._watchlist.replace(entries)
                self._current = entries
                log.info("watch list loaded", entries=len(entries), from_config=len(self._seeds))
        self.loads += 1

    def reseed(self, seeds: Iterable[WatchEntry]) -> None:
        """Hot reload (app/reload.py): the site file's entries change; the store's stay."""
        with self._lock:
            self._seeds = tuple(seeds)
            entries = self._seeds + self._stored
            self._watchlist.replace(entries)
            self._current = entries
            log.info("watch list reseeded", entries=len(entries), from_config=len(self._seeds))

    def _run(self) -> None:
        delay = self._retry[0]
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
                    self.refresh(conn)
                    delay = self._retry[0]
                    self._follow(conn)
            except Exception as exc:
                log.warning("watch list sync failed; retrying", error=str(exc), retry_s=delay)
                self._stop.wait(delay)
                delay = min(delay * 2, self._retry[1])

    def _follow(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        """Re-read on each notification and every interval, until stopped or the link fails."""
        due = time.monotonic() + self._interval
        while not self._stop.is_set():
            timeout = max(0.0, min(self._tick, due - time.monotonic()))
            notified = any(True for _ in conn.notifies(timeout=timeout, stop_after=1))
            if notified or time.monotonic() >= due:
                self.refresh(conn)
                due = time.monotonic() + self._interval
