"""The whole simulated sensor feed as timed lines: AIS and radar merged in time order.

For replay files and scenario tests: `scenario_lines` is deterministic (same scenario, same
lines), each line knows which sensor sent it, and `write_recordings` keeps each sensor's feed
the way a recorder does (receive time, a space, the line), ready for
`shorewatch replay --ais ais.nmea --radar radar.nmea`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from app.simulator.model import Scenario
from app.simulator.radar import radar_sentences_between
from app.simulator.scenario import sentences_between


class Channel(StrEnum):
    """Which sensor a line comes from; an AIS report sorts ahead of a radar scan at one instant,
    as a receiver that has just heard a vessel would have it before the radar picture."""

    AIS = "ais"
    RADAR = "radar"


_ORDER = {Channel.AIS: 0, Channel.RADAR: 1}


@dataclass(frozen=True, slots=True)
class SimLine:
    t_s: float
    """Simulated seconds since the scenario start."""
    time: datetime
    """When the line is sent: the scenario start plus t_s (its event time is in the line)."""
    channel: Channel
    text: str

    def recorded(self) -> str:
        """`<ISO receive time> <line>`: a recorder's line, as `shorewatch replay` reads it."""
        stamp = self.time.astimezone(UTC).isoformat(timespec="milliseconds")
        return f"{stamp.replace('+00:00', 'Z')} {self.text}"


def lines_between(scenario: Scenario, t0_s: float, t1_s: float) -> list[SimLine]:
    """Every line of every sensor due in (t0, t1], in time order."""
    tagged = [(t, Channel.AIS, text) for t, text in sentences_between(scenario, t0_s, t1_s)]
    tagged += [
        (t, Channel.RADAR, text) for t, text in radar_sentences_between(scenario, t0_s, t1_s)
    ]
    tagged.sort(key=lambda item: (item[0], _ORDER[item[1]]))  # stable: keeps each feed's order
    return [
        SimLine(t, scenario.start + timedelta(seconds=t), channel, text)
        for t, channel, text in tagged
    ]


def scenario_lines(scenario: Scenario, duration_s: float) -> list[SimLine]:
    """The first `duration_s` of the scenario, from t=0 inclusive."""
    return lines_between(scenario, math.nextafter(0.0, -math.inf), duration_s)


def write_recordings(scenario: Scenario, duration_s: float, directory: Path) -> dict[Channel, Path]:
    """The first `duration_s` as one recorded file per sensor (`ais.nmea`, `radar.nmea` when the
    scenario has a radar), with receive times in front; returns the files written."""
    lines = scenario_lines(scenario, duration_s)
    paths: dict[Channel, Path] = {}
    for channel in Channel:
        if channel is Channel.RADAR and scenario.radar is None:
            continue
        path = directory / f"{channel.value}.nmea"
        text = "".join(line.recorded() + "\n" for line in lines if line.channel is channel)
        path.write_text(text, encoding="ascii")
        paths[channel] = path
    return paths
