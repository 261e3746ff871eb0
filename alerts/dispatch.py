"""Which patrol units to send: the nearest free units of a kind that can reach the target.

Pure functions of the units, the alert's position and the kinds wanted, so the ranking a
dispatcher sees can be tested without a database. Distances are great-circle from where each
unit would set out (its last fix, else its home base). For sea units that is the course over
open water; for land units it is the straight line, a lower bound of the road distance, so
their ETA is optimistic and says so (`straight_line`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from shorewatch.events import EventKind, UnitKind, UnitState
from shorewatch.store.units_repo import Unit

EARTH_RADIUS_M = 6_371_008.8
DISPATCHABLE = frozenset({UnitState.AVAILABLE, UnitState.RETURNING})
"""A returning unit has been released by its alert and is free to take the next one."""
NEAR_SHORE_ZONES = frozenset({"landing", "coastline"})


class Suggestion(BaseModel):
    """A unit that could go, how far it is and how soon it could be there at top speed."""

    model_config = ConfigDict(frozen=True)

    unit_id: str
    name: str
    kind: UnitKind
    unit_type: str
    state: UnitState
    jurisdiction: str | None
    from_lat: float
    from_lon: float
    from_fix: bool = Field(description="True: from its last reported fix; False: home base.")
    distance_m: float = Field(ge=0)
    eta_s: float = Field(ge=0, description="At the unit's top speed: the earliest arrival.")
    straight_line: bool = Field(
        description="Land units: distance as the crow flies, a lower bound of the road."
    )


def great_circle_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance between two (lat, lon) points in metres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def suitable_kinds(alert_kind: EventKind, zone_kind: str | None) -> tuple[UnitKind, ...]:
    """Kinds of unit that can meet this alert's target, best first.

    Detector targets are craft at sea, so sea units always come first. Near a landing point or
    the shore (and for field reports, which may come from land) a land unit can meet the
    landing, so land units follow.
    """
    if alert_kind is EventKind.FIELD_REPORT or zone_kind in NEAR_SHORE_ZONES:
        return (UnitKind.SEA, UnitKind.LAND)
    return (UnitKind.SEA,)


def reach(unit: Unit, target: tuple[float, float]) -> tuple[float, float]:
    """(distance m, ETA s) from where the unit would set out, at its top speed."""
    distance = great_circle_m(unit.origin, target)
    return distance, distance / unit.speed_mps


def suggest(
    units: Iterable[Unit],
    target: tuple[float, float],
    kinds: Sequence[UnitKind],
    limit: int | None = None,
) -> list[Suggestion]:
    """Free units of the wanted kinds, ranked by kind preference, then ETA, then id."""
    ranked: list[tuple[int, float, str, Suggestion]] = []
    for unit in units:
        if unit.state not in DISPATCHABLE or unit.kind not in kinds:
            continue
        distance, eta = reach(unit, target)
        origin = unit.origin
        suggestion = Suggestion(
            unit_id=unit.id,
            name=unit.name,
            kind=unit.kind,
            unit_type=unit.unit_type,
            state=unit.state,
            jurisdiction=unit.jurisdiction,
            from_lat=origin[0],
            from_lon=origin[1],
            from_fix=unit.position is not None,
            distance_m=round(distance, 1),
            eta_s=round(eta, 1),
            straight_line=unit.kind is UnitKind.LAND,
        )
        ranked.append((kinds.index(unit.kind), eta, unit.id, suggestion))
    ranked.sort(key=lambda item: item[:3])
    chosen = [item[3] for item in ranked]
    return chosen if limit is None else chosen[:limit]
