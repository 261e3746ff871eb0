"""The current picture, held in memory from the detector's `picture/{tile}` messages, joined
with the open alerts the API receives for its live feed.

Every target is stored as served: its jurisdiction located, its open alerts (on its own key or
on any track fused into it) joined as `alert_ids` and the highest `alert_level`, and its JSON
made once. Each change gets a new version number, so a WebSocket client finds what changed for
it by comparing versions, without a queue per client that a slow one could fill.

Fed from bus threads, read from request threads and the event loop: one lock guards it, held
only for dictionary work (locating and rendering happen outside it).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from api.principal import Principal
from shorewatch.events import OPEN_STATES, Alert, Level, Message, PictureTrack, PictureUpdate
from shorewatch.jurisdictions import Jurisdictions

SEVERITY = {Level.RED: 0, Level.ORANGE: 1, Level.YELLOW: 2, Level.BLUE: 3}
PRUNE_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class BBox:
    """West, south, east, north in degrees; a box with west > east crosses the antimeridian."""

    west: float
    south: float
    east: float
    north: float

    def contains(self, lat: float, lon: float) -> bool:
        if not self.south <= lat <= self.north:
            return False
        if self.west <= self.east:
            return self.west <= lon <= self.east
        return lon >= self.west or lon <= self.east


@dataclass(frozen=True, slots=True)
class Entry:
    version: int
    track: PictureTrack
    """As served: jurisdiction and alerts joined."""
    json: str
    received: float
    """Monotonic time the detector last sent it."""


class Picture:
    def __init__(
        self,
        jurisdictions: Jurisdictions,
        *,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._jurisdictions = jurisdictions
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._raw: dict[str, PictureTrack] = {}
        """As the detector sent them."""
        self._area: dict[str, str | None] = {}
        """The jurisdiction each target is in."""
        self._entries: dict[str, Entry] = {}
        self._owner: dict[str, str] = {}
        """Key of a fused track -> the target that carries it."""
        self._alerts: dict[str, dict[str, str]] = {}
        """Open, unsilenced alerts by target key: alert id -> level, both as text, so that these
        dicts hold nothing the cyclic garbage collector tracks (with UUIDs and enum members
        they did, and 240,000 open alerts made each full collection of the API ~200 ms)."""
        self._heard: set[uuid.UUID] | None = set()
        """Alert ids heard on the bus before the store's open alerts were loaded."""
        self._seq = 0
        self._pruned = clock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    # --- input ---------------------------------------------------------------------------

    def on_message(self, message: Message) -> None:
        if isinstance(message, PictureUpdate):
            self.apply(message)
        elif isinstance(message, Alert):
            self.alert_changed(message)

    def apply(self, update: PictureUpdate) -> None:
        areas = self._jurisdictions.locate_many([(t.lat, t.lon) for t in update.tracks])
        now = self._clock()
        with self._lock:
            for key in update.removed:
                self._drop(key)
            for track, area in zip(update.tracks, areas, strict=True):
                old = self._raw.get(track.key)
                if old is not None:
                    for member in set(old.associated) - set(track.associated):
                        if self._owner.get(member) == track.key:
                            del self._owner[member]
                for member in track.associated:
                    self._drop(member)  # shown on its own before it was fused
                    self._owner[member] = track.key
                self._raw[track.key] = track
                self._area[track.key] = area
                self._render(track.key, now)
            if now - self._pruned >= PRUNE_EVERY_S:
                self._prune(now)

    def load_alerts(self, alerts: Iterable[Alert]) -> None:
        """The store's open alerts at start; an alert already heard on the bus is newer."""
        with self._lock:
            heard, self._heard = self._heard or set(), None
        for alert in alerts:
            if alert.id not in heard:
                self.alert_changed(alert)

    def alert_changed(self, alert: Alert) -> None:
        live = alert.state in OPEN_STATES and not alert.silenced
        with self._lock:
            if self._heard is not None:
                self._heard.add(alert.id)
            levels = self._alerts.setdefault(alert.target, {})
            if live:
                levels[str(alert.id)] = alert.level.value
            else:
                levels.pop(str(alert.id), None)
            if not levels:
                del self._alerts[alert.target]
            shown = alert.target if alert.target in self._raw else self._owner.get(alert.target)
            if shown is not None and shown in self._raw:
                self._render(shown, self._entries[shown].received)

    def _drop(self, key: str) -> None:
        track = self._raw.pop(key, None)
        self._entries.pop(key, None)
        self._area.pop(key, None)
        if track is not None:
            for member in track.associated:
                if self._owner.get(member) == key:
                    del self._owner[member]

    def _render(self, key: str, received: float) -> None:
        track = self._raw[key]
        found: dict[str, str] = {}
        for target in (key, *track.associated):
            found.update(self._alerts.get(target, {}))
        ordered = sorted(found.items(), key=lambda item: (SEVERITY[Level(item[1])], item[0]))
        served = track.model_copy(
            update={
                "jurisdiction": self._area[key],
                "alert_level": Level(ordered[0][1]) if ordered else None,
                "alert_ids": tuple(uuid.UUID(alert_id) for alert_id, _ in ordered),
            }
        )
        self._seq += 1
        self._entries[key] = Entry(self._seq, served, served.model_dump_json(), received)

    def _prune(self, now: float) -> None:
        """Targets the detector has not mentioned for the state TTL (a detector that stopped
        or restarted never sends their removal)."""
        self._pruned = now
        stale = [k for k, e in self._entries.items() if now - e.received > self._ttl_s]
        for key in stale:
            self._drop(key)

    # --- output --------------------------------------------------------------------------

    def target_of(self, key: str) -> PictureTrack | None:
        """The target a track key is drawn as: itself, or the vessel it is fused into."""
        with self._lock:
            entry = self._entries.get(self._owner.get(key, key))
        return None if entry is None else entry.track

    def view(self, caller: Principal, bbox: BBox | None = None) -> list[Entry]:
        """What the caller sees inside the box (everything in its areas without one)."""
        with self._lock:
            entries = list(self._entries.values())
        return [
            e
            for e in entries
            if caller.sees(e.track.jurisdiction)
            and (bbox is None or bbox.contains(e.track.lat, e.track.lon))
        ]
