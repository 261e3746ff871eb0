"""The detector worker: observations in, events out, all in event time.

Time advances only with the data: each sensor's clock moves with its reports, and the worker's
"now" is the watermark of the live sensors (`watermark.py`), so one wrong clock cannot move it.
Checks that a silence can trigger run on a sweep every `fusion.sweep_s` of watermark time, each
track judged on its own sensor's clock (a silent receiver does not make its vessels look dark),
so a replay of recorded data makes exactly the events that the live run made, as fast as the
CPU allows. The only wall-clock read is the optional receive clock that refuses stamps far
ahead of their arrival.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from detectors.fusion import Fusion
from detectors.rules import RULES
from detectors.rules.base import Rule, RuleContext, RuleFn
from detectors.track import Track
from detectors.watchlist import WatchList
from detectors.watermark import SensorClocks
from shorewatch.config.site import SiteConfig
from shorewatch.config.thresholds import Thresholds
from shorewatch.coverage import CoverageModel
from shorewatch.episodes import closed
from shorewatch.events import (
    Event,
    Message,
    Observation,
    ObservationBatch,
    Source,
    TrackEnd,
    VesselStatic,
)
from shorewatch.logs import RateLimitedLog
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


class TrackListener(Protocol):
    """Told of every track change on the worker's thread (the live picture listens)."""

    def observed(self, obs: Observation, track: Track) -> None: ...

    def changed(self, track: Track) -> None: ...

    def gone(self, track: Track) -> None: ...


EventSink = Callable[[list[Event]], None]
"""Takes the events that handling one message raised, together, in the order they were
raised (the service publishes them as one message per kind)."""


