"""Which date a radar recording's times of day fall on, when the recording gives none.

Radar TTM/TLL sentences carry a UTC time of day only. A recording with no dated time of its own
(no recorder prefix, tag block, RMC or ZDA) takes its date from `--date`, else from the first
time of the other inputs replayed with it (they were recorded together); the summary says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.replay.inputs import Kind, ReplayInput, read_lines
from app.replay.timed_lines import first_time


@dataclass(frozen=True)
class Dating:
    """The date lent to an input (None: it dates itself, or nothing can) and where it came from."""

    day: date | None = None
    source: str = ""


def date_inputs(inputs: Sequence[ReplayInput], given: date | None) -> list[Dating]:
    """One `Dating` per input, in order; only radar inputs without a dated line get a date."""
    known: dict[int, datetime | None] = {}

    def first(index: int) -> datetime | None:
        if index not in known:
            known[index] = first_time(read_lines(inputs[index].path))
        return known[index]

    out: list[Dating] = []
    for index, spec in enumerate(inputs):
        if spec.kind is not Kind.RADAR or first(index) is not None:
            out.append(Dating())
            continue
        if given is not None:
            out.append(Dating(given, f"--date {given.isoformat()}"))
            continue
        lent = Dating()
        for other, source in enumerate(inputs):
            stamp = first(other) if other != index else None
            if stamp is not None:
                day = stamp.date()
                lent = Dating(day, f"the clock of {source.kind.value} {source.path.name} ({day})")
                break
        out.append(lent)
    return out
