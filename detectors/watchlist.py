"""The watch list as the detectors match it: any one identifier of a vessel is enough."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from shorewatch.events import VesselStatic


@dataclass(frozen=True)
class WatchEntry:
    id: str
    mmsi: int | None = None
    imo: int | None = None
    name: str | None = None
    callsign: str | None = None
    reason: str = ""
    points: float = 30.0


def _norm(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = " ".join(text.replace("@", " ").upper().split())
    return cleaned or None


class WatchList:
    """Replaced whole when the list changes (from config, or the API via the store)."""

    def __init__(self, entries: Iterable[WatchEntry] = ()) -> None:
        self._lock = threading.Lock()
        self.replace(entries)

    def replace(self, entries: Iterable[WatchEntry]) -> None:
        by_mmsi: dict[int, WatchEntry] = {}
        by_imo: dict[int, WatchEntry] = {}
        by_name: dict[str, WatchEntry] = {}
        by_callsign: dict[str, WatchEntry] = {}
        for entry in entries:
            if entry.mmsi is not None:
                by_mmsi[entry.mmsi] = entry
            if entry.imo is not None:
                by_imo[entry.imo] = entry
            if (name := _norm(entry.name)) is not None:
                by_name[name] = entry
            if (callsign := _norm(entry.callsign)) is not None:
                by_callsign[callsign] = entry
        with self._lock:
            self._by_mmsi, self._by_imo = by_mmsi, by_imo
            self._by_name, self._by_callsign = by_name, by_callsign

    def __len__(self) -> int:
        with self._lock:
            indexes = (self._by_mmsi, self._by_imo, self._by_name, self._by_callsign)
            return len({entry.id for index in indexes for entry in index.values()})

    def match(self, mmsi: int | None, static: VesselStatic | None) -> tuple[WatchEntry, str] | None:
        """The entry a vessel matches and on which identifier, or None."""
        with self._lock:
            if mmsi is not None and mmsi in self._by_mmsi:
                return self._by_mmsi[mmsi], "mmsi"
            if static is None:
                return None
            if static.imo is not None and static.imo in self._by_imo:
                return self._by_imo[static.imo], "imo"
            if (callsign := _norm(static.callsign)) is not None and callsign in self._by_callsign:
                return self._by_callsign[callsign], "callsign"
            if (name := _norm(static.name)) is not None and name in self._by_name:
                return self._by_name[name], "name"
        return None
