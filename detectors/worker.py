"""The detector worker: observations in from the bus, events out to the bus.

Everything runs in event time taken from the observations, so a replay of recorded data makes
exactly the events that the live run made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from detectors.rules.zone_entry import ZoneMembership, zone_entry
from detectors.state import TargetStates
from shorewatch.config import SiteConfig
from shorewatch.events import Event, Message, Observation
from shorewatch.metrics import Metrics
from shorewatch.zones import Zone


@dataclass
class TargetState:
    zones: ZoneMembership = field(default_factory=ZoneMembership)


def target_key(obs: Observation) -> str:
    """Alerts and events name targets as `source:reference`, e.g. `ais:265123456`."""
    return f"{obs.source.value}:{obs.target_ref}"


class DetectorWorker:
    def __init__(
        self,
        site: SiteConfig,
        zones: Sequence[Zone],
        publish: Callable[[Event], None],
        metrics: Metrics,
    ) -> None:
        self._site = site
        self._zones = tuple(zones)
        self._publish = publish
        self._metrics = metrics
        self._states: TargetStates[TargetState] = TargetStates(
            TargetState,
            ttl=timedelta(seconds=site.detectors.state_ttl_s),
            max_targets=site.detectors.max_targets,
        )

    def on_message(self, message: Message) -> None:
        if isinstance(message, Observation):
            self.process(message)

    def process(self, obs: Observation) -> list[Event]:
        key = target_key(obs)
        state = self._states.touch(key, obs.time)
        events = zone_entry(
            state.zones,
            key,
            obs,
            self._zones,
            self._site.thresholds.zone_entry,
            self._site.version,
        )
        for event in events:
            self._metrics.events.labels(kind=event.kind.value).inc()
            self._publish(event)
        self._metrics.tracked_targets.set(len(self._states))
        return events
