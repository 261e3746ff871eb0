"""The detector worker: observations in, events out, all in event time.

Time advances only with the data (each message's sensor time), and checks that a silence can
trigger run on a sweep every `fusion.sweep_s` of event time, so a replay of recorded data makes
exactly the events that the live run made, as fast as the CPU allows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from detectors.fusion import Fusion
from detectors.rules import RULES
from detectors.rules.base import Rule, RuleContext, RuleFn
from detectors.track import Track
from detectors.watchlist import WatchList
from shorewatch.config.site import SiteConfig
from shorewatch.config.thresholds import Thresholds
from shorewatch.episodes import closed
from shorewatch.events import Event, Message, Observation, TrackEnd, VesselStatic
from shorewatch.metrics import Metrics
from shorewatch.zones import Zone


class ThresholdMap:
    """Thresholds in force at a position: the first overriding zone that contains it, else
    the site-wide ones."""

    def __init__(self, site: SiteConfig, zones: Sequence[Zone]) -> None:
        self.default = site.thresholds
        per_zone = site.zone_thresholds()
        self._zones = [(z, per_zone[z.id]) for z in zones if z.id in per_zone]

    def at(self, lat: float, lon: float) -> Thresholds:
        for zone, thresholds in self._zones:
            if zone.contains(lat, lon):
                return thresholds
        return self.default


class DetectorWorker:
    def __init__(
        self,
        site: SiteConfig,
        zones: Sequence[Zone],
        publish: Callable[[Event], None],
        metrics: Metrics,
        *,
        watchlist: WatchList | None = None,
        rules: Sequence[Rule] = RULES,
    ) -> None:
        self._site = site
        self._zones = tuple(zones)
        self._publish = publish
        self._metrics = metrics
        self._rules = tuple(rules)
        self.watchlist = watchlist if watchlist is not None else WatchList()
        self.fusion = Fusion(
            site.detectors.fusion,
            ttl=timedelta(seconds=site.detectors.state_ttl_s),
            max_tracks=site.detectors.max_targets,
        )
        self._thresholds = ThresholdMap(site, self._zones)
        self._coverage = [z for z in self._zones if z.kind == "coverage"]
        self._sweep = timedelta(seconds=site.detectors.fusion.sweep_s)
        self._next_sweep: datetime | None = None

    def on_message(self, message: Message) -> None:
        self.process_message(message)

    def process_message(self, message: Message) -> list[Event]:
        events: list[Event] = []
        if isinstance(message, Observation):
            track = self.fusion.observe(message)
            events += self._run(track, message.time, [r.on_report for r in self._rules])
            events += self._maybe_sweep(message.time)
        elif isinstance(message, VesselStatic):
            vessel = self.fusion.vessel(message)
            if vessel is not None and vessel.fixes:
                events += self._run(vessel, message.time, [r.on_identity for r in self._rules])
        elif isinstance(message, TrackEnd):
            ended = self.fusion.end(message)
            if ended is not None and ended.fixes:
                events += self._run(ended, message.time, [r.on_tick for r in self._rules])
        for event in events:
            self._metrics.events.labels(kind=event.kind.value).inc()
            self._publish(event)
        self._metrics.tracked_targets.set(len(self.fusion))
        return events

    def finish(self) -> list[Event]:
        """End of a replay: one last sweep at the latest event time, so gaps that the end of
        the data leaves open are judged the same way a live run would at that instant."""
        if self.fusion.latest is None:
            return []
        events = self._sweep_all(self.fusion.latest)
        for event in events:
            self._metrics.events.labels(kind=event.kind.value).inc()
            self._publish(event)
        return events

    def context_for(self, track: Track) -> RuleContext:
        last = track.last
        return RuleContext(
            config_version=self._site.version,
            zones=self._zones,
            thresholds=self._thresholds.at(last.lat, last.lon),
            neighbours=self.fusion.neighbours,
            lookup=self.fusion.get,
            covered=self._covered,
            watchlist=self.watchlist,
        )

    def _covered(self, lat: float, lon: float) -> bool:
        return not self._coverage or any(z.contains(lat, lon) for z in self._coverage)

    def _run(self, track: Track, now: datetime, fns: Sequence[RuleFn | None]) -> list[Event]:
        ctx = self.context_for(track)
        events: list[Event] = []
        for fn in fns:
            if fn is not None:
                events += fn(track, now, ctx)
        return events

    def _maybe_sweep(self, now: datetime) -> list[Event]:
        latest = self.fusion.latest or now
        if self._next_sweep is None:
            self._next_sweep = latest + self._sweep
            return []
        if latest < self._next_sweep:
            return []
        self._next_sweep = latest + self._sweep
        return self._sweep_all(latest)

    def _sweep_all(self, now: datetime) -> list[Event]:
        events: list[Event] = []
        ticks = [r.on_tick for r in self._rules if r.on_tick is not None]
        for track in self.fusion:
            events += self._run(track, now, ticks)
        for gone in self.fusion.expire(now):
            events += [closed(e, gone.last_seen, {"closed_by": "expired"}) for e in _open(gone)]
        return events


def _open(track: Track) -> list[Event]:
    episodes = sorted(track.episodes.items())
    track.episodes.clear()
    return [event for _, event in episodes]


def reconfigure(worker: DetectorWorker, site: SiteConfig, zones: Sequence[Zone]) -> None:
    """Hot reload hook (app/reload.py): thresholds, zones and the config version in force from
    the next message on. Tracks, open episodes and fusion settings are kept (those need a
    restart). Each attribute is swapped whole, so a message sees the old or the new value of
    each; the reloader validates the new site before calling this."""
    thresholds = ThresholdMap(site, zones)
    coverage = [z for z in zones if z.kind == "coverage"]
    worker._zones = tuple(zones)
    worker._thresholds = thresholds
    worker._coverage = coverage
    worker._site = site
