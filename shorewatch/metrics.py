"""Prometheus metrics, owned by the running app rather than a module-level registry.

One `Metrics` per process (or per test) keeps counters isolated and avoids import-time state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shorewatch.spool import SpoolStats

CameraCounts = Callable[[], Mapping[str, int]]
SpoolReading = Callable[[], SpoolStats]
ScrapeHook = Callable[[], None]


class _ScrapeSync(Collector):
    """Registered first, so every collection (a /metrics scrape, a registry read) runs the hooks
    before any counter is read: hot paths keep plain ints and push them here, exactly."""

    def __init__(self) -> None:
        self.hooks: list[ScrapeHook] = []

    def collect(self) -> Iterator[Metric]:
        for hook in tuple(self.hooks):
            hook()
        yield from ()


class _CameraPipelineCollector(Collector):
    """Reads each camera pipeline's own counters at scrape time (no per-frame metric calls
    on the frame path)."""

    def __init__(self) -> None:
        self.sources: dict[str, CameraCounts] = {}

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "shorewatch_camera_pipeline",
            "Camera pipeline counts: frames, frames_with_regions, detector_runs, detections, "
            "confirmed_tracks, observations, unplaced, events, snapshots, snapshot_errors.",
            labels=["camera", "what"],
        )
        for camera, counts in sorted(self.sources.items()):
            for what, value in counts().items():
                family.add_metric([camera, what], value)
        yield family


class _SpoolCollector(Collector):
    """Reads each disk spool's depth, age and drops at scrape time."""

    def __init__(self) -> None:
        self.sources: dict[str, SpoolReading] = {}

    def collect(self) -> Iterator[Metric]:
        records = GaugeMetricFamily(
            "shorewatch_spool_records", "Records spooled and not yet handed on.", labels=["spool"]
        )
        size = GaugeMetricFamily(
            "shorewatch_spool_bytes", "Bytes spooled and not yet handed on.", labels=["spool"]
        )
        age = GaugeMetricFamily(
            "shorewatch_spool_oldest_age_seconds",
            "Age of the oldest record not yet handed on (0 when empty).",
            labels=["spool"],
        )
        dropped = CounterMetricFamily(
            "shorewatch_spool_dropped",
            "Records dropped because a configured bound (bytes, age) was exceeded.",
            labels=["spool"],
        )
        torn = CounterMetricFamily(
            "shorewatch_spool_torn",
            "Torn or corrupt tails cut off when the spool was reopened (a write cut by a crash).",
            labels=["spool"],
        )
        for name, read in sorted(self.sources.items()):
            stats = read()
            records.add_metric([name], stats.records)
            size.add_metric([name], stats.bytes)
            age.add_metric([name], stats.oldest_age_s)
            dropped.add_metric([name], stats.dropped)
            torn.add_metric([name], stats.torn)
        yield from (records, size, age, dropped, torn)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._sync = _ScrapeSync()
        self.registry.register(self._sync)  # first: the registry collects in this order
        self._cameras = _CameraPipelineCollector()
        self.registry.register(self._cameras)
        self._spools = _SpoolCollector()
        self.registry.register(self._spools)
        self.ingest_lines = Counter(
            "shorewatch_ingest_lines",
            "Input lines by source, sensor and outcome (accepted kinds or rejection reason).",
            ["source", "sensor", "outcome"],
            registry=self.registry,
        )
        self.ingest_rejected = Counter(
            "shorewatch_ingest_rejected",
            "Rejected input by source and reason.",
            ["source", "reason"],
            registry=self.registry,
        )
        self.bus_rejected = Counter(
            "shorewatch_bus_rejected",
            "Bus messages refused by a subscriber (invalid JSON or schema).",
            ["topic_kind", "reason"],
            registry=self.registry,
        )
        self.published = Counter(
            "shorewatch_bus_published",
            "Messages published by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.bus_unpaced = Counter(
            "shorewatch_bus_unpaced",
            "Publishes sent without a flow-control slot because the broker was away or slow.",
            registry=self.registry,
        )
        self.camera_frames = Counter(
            "shorewatch_camera_frames",
            "Frames handed on by each camera reader (at its detect fps).",
            ["camera"],
            registry=self.registry,
        )
        self.ptz_moves = Counter(
            "shorewatch_ptz_moves",
            "PTZ cues by camera and outcome: moved, refused (geometry), failed (timeout, "
            "credentials, an ONVIF fault), superseded (a newer cue came while it waited).",
            ["camera", "outcome"],
            registry=self.registry,
        )
        self.stored = Counter(
            "shorewatch_store_rows", "Rows written by table.", ["table"], registry=self.registry
        )
        self.store_rejected = Counter(
            "shorewatch_store_rejected",
            "Records the database refused (bad values), written around rather than retried.",
            ["reason"],
            registry=self.registry,
        )
        self.store_duplicates = Counter(
            "shorewatch_store_duplicate_rows",
            "Observations not written because the same one (its natural key) was already stored "
            "or came twice in one batch: redeliveries after a fault, replays.",
            registry=self.registry,
        )
        self.store_batch_seconds = Histogram(
            "shorewatch_store_batch_seconds", "Time to write one batch.", registry=self.registry
        )
        self.events = Counter(
            "shorewatch_events", "Detector events by kind.", ["kind"], registry=self.registry
        )
        self.alerts = Counter(
            "shorewatch_alerts", "Alert changes by action.", ["action"], registry=self.registry
        )
        self.detector_refused = Counter(
            "shorewatch_detector_refused",
            "Observations the detector refused by sensor and reason (ahead_of_receive, ahead, "
            "late): a sensor clock off by more than the configured bounds.",
            ["source", "sensor", "reason"],
            registry=self.registry,
        )
        self.tracked_targets = Gauge(
            "shorewatch_tracked_targets", "Targets held in detector state.", registry=self.registry
        )
        self.ws_clients = Gauge(
            "shorewatch_ws_clients", "Connected live-feed clients.", registry=self.registry
        )
        self.unit_notifications = Counter(
            "shorewatch_unit_notifications",
            "Assignment notices to patrol units by channel (mqtt, webhook) and outcome.",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.alert_webhooks = Counter(
            "shorewatch_alert_webhooks",
            "Alert-change POSTs to configured webhooks by outcome (delivered, retried, failed,"
            " dropped: the send queue was full).",
            ["outcome"],
            registry=self.registry,
        )
        self.store_retries = Counter(
            "shorewatch_store_retries",
            "Database work retried after a transient error (connection lost, pool timeout, "
            "serialization failure), by stage and error class.",
            ["stage", "error"],
            registry=self.registry,
        )
        self.bus_unacked = Gauge(
            "shorewatch_bus_unacked",
            "Messages received and not yet acknowledged (their work is not durable yet).",
            ["component"],
            registry=self.registry,
        )

    def sync_before_scrape(self, hook: ScrapeHook) -> None:
        """`hook` pushes counts kept outside Prometheus into their counters; it runs at the
        start of every collection, so a scrape never sees them late."""
        self._sync.hooks.append(hook)

    def watch_camera_pipeline(self, camera: str, counts: CameraCounts) -> None:
        self._cameras.sources[camera] = counts

    def watch_spool(self, name: str, stats: SpoolReading) -> None:
        self._spools.sources[name] = stats

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
