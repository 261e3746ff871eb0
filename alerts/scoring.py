"""Explainable threat scores: every point an alert carries is a named factor."""

from __future__ import annotations

from collections.abc import Mapping

from shorewatch.config import AlertConfig
from shorewatch.events import EventKind, Level, ScoreFactor
from shorewatch.zones import Zone


def score_factors(
    kind: EventKind,
    zone_id: str | None,
    event_count: int,
    config: AlertConfig,
    zones: Mapping[str, Zone],
) -> tuple[ScoreFactor, ...]:
    factors = [
        ScoreFactor(
            name=kind.value,
            points=config.base_points.get(kind, 0.0),
            detail=f"base points for {kind.value}",
        )
    ]
    zone = zones.get(zone_id) if zone_id else None
    if zone is not None and zone.points > 0:
        factors.append(
            ScoreFactor(
                name="restricted_zone" if zone.kind == "restricted" else f"zone_{zone.kind}",
                points=zone.points,
                detail=zone.name,
            )
        )
    if event_count > 1:
        repeat = min(config.repeat_points * (event_count - 1), config.repeat_points_max)
        factors.append(
            ScoreFactor(
                name="repeated", points=repeat, detail=f"{event_count} events in this alert"
            )
        )
    return tuple(factors)


def total(factors: tuple[ScoreFactor, ...]) -> float:
    return max(0.0, min(100.0, sum(f.points for f in factors)))


def grade(factors: tuple[ScoreFactor, ...], config: AlertConfig) -> tuple[float, Level]:
    score = total(factors)
    return score, config.levels.level_for(score)
