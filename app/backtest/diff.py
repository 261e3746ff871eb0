"""The difference between two runs' events: which episodes one raised and the other did not,
and which both raised but differently.

Two events are the same episode when they have the same kind, targets and zone and their
times overlap (with `tolerance_s` of slack; the nearest start wins). The same episode with a
different start, end or facts is *changed*; one without a partner is *added* (only under the
proposed configuration) or *removed* (only under the current one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from app.evaluate.records import EventRecord

DEFAULT_TOLERANCE_S = 600.0


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class Difference:
    change: Change
    before: EventRecord | None
    after: EventRecord | None
    detail: str = ""

    @property
    def event(self) -> EventRecord:
        found = self.after or self.before
        assert found is not None
        return found

    @property
    def hour(self) -> str:
        return self.event.start.astimezone(UTC).strftime("%Y-%m-%d %H:00")

    @property
    def zone(self) -> str:
        return self.event.zone or "-"


def _same_episode(a: EventRecord, b: EventRecord, tolerance_s: float) -> bool:
    if (a.kind, a.targets, a.zone) != (b.kind, b.targets, b.zone):
        return False
    early = (a.start - b.until).total_seconds()
    late = (b.start - a.until).total_seconds()
    return early <= tolerance_s and late <= tolerance_s


def _seconds(a: datetime | None, b: datetime | None) -> str | None:
    if a == b:
        return None
    if a is None or b is None:
        return "open" if b is None else "closed"
    return f"{(b - a).total_seconds():+.0f} s"


def _what_changed(a: EventRecord, b: EventRecord) -> str:
    parts = []
    if (shift := _seconds(a.start, b.start)) is not None:
        parts.append(f"start {shift}")
    if (shift := _seconds(a.end, b.end)) is not None:
        parts.append(f"end {shift}")
    keys = sorted(k for k in a.facts.keys() | b.facts.keys() if a.facts.get(k) != b.facts.get(k))
    if keys:
        parts.append("facts " + ", ".join(keys))
    return "; ".join(parts)


def compare(
    before: Sequence[EventRecord],
    after: Sequence[EventRecord],
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> tuple[list[Difference], int]:
    """The differences, in time order, and how many episodes are unchanged."""
    pairs = sorted(
        (abs((b.start - a.start).total_seconds()), i, j)
        for i, a in enumerate(before)
        for j, b in enumerate(after)
        if _same_episode(a, b, tolerance_s)
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    out: list[Difference] = []
    unchanged = 0
    for _, i, j in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        detail = _what_changed(before[i], after[j])
        if detail:
            out.append(Difference(Change.CHANGED, before[i], after[j], detail))
        else:
            unchanged += 1
    out += [Difference(Change.REMOVED, a, None) for i, a in enumerate(before) if i not in used_a]
    out += [Difference(Change.ADDED, None, b) for j, b in enumerate(after) if j not in used_b]
    out.sort(key=lambda d: (d.event.start, d.event.kind, d.event.targets, d.change.value))
    return out, unchanged


def tally(differences: Sequence[Difference], by: str) -> dict[str, Counter[Change]]:
    """Changes counted per `by`: "kind", "hour" or "zone"."""
    table: dict[str, Counter[Change]] = {}
    for d in differences:
        key = d.event.kind if by == "kind" else d.hour if by == "hour" else d.zone
        table.setdefault(key, Counter())[d.change] += 1
    return dict(sorted(table.items()))
