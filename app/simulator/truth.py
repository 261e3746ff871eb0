"""The truth of the mixed scenario: one label per planted behaviour, for `shorewatch evaluate`.

Written from what the scenario *does* (app/simulator/scenarios.py), not from what the detectors
raised, so an evaluation against it can fail: times are when each behaviour begins (and ends,
where it has an end), targets the track keys the live service gives those vessels.
"""

from __future__ import annotations

from datetime import timedelta

from app.evaluate.records import Label
from app.simulator.model import Scenario
from app.simulator.radar import target_number
from app.simulator.scenarios import (
    AIS_GAP,
    DARK_SPEEDBOAT,
    FALSE_FISHER,
    LOITERER,
    RENDEZVOUS,
    SILVER_SHADOW,
    SPOOFED,
    WATCHLISTED,
)

# (kind, vessel, on radar?, zone, from s, to s or None, note): see the scenarios module's docstring.
_PLANTED: tuple[tuple[str, int, bool, str | None, float, float | None, str], ...] = (
    ("watchlist_sighting", WATCHLISTED, False, None, 8.6, None, "GRAY HERON, listed by name"),
    ("zone_entry", SILVER_SHADOW, False, "lysekil-restricted", 30.0, 60.0, "SILVER SHADOW"),
    ("dark_target", DARK_SPEEDBOAT, True, None, 84.0, 508.0, "speedboat without AIS"),
    ("high_speed", DARK_SPEEDBOAT, True, None, 84.0, 508.0, "speedboat at 40 kn"),
    ("zone_entry", DARK_SPEEDBOAT, True, "southern-shore", 438.0, 508.0, "run to the shore"),
    ("ais_gap", AIS_GAP, False, None, 150.0, 510.0, "NORRSKEN silent 6 min"),
    ("encounter", RENDEZVOUS[0], False, None, 180.0, 600.0, "MARE ALBA meets BRISINGR"),
    ("spoofing", SPOOFED, False, None, 240.0, None, "POLARIS jumps 9 km, renamed"),
    ("loitering", LOITERER, False, "cove-landing", 5.3, None, "VINGA off the landing point"),
    ("type_mismatch", FALSE_FISHER, False, None, 20.0, None, "SJOFAGEL: fishing at 28 kn"),
)


def planted_labels(scenario: Scenario, radar_sensor: str) -> list[Label]:
    """Labels for `mixed_scenario`, its radar named `radar_sensor` (the site's radar input id)."""
    labels = []
    for kind, mmsi, on_radar, zone, from_s, to_s, note in _PLANTED:
        target = (
            f"radar:{radar_sensor}-{target_number(scenario, mmsi)}" if on_radar else f"ais:{mmsi}"
        )
        labels.append(
            Label(
                kind=kind,
                target=target,
                start=scenario.start + timedelta(seconds=from_s),
                end=None if to_s is None else scenario.start + timedelta(seconds=to_s),
                zone=zone,
                note=note,
            )
        )
    return labels
