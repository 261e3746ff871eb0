"""The observation batch on the wire, and the batcher that makes batches.

The batch is written by each item's own class (cheaper than pydantic's union serializer) and
parsed through the discriminated union: the JSON must be exactly the items' own JSON, in
order, and read back to the same items of the same classes.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from shorewatch.batching import Batcher
from shorewatch.events import (
    MESSAGE_ADAPTER,
    Observation,
    ObservationBatch,
    Source,
    TrackEnd,
    VesselStatic,
)

T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def _reports(n: int) -> list[Observation | VesselStatic | TrackEnd]:
    reports: list[Observation | VesselStatic | TrackEnd] = []
    for i in range(n):
        when = T0 + timedelta(seconds=i)
        if i % 7 == 3:
            reports.append(VesselStatic(sensor_id="rx", time=when, mmsi=200_000_000 + i, name="X"))
        elif i % 11 == 5:
            reports.append(
                TrackEnd(source=Source.RADAR, sensor_id="rx", target_ref=str(i), time=when)
            )
        else:
            reports.append(
                Observation(
                    source=Source.AIS,
                    sensor_id="rx",
                    target_ref=str(200_000_000 + i),
                    time=when,
                    lat=57.0 + i / 1000,
                    lon=11.0,
                    sog_kn=None if i % 2 else 12.5,
                    bbox=(1.0, 2.0, 3.0, 4.0) if i % 5 == 0 else None,
                )
            )
    return reports


def test_a_mixed_batch_is_its_items_own_json_and_reads_back_the_same() -> None:
    reports = _reports(60)
    batch = ObservationBatch.model_construct(items=tuple(reports))
    wire = batch.model_dump_json()
    items = ",".join(report.model_dump_json() for report in reports)
    assert wire == f'{{"type":"observation_batch","schema_version":1,"items":[{items}]}}'
    parsed = MESSAGE_ADAPTER.validate_json(wire)
    assert isinstance(parsed, ObservationBatch)
    assert parsed.items == tuple(reports)
    assert [type(item) for item in parsed.items] == [type(report) for report in reports]


class _Sent:
    def __init__(self) -> None:
        self.batches: list[tuple[str, list[object], float]] = []
        self.lock = threading.Lock()

    def __call__(self, topic: str, batch: ObservationBatch) -> None:
        with self.lock:
            self.batches.append((topic, list(batch.items), time.monotonic()))


def test_add_many_sends_full_batches_at_once_and_the_rest_after_its_linger() -> None:
    sent = _Sent()
    batcher = Batcher(sent, max_items=10, linger_s=0.2)
    try:
        reports = _reports(25)
        started = time.monotonic()
        batcher.add_many("obs/a", reports[:3])
        batcher.add_many("obs/a", reports[3:])  # 25 held: two full batches go now
        with sent.lock:
            assert [len(items) for _, items, _ in sent.batches] == [10, 10]
        deadline = time.monotonic() + 2
        while len(sent.batches) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [len(items) for _, items, _ in sent.batches] == [10, 10, 5]
        assert sent.batches[2][2] - started >= 0.15  # the remainder waited its linger
        assert [item for _, items, _ in sent.batches for item in items] == reports
    finally:
        batcher.close()


def test_topics_keep_their_own_order_and_close_sends_everything() -> None:
    sent = _Sent()
    batcher = Batcher(sent, max_items=4, linger_s=30.0)
    reports = _reports(9)
    batcher.add_many("obs/a", reports[:5])
    batcher.add("obs/b", reports[5])
    batcher.add_many("obs/a", reports[6:])
    batcher.add_many("obs/a", [])
    batcher.close()  # long before the linger: close flushes, in batches of at most 4
    per_topic: dict[str, list[object]] = {}
    for topic, items, _ in sent.batches:
        assert len(items) <= 4
        per_topic.setdefault(topic, []).extend(items)
    assert per_topic == {"obs/a": reports[:5] + reports[6:], "obs/b": [reports[5]]}
