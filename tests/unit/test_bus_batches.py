"""What one piece of work produced becomes one bus message per group (alerts by level, events
by kind: the topic), at most `max_items` items each, in order, a lone item as itself
(shorewatch/bus_batches.py); the batches read back through the schema."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest

from shorewatch.bus_batches import alert_messages, event_messages
from shorewatch.events import (
    MESSAGE_ADAPTER,
    Alert,
    AlertBatch,
    Event,
    EventBatch,
    EventKind,
    Frozen,
    Level,
)

AT = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def alert(level: Level, n: int) -> Alert:
    return Alert(
        id=uuid.uuid4(),
        kind=EventKind.ZONE_ENTRY,
        target=f"t-{n}",
        score=50.0,
        level=level,
        lat=58.0,
        lon=11.0,
        event_ids=(uuid.uuid4(),),
        event_count=1,
        created_at=AT,
        updated_at=AT,
    )


def event(kind: EventKind, n: int) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=kind,
        start=AT,
        lat=58.0,
        lon=11.0,
        targets=(f"ais:{265_000_000 + n}",),
        config_version="test-bus-batches",
    )


def _alerts(n: int, second: bool) -> Alert:
    return alert(Level.YELLOW if second else Level.RED, n)


def _events(n: int, second: bool) -> Event:
    return event(EventKind.LOITERING if second else EventKind.DARK_TARGET, n)


def _group_of_alert(item: Frozen) -> object:
    assert isinstance(item, Alert)
    return item.level


def _group_of_event(item: Frozen) -> object:
    assert isinstance(item, Event)
    return item.kind


Make = Callable[[int, bool], Frozen]
Split = Callable[[Sequence[Frozen], int], Sequence[tuple[object, Frozen]]]
CASES = [
    pytest.param(_alerts, alert_messages, AlertBatch, _group_of_alert, id="alerts-by-level"),
    pytest.param(_events, event_messages, EventBatch, _group_of_event, id="events-by-kind"),
]


def _items(message: Frozen, batch: type[Frozen]) -> tuple[Frozen, ...]:
    if isinstance(message, batch):
        items: tuple[Frozen, ...] = message.items  # type: ignore[attr-defined]
        return items
    return (message,)


@pytest.mark.parametrize(("make", "split", "batch", "group_of"), CASES)
def test_one_message_per_group_in_order_and_chunked(
    make: Make, split: Split, batch: type[Frozen], group_of: Callable[[Frozen], object]
) -> None:
    items = [make(n, n % 3 != 0) for n in range(10)]  # first group 4 (0, 3, 6, 9), second 6
    first, second = group_of(items[0]), group_of(items[1])
    messages = split(items, 4)
    shapes = [(group, type(m).__name__, len(_items(m, batch))) for group, m in messages]
    assert shapes == [
        (first, batch.__name__, 4),
        (second, batch.__name__, 4),
        (second, batch.__name__, 2),
    ]
    for group, message in messages:  # each message's items share the group it is sent to
        assert {group_of(item) for item in _items(message, batch)} == {group}
    flat = [item for _group, m in messages for item in _items(m, batch)]
    assert sorted(map(id, flat)) == sorted(map(id, items)), "every item once"
    for group in (first, second):
        sent = [item for item in flat if group_of(item) == group]
        assert sent == [item for item in items if group_of(item) == group], "order kept"


@pytest.mark.parametrize(("make", "split", "batch", "group_of"), CASES)
def test_a_lone_item_travels_as_itself(
    make: Make, split: Split, batch: type[Frozen], group_of: Callable[[Frozen], object]
) -> None:
    single = make(1, True)
    assert split([single], 100) == [(group_of(single), single)]
    assert split([], 100) == []
    three = [make(n, True) for n in range(3)]  # max 2: a batch of two, then the third alone
    (_g1, pair), (_g2, last) = split(three, 2)
    assert isinstance(pair, batch)
    assert last is three[2]
    one_each = [make(0, False), make(1, True)]  # two groups of one: two plain messages
    assert [m for _group, m in split(one_each, 100)] == one_each


@pytest.mark.parametrize(("make", "split", "batch", "group_of"), CASES)
def test_a_batch_round_trips_through_the_schema(
    make: Make, split: Split, batch: type[Frozen], group_of: Callable[[Frozen], object]
) -> None:
    ((_group, message),) = split([make(n, False) for n in range(3)], 100)
    assert isinstance(message, batch)
    wire = message.model_dump_json()
    assert MESSAGE_ADAPTER.validate_json(wire) == message


def test_an_event_batch_on_the_wire() -> None:
    """What an external consumer of `events/{kind}` reads: `event_batch` with the events in
    `items`, each exactly its own JSON; a single `event` stays a valid message."""
    events = [event(EventKind.HIGH_SPEED, n) for n in range(3)]
    ((kind, message),) = event_messages(events, 100)
    assert kind is EventKind.HIGH_SPEED
    items = ",".join(e.model_dump_json() for e in events)
    assert message.model_dump_json() == (
        f'{{"type":"event_batch","schema_version":1,"items":[{items}]}}'
    )
    assert MESSAGE_ADAPTER.validate_json(events[0].model_dump_json()) == events[0]
    with pytest.raises(ValueError, match="at least 1 item"):
        MESSAGE_ADAPTER.validate_json('{"type":"event_batch","schema_version":1,"items":[]}')
