"""Episodes: one event when a condition starts, the same event re-published when it ends.

Event identities are derived from what the episode is, never random, so that replaying the
same data gives the same ids, and live and replay agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from shorewatch.events import Event, EventKind, FactValue

_NAMESPACE = uuid.UUID("5b0f3c1e-8a51-4d8e-9a55-2f1c6f3f7d10")
Facts = dict[str, FactValue]


def episode_id(kind: str, targets: tuple[str, ...], start: datetime, scope: str = "") -> uuid.UUID:
    """Derived from what the episode is, never random, so replay and live agree on ids."""
    key = "|".join((kind, ",".join(targets), scope, start.isoformat()))
    return uuid.uuid5(_NAMESPACE, key)


def new_event(
    kind: EventKind,
    targets: tuple[str, ...],
    start: datetime,
    lat: float,
    lon: float,
    facts: Facts,
    config_version: str,
    *,
    zone: str | None = None,
    scope: str = "",
) -> Event:
    return Event(
        id=episode_id(kind.value, targets, start, scope or (zone or "")),
        kind=kind,
        start=start,
        lat=lat,
        lon=lon,
        targets=targets,
        zone=zone,
        facts=facts,
        config_version=config_version,
    )


def closed(event: Event, end: datetime, extra: Mapping[str, FactValue] | None = None) -> Event:
    """The episode's event with its end and duration (and any closing facts) filled in."""
    end = max(end, event.start)
    facts: Facts = {
        **event.facts,
        **(extra or {}),
        "duration_s": round((end - event.start).total_seconds(), 1),
    }
    return event.model_copy(update={"end": end, "facts": facts})


def round_facts(facts: Facts, digits: int = 1) -> Facts:
    return {k: round(v, digits) if isinstance(v, float) else v for k, v in facts.items()}
