"""Restricted-zone entry: one event when a target enters, closed when it has clearly left."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from detectors.episodes import episode_id
from shorewatch.config import ZoneEntryThresholds
from shorewatch.events import Event, EventKind, Observation
from shorewatch.zones import Zone


@dataclass
class ZoneMembership:
    """The open zone_entry episode per zone id for one target."""

    inside: dict[str, Event] = field(default_factory=dict)


def zone_entry(
    state: ZoneMembership,
    target: str,
    obs: Observation,
    zones: Sequence[Zone],
    thresholds: ZoneEntryThresholds,
    config_version: str,
) -> list[Event]:
    events: list[Event] = []
    for zone in zones:
        if zone.kind not in thresholds.zone_kinds:
            continue
        open_event = state.inside.get(zone.id)
        if open_event is None and zone.contains(obs.lat, obs.lon):
            event = Event(
                id=episode_id(EventKind.ZONE_ENTRY, (target,), obs.time, zone.id),
                kind=EventKind.ZONE_ENTRY,
                start=obs.time,
                lat=obs.lat,
                lon=obs.lon,
                targets=(target,),
                zone=zone.id,
                config_version=config_version,
                facts=_facts(obs, zone),
            )
            state.inside[zone.id] = event
            events.append(event)
        elif open_event is not None and not zone.within_buffer(
            obs.lat, obs.lon, thresholds.exit_buffer_m
        ):
            duration = (obs.time - open_event.start).total_seconds()
            facts = {**open_event.facts, "duration_s": round(duration, 1)}
            events.append(open_event.model_copy(update={"end": obs.time, "facts": facts}))
            del state.inside[zone.id]
    return events


def _facts(obs: Observation, zone: Zone) -> dict[str, float | int | str | bool]:
    facts: dict[str, float | int | str | bool] = {
        "zone_name": zone.name,
        "zone_kind": zone.kind,
        "source": obs.source.value,
        "sensor_id": obs.sensor_id,
    }
    if obs.sog_kn is not None:
        facts["sog_kn"] = obs.sog_kn
    if obs.cog_deg is not None:
        facts["cog_deg"] = obs.cog_deg
    return facts
