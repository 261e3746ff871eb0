"""The alerts one transaction changed, as bus messages: one per level (the topic is the level),
at most `max_items` alerts each; a lone alert travels as itself.

Order is kept within a level; alerts of different levels are independent messages anyway
(different topics, no order between them at the broker).
"""

from __future__ import annotations

from collections.abc import Iterable

from shorewatch.events import Alert, AlertBatch, Level


def alert_messages(alerts: Iterable[Alert], max_items: int) -> list[Alert | AlertBatch]:
    by_level: dict[Level, list[Alert]] = {}
    for alert in alerts:
        by_level.setdefault(alert.level, []).append(alert)
    messages: list[Alert | AlertBatch] = []
    for group in by_level.values():
        for start in range(0, len(group), max_items):
            chunk = group[start : start + max_items]
            # Each alert was validated when it was made: no second validation here.
            messages.append(
                chunk[0] if len(chunk) == 1 else AlertBatch.model_construct(items=tuple(chunk))
            )
    return messages
