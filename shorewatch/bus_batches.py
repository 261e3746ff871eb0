"""What one piece of work produced, as bus messages: one per group, at most `max_items` items
each; a lone item travels as itself.

The group is what names the topic: an alert's level (`alerts/{level}`: what one transaction of
the alerts worker changed) or an event's kind (`events/{kind}`: what handling one bus message
raised in the detector). Order is kept within a group; items of different groups are
independent messages anyway (different topics, no order between them at the broker).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from shorewatch.events import Alert, AlertBatch, Event, EventBatch, EventKind, Frozen, Level

Item = TypeVar("Item", bound=Frozen)
Group = TypeVar("Group")
BatchModel = TypeVar("BatchModel", bound=Frozen)


def messages_per_group(
    items: Iterable[Item],
    group_of: Callable[[Item], Group],
    batch_of: Callable[[tuple[Item, ...]], BatchModel],
    max_items: int,
) -> list[tuple[Group, Item | BatchModel]]:
    """Each message with the group its items share, in first-seen order of the groups;
    several items of a group travel in a batch (`batch_of`)."""
    by_group: dict[Group, list[Item]] = {}
    for item in items:
        by_group.setdefault(group_of(item), []).append(item)
    messages: list[tuple[Group, Item | BatchModel]] = []
    for group, members in by_group.items():
        for start in range(0, len(members), max_items):
            chunk = members[start : start + max_items]
            message = chunk[0] if len(chunk) == 1 else batch_of(tuple(chunk))
            messages.append((group, message))
    return messages


def alert_messages(
    alerts: Iterable[Alert], max_items: int
) -> list[tuple[Level, Alert | AlertBatch]]:
    """The alerts one transaction changed, a message per level (the topic is the level)."""
    return messages_per_group(alerts, lambda alert: alert.level, _alert_batch, max_items)


def event_messages(
    events: Iterable[Event], max_items: int
) -> list[tuple[EventKind, Event | EventBatch]]:
    """The events handling one message raised, a message per kind (the topic is the kind)."""
    return messages_per_group(events, lambda event: event.kind, _event_batch, max_items)


def _alert_batch(alerts: tuple[Alert, ...]) -> AlertBatch:
    """Each alert was validated when it was made: no second validation here."""
    return AlertBatch.model_construct(items=alerts)


def _event_batch(events: tuple[Event, ...]) -> EventBatch:
    """Each event was validated when it was made: no second validation here."""
    return EventBatch.model_construct(items=events)
