"""The detection rules, one pure function per file; `RULES` is what the worker runs, in order."""

from __future__ import annotations

from detectors.rules import zone_entry
from detectors.rules.base import Rule

RULES: tuple[Rule, ...] = (zone_entry.RULE, zone_entry.APPROACH_RULE)
