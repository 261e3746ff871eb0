"""The detection rules, one pure function per file; `RULES` is what the worker runs, in order."""

from __future__ import annotations

from detectors.rules import (
    ais_gap,
    dark_target,
    encounter,
    high_speed,
    loitering,
    spoofing,
    type_mismatch,
    watchlist_sighting,
    zone_entry,
)
from detectors.rules.base import Rule

RULES: tuple[Rule, ...] = (
    zone_entry.RULE,
    zone_entry.APPROACH_RULE,
    dark_target.RULE,
    ais_gap.RULE,
    encounter.RULE,
    loitering.RULE,
    high_speed.RULE,
    spoofing.RULE,
    watchlist_sighting.RULE,
    type_mismatch.RULE,
)
