"""The fused picture's targets for TAK: the latest state of each current target and the level
of its open alerts, so every TAK output can send the ones it wants as markers.

The picture carries changes only, and a marker on a crew's device goes stale unless re-sent,
so each output re-sends its current selection every `tracks_every_s` (stale after three
periods): a target the detector drops (expired, lost, fused into another) fades from the
crews' maps within that time.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from alerts.scoring import LEVEL_ORDER
from shorewatch.config.tak import TakOutput
from shorewatch.cot import Protocol, encode, track_event
from shorewatch.events import OPEN_STATES, Alert, Level, PictureTrack, PictureUpdate

STALE_PERIODS = 3


class TrackMarkers:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._current: dict[str, PictureTrack] = {}
        self._open: dict[str, dict[uuid.UUID, Level]] = {}  # target key -> open alerts

    def on_picture(self, update: PictureUpdate) -> None:
        with self._lock:
            for key in update.removed:
                self._current.pop(key, None)
            for track in update.tracks:
                self._current[track.key] = track

    def on_alert(self, alert: Alert) -> None:
        with self._lock:
            open_alerts = self._open.setdefault(alert.target, {})
            if alert.state in OPEN_STATES and not alert.silenced:
                open_alerts[alert.id] = alert.level
            else:
                open_alerts.pop(alert.id, None)
            if not open_alerts:
                del self._open[alert.target]

    def keys(self) -> set[str]:
        """The current targets' keys."""
        with self._lock:
            return set(self._current)

    def alerted_targets(self) -> set[str]:
        """Target keys with an open, unsilenced alert."""
        with self._lock:
            return set(self._open)

    def level_of(self, track: PictureTrack) -> Level | None:
        """The highest open alert on the target or on any track fused into it."""
        with self._lock:
            levels = [
                level
                for key in (track.key, *track.associated)
                for level in self._open.get(key, {}).values()
            ]
        return max(levels, key=LEVEL_ORDER.index) if levels else None

    def markers(self, output: TakOutput) -> list[bytes]:
        """The output's selection, alerted targets first (highest level), at most
        `tracks_max`."""
        if output.tracks == "none":
            return []
        with self._lock:
            current = list(self._current.values())
        floor = LEVEL_ORDER.index(output.min_level)
        chosen: list[tuple[int, PictureTrack, Level | None]] = []
        for track in current:
            level = self.level_of(track)
            rank = -1 if level is None else LEVEL_ORDER.index(level)
            if output.tracks == "alerted" and (level is None or rank < floor):
                continue
            chosen.append((rank, track, level))
        chosen.sort(key=lambda c: c[0], reverse=True)
        now = self._clock()
        stale_s = output.tracks_every_s * STALE_PERIODS
        protocol = Protocol(output.protocol)
        return [
            encode(track_event(track, now, stale_s=stale_s, level=level), protocol)
            for _, track, level in chosen[: output.tracks_max]
        ]
