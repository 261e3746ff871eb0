"""Per-sensor clocks and the detector's watermark: what "now" is when sensors disagree.

Each sensor (AIS receiver, radar, camera) has its own clock: the latest event time it sent that
was accepted. An observation is refused, and counted, when it is stamped
- more than `max_ahead_s` ahead of the moment it reached the detector (live only; the receive
  clock is injected). Arrival here is never earlier than ingest's receive time, so this refuses
  nothing a receive-time check would accept, and it needs no receive time in the schema;
- more than `max_lead_s` ahead of both its sensor's clock and the watermark, or more than
  `max_late_s` behind its sensor's clock, unless the sensor's next report agrees with it: then
  the clock really stepped (a feed back after an outage, a receiver's clock corrected) and
  the second report is taken. One wrong stamp is refused; a stepped clock costs one report.
The check sits in the detector because the detector holds the watermark and sees every feed;
ingest knows one feed's receive time only.

The detector's "now" is the low watermark: the oldest clock among the live sensors, and it never
goes back. A sensor silent for `idle_s` on the newest clock is idle and leaves the watermark, so
a dead feed does not stop time and a clock running ahead cannot drag it forward while another
sensor lags. An idle sensor that was hearing targets opens a `sensor_offline` episode, closed
when it speaks again; its outages are kept so that rules can tell a vessel's silence from its
receiver's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shorewatch.config.thresholds import ClockConfig
from shorewatch.episodes import closed, new_event
from shorewatch.events import Event, EventKind, Observation, Source

AHEAD_OF_RECEIVE = "ahead_of_receive"
AHEAD = "ahead"
LATE = "late"
KEPT_OUTAGES = 16
SensorKey = tuple[Source, str]
Hearing = Callable[[Source, str, datetime], bool]
"""Whether a sensor was hearing live targets at (or after) an instant."""


@dataclass(slots=True)
class SensorClock:
    source: Source
    sensor_id: str
    time: datetime
    """The sensor's watermark: its latest accepted event time."""
    lat: float
    lon: float
    """Where it last heard a target: the position of its `sensor_offline` episode."""
    offline: Event | None = None
    idle_judged: datetime | None = None
    """The clock value at which its silence was last judged (judged once per silence)."""
    outages: deque[tuple[datetime, datetime]] = field(
        default_factory=lambda: deque(maxlen=KEPT_OUTAGES)
    )

    def silent_s(self, start: datetime, end: datetime) -> float:
        """Seconds of [start, end] that fall inside this sensor's outages (an open one too)."""
        total = 0.0
        spans = list(self.outages)
        if self.offline is not None:
            spans.append((self.offline.start, end))
        for began, ended in spans:
            overlap = (min(end, ended) - max(start, began)).total_seconds()
            if overlap > 0:
                total += overlap
        return total


class SensorClocks:
    def __init__(
        self, config: ClockConfig, receive_clock: Callable[[], datetime] | None = None
    ) -> None:
        self._receive = receive_clock if config.max_ahead_s is not None else None
        self._ahead = timedelta(seconds=config.max_ahead_s or 0.0)
        self._lead = timedelta(seconds=config.max_lead_s)
        self._late = timedelta(seconds=config.max_late_s)
        self._idle = timedelta(seconds=config.idle_s)
        self._clocks: dict[SensorKey, SensorClock] = {}
        self._pending: dict[SensorKey, datetime] = {}
        self._now: datetime | None = None
        self.high: datetime | None = None
        """The newest sensor clock (the watermark is at or below it)."""
        self.closed: list[Event] = []
        """`sensor_offline` episodes that a sensor's report closed; the worker publishes them."""

    def admit(self, obs: Observation) -> str | None:
        """Move the sensor's clock, or say why the observation is refused."""
        t = obs.time
        if self._receive is not None and t > self._receive() + self._ahead:
            return AHEAD_OF_RECEIVE
        key = (obs.source, obs.sensor_id)
        clock = self._clocks.get(key)
        now = self._now if self._now is not None else self.high
        step: str | None = None
        if clock is None:
            if now is not None and t > now + self._lead:
                step = AHEAD
        else:
            own = clock.time
            if t > (own if now is None or own > now else now) + self._lead:
                step = AHEAD
            elif t < own - self._late:
                step = LATE
        if step is not None:
            pending = self._pending.get(key)
            if pending is None or abs(t - pending) > self._late:
                self._pending[key] = t
                return step
        if self._pending:
            self._pending.pop(key, None)
        if clock is None:
            clock = self._clocks[key] = SensorClock(obs.source, obs.sensor_id, t, obs.lat, obs.lon)
        else:
            if step is not None or t > clock.time:
                clock.time = t
            clock.lat, clock.lon = obs.lat, obs.lon
            if clock.offline is not None:
                self._back(clock, t)
        if self.high is None or t > self.high:
            self.high = t
        elif step is LATE:  # a clock confirmed to have stepped back: recompute from scratch
            self.high = max(c.time for c in self._clocks.values())
            self._now = None
        return None

    def low(self) -> datetime | None:
        """The watermark: the oldest clock among the live sensors; it never goes back."""
        high = self.high
        if high is None:
            return None
        horizon = high - self._idle
        low = min((c.time for c in self._clocks.values() if c.time >= horizon), default=high)
        if self._now is None or low > self._now:
            self._now = low
        return self._now

    def time_of(self, source: Source, sensor_id: str) -> datetime | None:
        clock = self._clocks.get((source, sensor_id))
        return None if clock is None else clock.time

    def silent_s(self, source: Source, sensor_id: str, start: datetime, end: datetime) -> float:
        """How much of [start, end] the sensor spent offline (0 when it was listening)."""
        clock = self._clocks.get((source, sensor_id))
        if clock is None or (clock.offline is None and not clock.outages):
            return 0.0
        return clock.silent_s(start, end)

    def sweep(self, hearing: Hearing, config_version: str) -> list[Event]:
        """Open a `sensor_offline` episode for each sensor that fell idle while hearing targets."""
        if self.high is None:
            return []
        horizon = self.high - self._idle
        events: list[Event] = []
        for (source, sensor_id), clock in sorted(self._clocks.items()):
            if (
                clock.offline is not None
                or clock.time >= horizon
                or clock.idle_judged == clock.time
            ):
                continue
            clock.idle_judged = clock.time
            if not hearing(source, sensor_id, clock.time - self._idle):
                continue
            clock.offline = new_event(
                EventKind.SENSOR_OFFLINE,
                (f"sensor:{sensor_id}",),
                clock.time,
                clock.lat,
                clock.lon,
                {"sensor": sensor_id, "source": source.value, "reason": "silent"},
                config_version,
            )
            events.append(clock.offline)
        return events

    def _back(self, clock: SensorClock, at: datetime) -> None:
        event = clock.offline
        if event is None:
            return
        clock.outages.append((event.start, at))
        clock.offline = None
        self.closed.append(closed(event, at, {"back": "reporting"}))
