"""Pixel-space zones on one camera's image: entry and loitering facts per (track, zone).

Zones are drawn on the frame (a jetty, a landing beach, a channel mouth), so they need no
calibration. The point tested is the box's bottom-centre, where the boat meets the water. The
state is explicit and immutable and `step` is pure, so a replay of the same boxes in event
time gives the same facts; a stay survives short absences (`exit_grace_s`) so that a box
jittering across the edge does not enter over and over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from shapely.geometry import Point, Polygon
from shapely.prepared import prep

from shorewatch.config.vision import CameraZoneConfig


class FactKind(StrEnum):
    ENTRY = "entry"
    LOITERING = "loitering"
    EXIT = "exit"


@dataclass(frozen=True, slots=True)
class ZoneFact:
    """What happened to one camera track in one zone; the lead's wiring turns it into events."""

    kind: FactKind
    camera: str
    track: str
    zone: str
    time: datetime
    entered_at: datetime

    @property
    def dwell_s(self) -> float:
        return (self.time - self.entered_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Stay:
    entered_at: datetime
    last_inside: datetime
    loiter_reported: bool = False


ZoneState = Mapping[tuple[str, str], Stay]  # (track, zone) -> the stay in progress


class CameraZones:
    """One camera's zones, prepared for fast point tests."""

    def __init__(self, camera: str, zones: Sequence[CameraZoneConfig]) -> None:
        self.camera = camera
        self.zones = tuple(zones)
        self._shapes = {z.id: prep(Polygon(z.polygon)) for z in self.zones}

    def containing(self, x: float, y: float) -> frozenset[str]:
        point = Point(x, y)
        return frozenset(zid for zid, shape in self._shapes.items() if shape.covers(point))

    def step(
        self, state: ZoneState, track: str, point: tuple[float, float], now: datetime
    ) -> tuple[dict[tuple[str, str], Stay], list[ZoneFact]]:
        """One sighting of `track` with its ground point at `now`: the new state and the facts."""
        inside = self.containing(*point)
        new_state = dict(state)
        facts: list[ZoneFact] = []
        for zone in self.zones:
            key = (track, zone.id)
            stay = new_state.get(key)
            if zone.id in inside:
                if stay is None:
                    stay = Stay(entered_at=now, last_inside=now)
                    if zone.entry:
                        facts.append(self._fact(FactKind.ENTRY, key, now, stay))
                else:
                    stay = replace(stay, last_inside=now)
                loitered = (now - stay.entered_at).total_seconds()
                due = zone.loiter_s is not None and loitered >= zone.loiter_s
                if due and not stay.loiter_reported:
                    facts.append(self._fact(FactKind.LOITERING, key, now, stay))
                    stay = replace(stay, loiter_reported=True)
                new_state[key] = stay
            elif stay is not None and _absent_s(stay, now) > zone.exit_grace_s:
                facts.append(self._fact(FactKind.EXIT, key, stay.last_inside, stay))
                del new_state[key]
        return new_state, facts

    def end(
        self, state: ZoneState, track: str
    ) -> tuple[dict[tuple[str, str], Stay], list[ZoneFact]]:
        """The tracker lost `track`: its stays end where it was last seen inside."""
        new_state = dict(state)
        facts = []
        for key, stay in state.items():
            if key[0] == track:
                facts.append(self._fact(FactKind.EXIT, key, stay.last_inside, stay))
                del new_state[key]
        return new_state, facts

    def expire(
        self, state: ZoneState, now: datetime, idle_s: float
    ) -> tuple[dict[tuple[str, str], Stay], list[ZoneFact]]:
        """Stays of tracks unseen for `idle_s` end, for trackers that never report a loss."""
        new_state = dict(state)
        facts = []
        for key, stay in state.items():
            if _absent_s(stay, now) > idle_s:
                facts.append(self._fact(FactKind.EXIT, key, stay.last_inside, stay))
                del new_state[key]
        return new_state, facts

    def _fact(self, kind: FactKind, key: tuple[str, str], at: datetime, stay: Stay) -> ZoneFact:
        return ZoneFact(kind, self.camera, key[0], key[1], at, stay.entered_at)


def _absent_s(stay: Stay, now: datetime) -> float:
    return (now - stay.last_inside).total_seconds()
