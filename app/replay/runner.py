"""The replay loop: recorded lines, merged in time, through the live decoders and detector.

Nothing here reads the wall clock for a decision: each line is decoded as if it had arrived at
its input's clock (see `timed_lines`), the detector advances only with event time, and the end
of the data is judged by the worker's final sweep, so the same inputs give the same events.
The watch list is the site's seed entries, named as the live detector names them; entries
added through the API live in the store and are not part of a replay.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from app.replay.dating import Dating, date_inputs
from app.replay.inputs import ReplayInput, feeder_for, read_lines
from app.replay.output import final_states
from app.replay.progress import Progress
from app.replay.timed_lines import merge, timed_lines
from detectors.rules import RULES
from detectors.watchlist import WatchList
from detectors.watchlist_sync import seed_entries
from detectors.worker import DetectorWorker
from shorewatch.config.site import SiteConfig
from shorewatch.events import Event, Observation, TrackEnd, VesselStatic
from shorewatch.metrics import Metrics
from shorewatch.zones import build_zones

Decoded = Observation | VesselStatic | TrackEnd
OnMessage = Callable[[Decoded], None]


@dataclass
class InputReport:
    """What became of one file's lines: decoder outcomes plus lines that had no usable time."""

    spec: ReplayInput
    outcomes: Counter[str] = field(default_factory=Counter)
    dating: Dating = field(default_factory=Dating)
    """The date lent to its radar times of day, when the file has none of its own."""

    @property
    def lines(self) -> int:
        return sum(self.outcomes.values())


@dataclass
class ReplayReport:
    events: list[Event]
    """Each event's final state, ordered by (start, id)."""
    inputs: list[InputReport]
    messages: int
    seconds: float
    rules: tuple[str, ...]

    @property
    def lines(self) -> int:
        return sum(i.lines for i in self.inputs)


def run_replay(
    site: SiteConfig,
    inputs: Sequence[ReplayInput],
    *,
    on_message: OnMessage | None = None,
    progress: Progress | None = None,
    day: date | None = None,
) -> ReplayReport:
    """Replay `inputs` through a fresh detector; `on_message` sees every decoded message.

    `day`: the date of radar times of day in files that have no date (see `app.replay.dating`).
    """
    latest: dict[uuid.UUID, Event] = {}

    def keep(events: list[Event]) -> None:
        latest.update((event.id, event) for event in events)

    worker = DetectorWorker(
        site,
        build_zones(site),
        keep,
        Metrics(),
        watchlist=WatchList(seed_entries(site.watchlist)),
        rules=RULES,
    )
    reports = [
        InputReport(spec, dating=dating)
        for spec, dating in zip(inputs, date_inputs(inputs, day), strict=True)
    ]
    feeders = [feeder_for(spec) for spec in inputs]
    streams = [
        timed_lines(
            read_lines(spec.path), index, reports[index].outcomes, reports[index].dating.day
        )
        for index, spec in enumerate(inputs)
    ]
    process = worker.process_message
    messages = 0
    started = time.perf_counter()
    for line in merge(streams):
        for message in feeders[line.stream].feed(line.data, line.time):
            messages += 1
            process(message)
            if on_message is not None:
                on_message(message)
        if progress is not None:
            progress.advance()
    for feeder, report in zip(feeders, reports, strict=True):
        feeder.flush()
        report.outcomes.update(feeder.stats)
    worker.finish()
    seconds = time.perf_counter() - started
    rules = tuple(rule.name for rule in RULES)
    return ReplayReport(final_states(latest.values()), reports, messages, seconds, rules)
