"""Matching events to truth labels, and the scores per rule that follow.

The rules (docs/detection.md, "Evaluation"): an event matches a label when
1. it is of the label's kind;
2. the label's target is one of the event's targets (an encounter names both vessels; either
   vessel's label matches it), and, when the label names a zone, the event is in that zone;
3. their times overlap, with `tolerance_s` of slack: the event starts no later than
   `tolerance_s` after the label ends, and ends (or, while open, starts) no earlier than
   `tolerance_s` before the label starts.
Each label and each event is used once; among candidates the nearest in start time wins
(greedy, which is optimal for one-dimensional distances with these few candidates). A label
left over is a **miss**, an event left over a **false alarm**.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.evaluate.records import EventRecord, Label

DEFAULT_TOLERANCE_S = 300.0


@dataclass(frozen=True)
class Hit:
    label: Label
    event: EventRecord

    @property
    def delay_s(self) -> float:
        """How long after the behaviour began the event started (negative: before)."""
        return (self.event.start - self.label.start).total_seconds()


@dataclass
class RuleScore:
    rule: str
    hits: list[Hit] = field(default_factory=list)
    misses: list[Label] = field(default_factory=list)
    false_alarms: list[EventRecord] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        """None when the rule raised nothing: no claim was made to be right or wrong about."""
        raised = len(self.hits) + len(self.false_alarms)
        return len(self.hits) / raised if raised else None

    @property
    def recall(self) -> float | None:
        """None when nothing of this kind is labelled."""
        true = len(self.hits) + len(self.misses)
        return len(self.hits) / true if true else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _candidate(label: Label, event: EventRecord, tolerance_s: float) -> bool:
    if event.kind != label.kind or label.target not in event.targets:
        return False
    if label.zone is not None and event.zone != label.zone:
        return False
    early = (label.start - event.until).total_seconds()
    late = (event.start - label.until).total_seconds()
    return early <= tolerance_s and late <= tolerance_s


def evaluate(
    labels: Sequence[Label],
    events: Sequence[EventRecord],
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    rules: Sequence[str] | None = None,
) -> dict[str, RuleScore]:
    """Scores per rule, for every kind labelled or raised (or only `rules`), sorted by name."""
    kinds = set(rules) if rules else {x.kind for x in labels} | {e.kind for e in events}
    scores = {kind: RuleScore(kind) for kind in sorted(kinds)}
    pairs = [
        (abs((e.start - x.start).total_seconds()), i, j)
        for i, x in enumerate(labels)
        if x.kind in kinds
        for j, e in enumerate(events)
        if _candidate(x, e, tolerance_s)
    ]
    used_labels: set[int] = set()
    used_events: set[int] = set()
    for _, i, j in sorted(pairs):
        if i in used_labels or j in used_events:
            continue
        used_labels.add(i)
        used_events.add(j)
        scores[labels[i].kind].hits.append(Hit(labels[i], events[j]))
    for i, label in enumerate(labels):
        if label.kind in kinds and i not in used_labels:
            scores[label.kind].misses.append(label)
    for j, event in enumerate(events):
        if event.kind in kinds and j not in used_events:
            scores[event.kind].false_alarms.append(event)
    return scores
