"""Explainable threat scores: every point an alert carries is a named factor.

Factors are read from the kinds and facts of every event in the target's open alerts, not
only the alert's own kind: a radar track that is dark, fast and closing on the beach is one
threat seen by three rules, and each of its alerts scores all three. One line per factor (the
strongest evidence for it), so the sum an operator reads is the score. `docs/alerts.md` has the
factor table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC

from alerts.sun import elevation_deg
from shorewatch.config.alerts import AlertConfig
from shorewatch.events import Event, EventKind, FactValue, Level, ScoreFactor
from shorewatch.zones import Zone

LEVEL_ORDER = (Level.BLUE, Level.YELLOW, Level.ORANGE, Level.RED)
_SPEED_FACTS = ("sog_kn", "max_sog_kn")
JUDGED_CONFIDENCE = 0.6  # a weaker vessel-type judgement is not worth points


def score_factors(
    events: Sequence[Event],
    event_count: int,
    config: AlertConfig,
    zones: Mapping[str, Zone],
) -> tuple[ScoreFactor, ...]:
    """`events`: those of every open alert of the target; `event_count`: the alert's own.
    Largest contributions first. The same evidence gives the same factors whatever order it
    came in, so a re-score that learnt nothing new changes nothing."""
    found: dict[str, ScoreFactor] = {}
    ordered = sorted(events, key=_evidence_order)
    for event in ordered:
        _keep(found, _event_factors(event, config, zones))
    _keep(found, _speed(ordered, config))
    if ordered:
        _keep(found, _night(ordered[-1], config))
    if event_count > 1:
        repeat = min(config.repeat_points * (event_count - 1), config.repeat_points_max)
        _keep(found, [ScoreFactor(name="repeated", points=repeat, detail=f"{event_count} events")])
    return tuple(sorted(found.values(), key=lambda f: (-f.points, f.name)))


def _evidence_order(event: Event) -> tuple[object, ...]:
    """Oldest first; events of the same instant by what they say, not by their random ids."""
    facts = sorted((k, str(v)) for k, v in event.facts.items())
    return (event.start, event.kind.value, event.lat, event.lon, facts, str(event.id))


def total(factors: Iterable[ScoreFactor]) -> float:
    return max(0.0, min(100.0, sum(f.points for f in factors)))


def raise_level(level: Level, steps: int) -> Level:
    index = min(LEVEL_ORDER.index(level) + max(steps, 0), len(LEVEL_ORDER) - 1)
    return LEVEL_ORDER[index]


def grade(
    factors: tuple[ScoreFactor, ...], config: AlertConfig, escalations: int = 0
) -> tuple[float, Level]:
    """Score and colour; each escalation lifts the colour one band above what the score gives,
    so a re-score after an escalation does not quietly undo it."""
    score = total(factors)
    return score, raise_level(config.levels.level_for(score), escalations)


def _keep(found: dict[str, ScoreFactor], factors: Iterable[ScoreFactor]) -> None:
    for factor in factors:
        held = found.get(factor.name)
        if held is None or factor.points > held.points:
            found[factor.name] = factor


def _event_factors(
    event: Event, config: AlertConfig, zones: Mapping[str, Zone]
) -> list[ScoreFactor]:
    w, facts, kind = config.weights, event.facts, event.kind
    source = str(facts.get("source", ""))
    out = _kind_factors(event, config)
    if kind is EventKind.DARK_TARGET or (
        kind is EventKind.HIGH_SPEED and facts.get("identified") is False
    ):
        dark_s = _number(facts.get("dark_for_s"))
        detail = f"{source} track, no AIS" + (f" for {dark_s:.0f} s" if dark_s else "")
        out.append(ScoreFactor(name="no_ais", points=w.no_ais, detail=detail))
    approach = kind is EventKind.ZONE_ENTRY and facts.get("approach") is True
    if facts.get("heading_to_shore") is True or approach:
        out.append(
            ScoreFactor(name="heading_to_shore", points=w.heading_to_shore, detail=_shore(facts))
        )
    elif kind is EventKind.ZONE_ENTRY:
        where = str(facts.get("zone_name", event.zone or ""))
        out.append(ScoreFactor(name="zone_entry", points=w.zone_entry, detail=where))
    zone = zones.get(event.zone) if event.zone else None
    if zone is not None and zone.points > 0:
        name = "restricted_zone" if zone.kind == "restricted" else f"zone_{zone.kind}"
        out.append(ScoreFactor(name=name, points=zone.points, detail=zone.name))
    judged = _number(facts.get("judged_confidence"))
    speedboat = facts.get("judged_type") == "speedboat" and (judged or 0.0) >= JUDGED_CONFIDENCE
    if speedboat and kind is not EventKind.TYPE_MISMATCH:  # that one scores the contradiction
        detail = f"judged a speedboat ({judged or 0.0:.0%}) by its movement"
        out.append(ScoreFactor(name="judged_speedboat", points=w.judged_speedboat, detail=detail))
    if kind is EventKind.CAMERA_TARGET or source == "camera":
        seen = ScoreFactor(
            name="camera_confirmation", points=w.camera_confirmation, detail="seen by a camera"
        )
        out.append(seen)
    return out


def _kind_factors(event: Event, config: AlertConfig) -> list[ScoreFactor]:
    """Kinds that are a factor by themselves, whatever their facts say."""
    w = config.weights
    weights = {
        EventKind.ENCOUNTER: ("encounter", w.encounter),
        EventKind.LOITERING: ("loitering", w.loitering),
        EventKind.SPOOFING: ("spoofing", w.spoofing),
        EventKind.AIS_GAP: ("ais_gap", w.ais_gap),
        EventKind.FIELD_REPORT: ("field_report", w.field_report),
        EventKind.SENSOR_OFFLINE: ("sensor_offline", w.sensor_offline),
    }
    if event.kind is EventKind.TYPE_MISMATCH:
        # The rule's own words are the reason a dispatcher needs ("declared 12 m but seen
        # 40 m by radar", or how it moves), not the kind's name.
        evidence = str(event.facts.get("evidence", "")).strip()
        detail = _shorten(evidence, 160) if evidence else "type_mismatch event"
        return [ScoreFactor(name="type_mismatch", points=w.type_mismatch, detail=detail)]
    if event.kind is EventKind.SPOOFING and _identity_fault_only(event.facts):
        why = str(event.facts.get("invalid_mmsi", "identity fault"))
        detail = f"invalid MMSI ({why}): likely misconfigured"
        return [ScoreFactor(name="identity_fault", points=w.identity_fault, detail=detail)]
    if event.kind in weights:
        name, points = weights[event.kind]
        return [ScoreFactor(name=name, points=points, detail=f"{event.kind.value} event")]
    if event.kind is EventKind.WATCHLIST_SIGHTING:
        own = _number(event.facts.get("points"))  # the entry's own weight, set by whoever listed it
        reason = str(event.facts.get("reason", "")) or "on the watch list"
        points = max(0.0, min(own, 100.0)) if own is not None else w.watch_list
        return [ScoreFactor(name="watch_list", points=points, detail=reason)]
    return []


def _identity_fault_only(facts: Mapping[str, FactValue]) -> bool:
    """A spoofing event that says only that the identity is malformed (no movement or identity
    change): `category` from the rule, or for events raised before it, the facts themselves."""
    category = facts.get("category")
    if category is not None:
        return category == "identity_fault"
    deceptive = any(k == "impossible_move_m" or k.endswith("_was") for k in facts)
    return "invalid_mmsi" in facts and not deceptive


def _speed(events: Sequence[Event], config: AlertConfig) -> list[ScoreFactor]:
    speeds = [
        (value, event)
        for event in events
        for key in _SPEED_FACTS
        if (value := _number(event.facts.get(key))) is not None
    ]
    fast = max(speeds, key=lambda pair: pair[0], default=None)  # the first of equals
    if fast is None or fast[0] < config.speed_kn:
        return []
    detail = f"{fast[0]:.1f} kn ({fast[1].kind.value}) >= {config.speed_kn:g} kn"
    return [ScoreFactor(name="speed", points=config.weights.speed, detail=detail)]


def _night(latest: Event, config: AlertConfig) -> list[ScoreFactor]:
    elevation = elevation_deg(latest.start, latest.lat, latest.lon)
    if elevation >= config.night_sun_elevation_deg:
        return []
    detail = f"sun {elevation:.1f}° at {latest.start.astimezone(UTC):%Y-%m-%d %H:%M}Z"
    return [ScoreFactor(name="night", points=config.weights.night, detail=detail)]


def _shore(facts: Mapping[str, FactValue]) -> str:
    distance = _number(facts.get("distance_to_shore_m"))
    zone = str(facts.get("zone_name", "the coast"))
    return f"{distance:.0f} m from {zone}" if distance is not None else f"closing on {zone}"


def _number(value: FactValue | None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None  # booleans, text and NaN are not measurements
    return float(value)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