class DetectorWorker:
    def __init__(
        self,
        site: SiteConfig,
        zones: Sequence[Zone],
        publish: EventSink,
        metrics: Metrics,
        *,
        watchlist: WatchList | None = None,
        rules: Sequence[Rule] = RULES,
        receive_clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`publish` is called once per handled message that raised events, with all of them
        (a whole `ObservationBatch` is one message). `receive_clock` (live only): the wall
        clock, to refuse stamps far ahead of arrival."""
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
        self.coverage = CoverageModel(site.coverage)
        """Receivers' coverage; learns from every AIS report it admits (not while rebuilding:
        the store already counted those)."""
        self._learning = True
        self._sweep = timedelta(seconds=site.detectors.fusion.sweep_s)
        self._next_sweep: datetime | None = None
        self._sweep_floor: datetime | None = None
        self.clocks = SensorClocks(site.detectors.fusion.clocks, receive_clock)
        self._log = RateLimitedLog("detectors.worker")
        self.listener: TrackListener | None = None

    def on_message(self, message: Message) -> None:
        """A bus message, a sensor's whole `ObservationBatch` included (subscribe with
        `batches=True`): what it raised is published together, before the handler returns,
        so the bus acknowledges the message only after those publishes are acknowledged."""
        self.process_message(message)

    def rebuild(self, messages: Iterable[Message]) -> list[Event]:
        """Process `messages` with publishing held (a warm start); returns each episode's
        final state, for the caller to compare with what was published before."""
        held: dict[uuid.UUID, Event] = {}
        publish = self._publish

        def hold(events: list[Event]) -> None:
            held.update((event.id, event) for event in events)

        self._publish = hold
        self._learning = False
        try:
            for message in messages:
                self.process_message(message)
        finally:
            self._publish = publish
            self._learning = True
        return list(held.values())

    def process_message(self, message: Message) -> list[Event]:
        """One message, or a batch's reports in order; what they raised is published in one
        call, and returned. A report that fails (a bug) does not take with it what the reports
        before it raised: their episodes are open in the tracks, and published."""
        items = message.items if isinstance(message, ObservationBatch) else (message,)
        events: list[Event] = []
        try:
            for item in items:
                events += self._events_of(item)
        finally:
            self._emit(events)
            self._metrics.tracked_targets.set(len(self.fusion))
        return events

    def _events_of(self, message: Message) -> list[Event]:
        events: list[Event] = []
        if isinstance(message, Observation):
            refused = self.clocks.admit(message)
            if refused is not None:
                self._refuse(message, refused)
                return []
            if self.clocks.closed:
                events += self.clocks.closed
                self.clocks.closed = []
            if message.source is Source.AIS and self._learning:
                self.coverage.hear(message.sensor_id, message.lat, message.lon, message.time)
            track = self.fusion.observe(message)
            if self.fusion.dropped:
                events += self._close_dropped()
            if self.listener is not None:
                self.listener.observed(message, track)
            events += self._run(track, message.time, [r.on_report for r in self._rules])
            events += self._maybe_sweep()
        elif isinstance(message, VesselStatic):
            vessel = self.fusion.vessel(message)
            if vessel is not None and vessel.fixes:
                if self.listener is not None:
                    self.listener.changed(vessel)
                events += self._run(vessel, message.time, [r.on_identity for r in self._rules])
        elif isinstance(message, TrackEnd):
            ended = self.fusion.end(message)
            if ended is not None and self.listener is not None:
                self.listener.gone(ended)
            if ended is not None and ended.fixes:
                events += self._run(ended, message.time, [r.on_tick for r in self._rules])
        return events

    def _emit(self, events: list[Event]) -> None:
        if not events:
            return
        for event in events:
            self._metrics.events.labels(kind=event.kind.value).inc()
        self._publish(events)

    def finish(self) -> list[Event]:
        """End of a replay: one last sweep at the watermark, so gaps that the end of the data
        leaves open are judged the same way a live run would at that instant."""
        now = self.clocks.low()
        if now is None:
            return []
        events = self._sweep_all(now)
        self._emit(events)
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
            sensor_silence=self.clocks.silent_s,
            coverage=self.coverage,
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

    def _refuse(self, obs: Observation, reason: str) -> None:
        self._metrics.detector_refused.labels(
            source=obs.source.value, sensor=obs.sensor_id, reason=reason
        ).inc()
        self._log.warning(
            f"refused:{obs.source.value}:{obs.sensor_id}:{reason}",
            "observation refused: its sensor's clock is off",
            source=obs.source.value,
            sensor=obs.sensor_id,
            target=obs.target_ref,
            time=obs.time.isoformat(),
            reason=reason,
        )

    def _close_dropped(self) -> list[Event]:
        """Close what tracks removed on insert held open (evicted, or a number's old boat)."""
        events: list[Event] = []
        for gone, reason in self.fusion.dropped:
            events += [closed(e, gone.last_seen, {"closed_by": reason}) for e in _open(gone)]
            if self.listener is not None:
                self.listener.gone(gone)
        self.fusion.dropped = []
        return events

    def _maybe_sweep(self) -> list[Event]:
        high = self.clocks.high
        if high is None:
            return []
        if self._next_sweep is None or self._sweep_floor is None or high < self._sweep_floor:
            # First report, or a clock confirmed to have stepped back: schedule from here.
            self._sweep_floor, self._next_sweep = high, high + self._sweep
            return []
        if high < self._next_sweep:
            return []
        now = self.clocks.low()
        if now is None or now < self._next_sweep:
            return []
        self._sweep_floor, self._next_sweep = now, now + self._sweep
        return self._sweep_all(now)

    def _sweep_all(self, now: datetime) -> list[Event]:
        events: list[Event] = []
        ticks = [r.on_tick for r in self._rules if r.on_tick is not None]
        time_of = self.clocks.time_of
        for track in self.fusion:
            # Judged on its own sensor's clock: a silent receiver's vessels are not silent.
            heard = time_of(track.source, track.last.sensor_id)
            events += self._run(track, now if heard is None or heard > now else heard, ticks)
        events += self.clocks.sweep(self._hearing, self._site.version)
        for gone in self.fusion.expire(now):
            if self.listener is not None:
                self.listener.gone(gone)
            events += [closed(e, gone.last_seen, {"closed_by": "expired"}) for e in _open(gone)]
        return events

    def _hearing(self, source: Source, sensor_id: str, since: datetime) -> bool:
        """Whether a sensor's last reports were of live targets (so its silence is news)."""
        return any(
            t.source is source
            and not t.ended
            and t.last_seen >= since
            and t.last.sensor_id == sensor_id
            for t in self.fusion
        )


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
