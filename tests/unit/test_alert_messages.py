"""The alerts one transaction changed become one bus message per level, at most
`alert_batch_max` alerts each, a lone alert as itself (shorewatch/alert_batches.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from shorewatch.alert_batches import alert_messages
from shorewatch.events import MESSAGE_ADAPTER, Alert, AlertBatch, EventKind, Level

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


def test_one_message_per_level_in_order_and_chunked() -> None:
    alerts = [alert(Level.YELLOW if n % 3 else Level.RED, n) for n in range(10)]
    messages = alert_messages(alerts, 4)
    yellow = [a for a in alerts if a.level is Level.YELLOW]
    red = [a for a in alerts if a.level is Level.RED]
    sizes = [(m.items[0].level, len(m.items)) for m in messages if isinstance(m, AlertBatch)]
    assert sizes == [(Level.RED, 4), (Level.YELLOW, 4), (Level.YELLOW, 2)]
    assert len(messages) == 3
    flat = [a for m in messages for a in (m.items if isinstance(m, AlertBatch) else (m,))]
    assert sorted(flat, key=lambda a: a.target) == sorted(alerts, key=lambda a: a.target)
    by_level = {lv: [a for a in flat if a.level is lv] for lv in (Level.RED, Level.YELLOW)}
    assert by_level[Level.RED] == red  # order kept
    assert by_level[Level.YELLOW] == yellow
    for message in messages:
        items = message.items if isinstance(message, AlertBatch) else (message,)
        assert len(items) <= 4
        assert len({a.level for a in items}) == 1


def test_a_lone_alert_travels_as_itself() -> None:
    single = alert(Level.ORANGE, 1)
    assert alert_messages([single], 100) == [single]
    assert alert_messages([], 100) == []


def test_a_batch_round_trips_through_the_schema() -> None:
    batch = alert_messages([alert(Level.RED, n) for n in range(3)], 100)[0]
    assert isinstance(batch, AlertBatch)
    assert MESSAGE_ADAPTER.validate_json(batch.model_dump_json()) == batch
