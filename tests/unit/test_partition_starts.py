"""A batch's partitions (`partition_starts`: its distinct UTC days first) are the ones each row
gives alone (`partition_start`), whatever the rows' offsets and the partition width."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shorewatch.store.timeseries import partition_start, partition_starts


@pytest.mark.parametrize("partition_days", [1, 2, 7, 30])
def test_a_batch_gets_the_partitions_of_its_rows(partition_days: int) -> None:
    rng = random.Random(partition_days)
    for _ in range(200):
        base = datetime(2010, 6, 11, tzinfo=UTC) + timedelta(days=rng.randrange(6000))
        moments = [
            (base + timedelta(minutes=rng.randrange(-5000, 5000))).astimezone(
                timezone(timedelta(minutes=rng.choice([0, 0, 330, -600, 840, -720])))
            )
            for _ in range(rng.randrange(1, 40))
        ]
        expected = {partition_start(m, partition_days) for m in moments}
        assert partition_starts(moments, partition_days) == expected


def test_days_are_utc_days() -> None:
    early_morning_east = datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=5)))
    assert partition_starts([early_morning_east], 1) == {datetime(2025, 12, 31).date()}
