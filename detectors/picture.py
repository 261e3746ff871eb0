"""The live picture: the fused tracks as the console draws them, published on
`picture/{tile}` in batches.

The worker tells the feed which track changed (on its own thread, so the feed reads the
fusion's tracks while nothing else changes them) and the feed turns it into the target it
belongs to: an AIS vessel carries the radar and camera tracks fused with it (`associated`), and
a fused echo is not a target of its own. A flusher thread sends what changed once per
`interval_s` of wall-clock time, so a target appears at most about once a second however often
its sensors report, and whatever the rate, the bus thread never waits for the broker.

The picture is a live view, not a finding: it takes no part in event time or in replay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from pydantic import ValidationError

from detectors.fusion import Fusion
from detectors.track import Track
from detectors.watchlist import WatchList
from shorewatch.ais_types import ship_type_text
from shorewatch.events import Observation, PictureTrack, PictureUpdate, Source
from shorewatch.logs import RateLimitedLog
from shorewatch.topics import picture_tile

log = structlog.get_logger(__name__)
Publish = Callable[[PictureUpdate], None]
Fields = dict[str, object]


def utc_now() -> datetime:
    return datetime.now(UTC)


class PictureFeed:
    def __init__(
        self,
        fusion: Fusion,
        watchlist: WatchList,
        publish: Publish,
        *,
        interval_s: float = 1.0,
        batch_size: int = 500,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._fusion = fusion
        self._watchlist = watchlist
        self._publish = publish
        self._interval_s = interval_s
        self._batch = batch_size
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, Fields] = {}
        self._removed: dict[str, str] = {}
        """Key -> the tile it was last in."""
        # Worker-thread state (only `changed`/`gone` touch it).
        self._shown: dict[str, str] = {}
        """Targets the picture holds, with their tile."""
        self._owner: dict[str, str] = {}
        """Radar/camera key -> the AIS key it is fused into."""
        self._members: dict[str, set[str]] = {}
        self._heading: dict[str, float | None] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused = RateLimitedLog(__name__)

    # --- the worker's side ----------------------------------------------------------------

    def observed(self, obs: Observation, track: Track) -> None:
        self._heading[track.key] = obs.heading_deg
        self.changed(track)

    def changed(self, track: Track) -> None:
        """A track got a fix, an identity or an association: refresh its target."""
        if track.ended:
            self.gone(track)
            return
        if track.source is Source.AIS:
            self._show(track)
            return
        owner = track.associated
        if owner is not None and self._fusion.get(owner) is None:
            owner = None
        previous = self._owner.get(track.key)
        if previous != owner:
            self._unfuse(track.key)
            if owner is not None:
                self._owner[track.key] = owner
                self._members.setdefault(owner, set()).add(track.key)
            if previous is not None and (vessel := self._fusion.get(previous)) is not None:
                self._show(vessel)  # it no longer carries this echo
        if owner is None:
            self._show(track)
            return
        self._hide(track.key)
        ais = self._fusion.get(owner)
        if ais is not None:
            self._show(ais)

    def gone(self, track: Track) -> None:
        """A track expired or its sensor lost it: its target leaves the picture; the tracks
        fused into it (if any) become targets of their own again."""
        self._heading.pop(track.key, None)
        owner = self._unfuse(track.key)
        self._hide(track.key)
        if owner is not None and (ais := self._fusion.get(owner)) is not None:
            self._show(ais)
        for member in sorted(self._members.pop(track.key, set())):
            self._owner.pop(member, None)
            echo = self._fusion.get(member)
            if echo is not None and not echo.ended:
                self._show(echo)

    def _unfuse(self, key: str) -> str | None:
        owner = self._owner.pop(key, None)
        if owner is not None:
            members = self._members.get(owner)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._members[owner]
        return owner

    def _hide(self, key: str) -> None:
        tile = self._shown.pop(key, None)
        if tile is None:
            return
        with self._lock:
            self._pending.pop(key, None)
            self._removed[key] = tile

    def _show(self, track: Track) -> None:
        target = self._target(track)
        tile = picture_tile(track.last.lat, track.last.lon)
        self._shown[track.key] = tile
        with self._lock:
            self._removed.pop(track.key, None)
            self._pending[track.key] = target

    def _target(self, track: Track) -> Fields:
        """The target's fields, as plain values (validated into a `PictureTrack` by the flusher,
        off the worker's thread)."""
        keys = self._members.get(track.key)
        members = (
            [m for key in sorted(keys) if (m := self._fusion.get(key)) is not None] if keys else []
        )
        freshest = max([track, *members], key=lambda t: t.last.time) if members else track
        fix = freshest.last
        static = track.static
        mmsi = track.mmsi
        sources = {track.source, *(m.source for m in members)}
        ais = track.source is Source.AIS
        return {
            "key": track.key,
            "sources": tuple(s for s in _SOURCE_ORDER if s in sources),
            "associated": tuple(m.key for m in members),
            "mmsi": mmsi,
            "name": static.name if static else None,
            "callsign": static.callsign if static else None,
            "ship_type": static.ship_type if static else None,
            "ship_type_text": ship_type_text(static.ship_type) if static else None,
            "length_m": track.length_m,
            "lat": fix.lat,
            "lon": fix.lon,
            "sog_kn": fix.sog_kn,
            "cog_deg": fix.cog_deg,
            "heading_deg": self._heading.get(track.key),
            "last_seen": max(t.last_seen for t in (track, *members)),
            "watchlisted": ais and self._watchlist.match(mmsi, static) is not None,
        }

    # --- the flusher's side ---------------------------------------------------------------

    def flush(self) -> list[PictureUpdate]:
        """Publish what changed since the last flush, one or more messages per tile."""
        with self._lock:
            pending, self._pending = self._pending, {}
            removed, self._removed = self._removed, {}
        if not pending and not removed:
            return []
        now = self._clock()
        tiles: dict[str, tuple[list[PictureTrack], list[str]]] = {}
        for fields in pending.values():
            try:
                target = PictureTrack.model_validate(fields)
            except ValidationError as exc:  # a value the schema refuses: that target waits
                self._refused.warning("picture:invalid", "picture target refused", error=str(exc))
                continue
            tiles.setdefault(picture_tile(target.lat, target.lon), ([], []))[0].append(target)
        for key, tile in removed.items():
            tiles.setdefault(tile, ([], []))[1].append(key)
        updates: list[PictureUpdate] = []
        for tile, (tracks, gone) in sorted(tiles.items()):
            for start in range(0, max(len(tracks), len(gone)), self._batch):
                updates.append(
                    PictureUpdate(
                        tile=tile,
                        time=now,
                        tracks=tuple(tracks[start : start + self._batch]),
                        removed=tuple(gone[start : start + self._batch]),
                    )
                )
        for update in updates:
            self._publish(update)
        return updates

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="picture", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.flush()
            except Exception:
                log.exception("picture flush failed")


_SOURCE_ORDER = [Source.AIS, Source.RADAR, Source.CAMERA, Source.REPORT]
