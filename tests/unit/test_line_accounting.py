"""Per-line counts are kept as ints and pushed to Prometheus in batches: any read of the
registry (a /metrics scrape, `get_sample_value`) must still see every line, exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from ingest.receiver import AisReceiver, LineAccounting
from shorewatch.events import Observation, VesselStatic
from shorewatch.metrics import Metrics

LINES = "shorewatch_ingest_lines_total"
REJECTED = "shorewatch_ingest_rejected_total"
POSITION = b"!AIVDM,1,1,,A,17P@<J?P00blFWmjG@5a5?v62<10,0*27"
BAD_CHECKSUM = b"!AIVDM,1,1,,A,17P@<J?P00blFWmjG@5a5?v62<10,0*28"


def lines(metrics: Metrics, outcome: str, sensor: str = "rx") -> float | None:
    return metrics.registry.get_sample_value(
        LINES, {"source": "ais", "sensor": sensor, "outcome": outcome}
    )


def scraped(metrics: Metrics) -> dict[tuple[str, str], float]:
    found: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == LINES:
                found[(sample.labels["outcome"], "lines")] = sample.value
            elif sample.name == REJECTED:
                found[(sample.labels["reason"], "rejected")] = sample.value
    return found


def test_counts_below_a_batch_are_exact_on_every_read() -> None:
    metrics = Metrics()
    accounting = LineAccounting("ais", "rx", metrics, max_payload_bytes=100)
    for _ in range(3):
        accounting.accept("position")
    accounting.reject("checksum", 2, "bad")
    assert accounting.SYNC_EVERY > 5  # so nothing was pushed yet: the read must push it
    assert lines(metrics, "position") == 3
    assert scraped(metrics) == {
        ("position", "lines"): 3,
        ("checksum", "lines"): 2,
        ("checksum", "rejected"): 2,
    }
    accounting.accept("position")
    assert scraped(metrics)[("position", "lines")] == 4  # pushed once: not counted twice


def test_a_full_batch_is_pushed_without_a_scrape() -> None:
    metrics = Metrics()
    accounting = LineAccounting("ais", "rx", metrics, max_payload_bytes=100)
    for _ in range(accounting.SYNC_EVERY):
        accounting.accept("static")
    # The counter's own collect(): no scrape hook runs.
    pushed = [
        sample.value
        for family in metrics.ingest_lines.collect()
        for sample in family.samples
        if sample.name == LINES and sample.labels["outcome"] == "static"
    ]
    assert pushed == [accounting.SYNC_EVERY]


def test_receiver_counts_match_its_stats_after_a_scrape() -> None:
    metrics = Metrics()
    published: list[Observation | VesselStatic] = []
    receiver = AisReceiver("rx", published.extend, metrics, lambda: datetime.now(UTC))
    receiver.feed(b"\n".join([POSITION, BAD_CHECKSUM, b"$GPGGA,1*00", POSITION]))
    receiver.feed(b"x" * 9000)  # oversized: refused before decoding
    counts = scraped(metrics)
    assert receiver.stats == {
        "position": 2,
        "checksum": 1,
        "not_ais": 1,
        "oversized_payload": 1,
    }
    assert {k: v for (k, kind), v in counts.items() if kind == "lines"} == receiver.stats
    assert counts[("checksum", "rejected")] == 1
    assert len(published) == 2


def test_a_streams_lines_are_decoded_together_and_each_held_to_the_limit() -> None:
    """TCP hands a read's lines at once: one publish of all their messages, in order, and an
    oversized line refused on its own without costing its neighbours."""
    metrics = Metrics()
    calls: list[list[Observation | VesselStatic]] = []
    receiver = AisReceiver(
        "rx", lambda messages: calls.append(list(messages)), metrics, lambda: datetime.now(UTC)
    )
    second = b"!AIVDM,1,1,,B,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*4D"
    published = receiver.feed_lines([POSITION, b"x" * 9000, BAD_CHECKSUM, second])
    assert published == 2
    assert [[m.target_ref for m in call if isinstance(m, Observation)] for call in calls] == [
        ["503581800", "366730000"]
    ]
    assert receiver.feed_lines([BAD_CHECKSUM]) == 0
    assert len(calls) == 1  # nothing decoded: nothing published
    assert receiver.stats == {"position": 2, "checksum": 2, "oversized_payload": 1}
    counts = scraped(metrics)
    assert {k: v for (k, kind), v in counts.items() if kind == "lines"} == receiver.stats


def test_each_line_of_a_read_keeps_its_own_arrival_time() -> None:
    """Two reports of one vessel in one read, neither with a time of its own, are two
    observations: stamped alike they would collapse into one row in the store."""
    ticks = iter(range(100))
    published: list[Observation | VesselStatic] = []
    receiver = AisReceiver(
        "rx",
        published.extend,
        Metrics(),
        lambda: datetime(2026, 12, 6, tzinfo=UTC) + timedelta(milliseconds=next(ticks)),
    )
    assert receiver.feed_lines([POSITION, POSITION]) == 2
    assert receiver.feed(POSITION + b"\n" + POSITION) == 2
    times = [m.time for m in published]
    assert len(set(times)) == 4, times
