"""Composition root: builds the roles a process runs and wires them through bus and store.

Roles: ingest (sensors -> bus), recorder (bus -> store), detector (observations -> events),
alerts (events -> alerts) and api. `shorewatch run` runs all of them in one process or one per
process with `--role`; they meet only on the bus and in the database.
"""

from __future__ import annotations

import re
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal

import structlog
import uvicorn
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from alerts.actions import AlertActions
from alerts.alert_webhooks import AlertWebhooks
from alerts.cueing import CueDesk
from alerts.escalation import Escalator
from alerts.service import AlertService
from alerts.silences import SilenceSweeper
from alerts.tak_out import TakOut
from alerts.units import UnitDesk
from api.app import create_app
from api.context import ApiContext
from api.field_reports import ReportIntake
from api.health import HealthCheck, HealthCollector
from api.live import LiveFeed
from api.picture import Picture
from detectors.camera_pipeline import CameraPipeline
from detectors.coverage_sync import CoverageSync
from detectors.evidence import SnapshotWriter
from detectors.picture import PictureFeed
from detectors.ptz_view import PtzView
from detectors.vision import load_detector
from detectors.warm_start import warm_start
from detectors.watchlist_sync import WatchlistSync, seed_entries
from detectors.worker import DetectorWorker
from ingest.camera_health import CameraHealth
from ingest.camera_receiver import EdgeCameraReceiver
from ingest.nmea_radar import RadarSite
from ingest.ptz_onvif import PtzDriver
from ingest.radar_receiver import RadarJsonReceiver, RadarReceiver
from ingest.receiver import AisReceiver
from ingest.rtsp import CameraReader, Frame
from ingest.sockets import TcpFeedClient, UdpListener
from ingest.tak_in import TakReceiver
from shorewatch.batching import Batcher
from shorewatch.bus import BrokerAddress, Bus, RawHandler
from shorewatch.bus_batches import alert_messages, event_messages
from shorewatch.config.site import (
    MqttAisInput,
    RadarInput,
    SiteCamera,
    SiteConfig,
    TcpAisInput,
    UdpAisInput,
)
from shorewatch.events import (
    OPEN_STATES,
    Alert,
    Event,
    Message,
    Observation,
    ObservationBatch,
    PictureUpdate,
    PtzCue,
    PtzReport,
    Source,
    TrackEnd,
    UnitPosition,
    VesselStatic,
)
from shorewatch.geocal import GeoCalibration
from shorewatch.heartbeat import ComponentBoard, Heartbeat
from shorewatch.jurisdictions import build_jurisdictions
from shorewatch.metrics import Metrics
from shorewatch.outbox import Outbox
from shorewatch.spool import Spool, spool_problems
from shorewatch.store import timeseries
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.db import open_pool
from shorewatch.store.events_repo import EventsRepo
from shorewatch.store.maintenance import RetentionJob
from shorewatch.store.migrations import migrate, series_mode_of
from shorewatch.store.photos import PhotoStore
from shorewatch.store.units_repo import UnitsRepo
from shorewatch.store.writer import ObservationWriter
from shorewatch.topics import Topics
from shorewatch.zones import build_zones

log = structlog.get_logger(__name__)
ROLES = ("ingest", "recorder", "detector", "alerts", "api")
PoolRole = Literal["recorder", "alerts", "api"]
"""The roles that use the store through a pool (the detector's watch-list listener keeps its
own connection; ingest has none)."""
Stoppable = Callable[[], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Service:
    def __init__(
        self,
        site: SiteConfig,
        *,
        dsn: str,
        mqtt_url: str,
        roles: Iterable[str] = ROLES,
        api_token: str | None = None,
        api_host: str = "127.0.0.1",
        api_port: int = 8080,
        topic_root: str = "shorewatch",
        clock: Callable[[], datetime] = utc_now,
        data_dir: Path | None = None,
        client_id: str | None = None,
        console_dir: Path | None = None,
        live_recheck_s: float = 5.0,
    ) -> None:
        self.roles = frozenset(roles)
        unknown = self.roles - set(ROLES)
        if unknown:
            raise ValueError(f"unknown role(s) {sorted(unknown)}; choose from {ROLES}")
        if "api" in self.roles and not api_token:
            raise ValueError("the api role needs an API token (SHOREWATCH_API_TOKEN)")
        self.site = site
        self.metrics = Metrics()
        self.topics = Topics(topic_root)
        self.zones = build_zones(site)
        self.jurisdictions = build_jurisdictions(site)
        self._dsn = dsn
        self._mqtt_url = mqtt_url
        self._api = (api_host, api_port, api_token or "")
        self._clock = clock
        self._data_dir = data_dir
        self.client_id = client_id or default_client_id(topic_root)
        self._batcher: Batcher | None = None
        self._outbox: Outbox | None = None
        self._consumers: list[Bus] = []
        self._console_dir = console_dir
        self._live_recheck_s = live_recheck_s
        self._stops: list[Stoppable] = []
        self.receivers: dict[str, AisReceiver] = {}
        self.radar_receivers: dict[str, RadarReceiver | RadarJsonReceiver] = {}
        self.camera_receivers: dict[str, EdgeCameraReceiver] = {}
        self.camera_readers: dict[str, CameraReader] = {}
        self.camera_pipelines: dict[str, CameraPipeline] = {}
        self.udp_ports: dict[str, int] = {}
        self.writer: ObservationWriter | None = None
        self.pools: dict[PoolRole, ConnectionPool] = {}
        """One per role that uses the store (`role_pool`); `pool` serves the rest."""
        self.detector: DetectorWorker | None = None
        self.retention: RetentionJob | None = None
        """Plain-PostgreSQL retention, in the recorder (TimescaleDB runs its own policies)."""
        self.watchlist_sync: WatchlistSync | None = None
        self.api_server: uvicorn.Server | None = None
        self.ptz_driver: PtzDriver | None = None
        self.cue_desk: CueDesk | None = None
        self.tak_out: TakOut | None = None
        self.tak_receivers: dict[str, TakReceiver] = {}

    pool: ConnectionPool
    series_mode: str = "none"

    def start(self) -> None:
        # Ingest alone writes nothing to the database: it starts (and accepts) while the
        # database is away, so a restart of it during a database outage loses nothing.
        if self.roles != {"ingest"}:
            self.pool = self._open_pool("service")
            self._stops.append(self.pool.close)
            migrate(self.pool, self.site.store)
            with self.pool.connection() as conn:
                self.series_mode = series_mode_of(conn)
        self.bus = Bus(
            self._mqtt_url, "shorewatch-" + "-".join(sorted(self.roles)), self.topics, self.metrics
        )
        # Ingest alone with its spool starts while the broker is away: it spools meanwhile.
        self.bus.connect(wait=self.roles != {"ingest"} or not self.site.spool.enabled)
        self._stops.append(self.bus.close)
        heartbeat = Heartbeat(
            self.bus,
            self.topics.status(self.bus.component),
            self.bus.component,
            self.roles,
            utc_now,  # liveness is wall-clock time, whatever clock the roles run on
            self.site.health.heartbeat_interval_s,
        )
        self.heartbeat = heartbeat
        if "ingest" in self.roles and self.site.spool.enabled:
            self._outbox = self._open_outbox()
        bus = self.site.bus
        if bus.batch_max > 1:
            self._batcher = Batcher(
                self._publish_batch, max_items=bus.batch_max, linger_s=bus.batch_linger_ms / 1000
            )
            self._stops.append(self._batcher.close)  # stops run in reverse: before the bus
        for role in ROLES:
            if role in self.roles:
                getattr(self, f"_start_{role}")()
        heartbeat.start()  # after the roles, so the first beat carries what they report
        self._stops.append(heartbeat.stop)  # stops run in reverse: before the bus says offline
        log.info("shorewatch started", roles=sorted(self.roles), store=self.series_mode)

    def stop(self) -> None:
        for stop in reversed(self._stops):
            try:
                stop()
            except Exception:
                log.exception("error while stopping")
        self._stops.clear()

    def publish_observation(
        self, sensor: str, source: Source = Source.AIS
    ) -> Callable[[Observation | VesselStatic | TrackEnd], None]:
        """Everything a sensor reports goes on its `obs` topic, track ends included, so that
        consumers see a target's reports and its end in order; in batches (`bus:` in YAML)."""
        topic = self.topics.obs(source, sensor)

        def publish(message: Observation | VesselStatic | TrackEnd) -> None:
            if self._batcher is not None:
                self._batcher.add(topic, message)
            else:
                self._publish_batch(topic, message)

        return publish

    def publish_observations(
        self, sensor: str, source: Source = Source.AIS
    ) -> Callable[[Sequence[Observation | VesselStatic | TrackEnd]], None]:
        """`publish_observation` for many reports at once (a receiver's whole read)."""
        topic = self.topics.obs(source, sensor)

        def publish(messages: Sequence[Observation | VesselStatic | TrackEnd]) -> None:
            if self._batcher is not None:
                self._batcher.add_many(topic, messages)
            else:
                for message in messages:
                    self._publish_batch(topic, message)

        return publish

    def _publish_batch(self, topic: str, batch: BaseModel) -> None:
        if self._outbox is not None:
            self._outbox.send(topic, batch)
        else:
            self.bus.publish(topic, batch)

    def _open_outbox(self) -> Outbox:
        """Ingest's observations go through a disk spool (write-ahead) to the broker; one
        spool per instance (its client id) in the data directory."""
        cfg = self.site.spool
        spool = Spool(
            self.data_root / "spool" / f"{self.client_id}-ingest",
            max_bytes=int(cfg.max_mb * 1024 * 1024),
            max_age_s=cfg.max_age_s,
            segment_bytes=int(cfg.segment_mb * 1024 * 1024),
            fsync=cfg.fsync,
            fsync_interval_s=cfg.fsync_interval_ms / 1000,
        )
        outbox = Outbox(self.bus, spool, self.metrics, inflight=cfg.inflight, replay_s=cfg.replay_s)
        self.metrics.watch_spool("ingest", spool.stats)
        self.heartbeat.watch(lambda: spool_problems(spool.stats(), cfg.backlog_after_s))
        self._stops.append(outbox.close)  # stops run in reverse: after the batcher's, before
        return outbox  # the bus closes

    def consumer_bus(self, role: str, subscribe: Callable[[Bus], None]) -> Bus:
        """A role's own connection for the stream it works through, with a stable client id
        and a session that outlives a restart. Its own, so that a role that stops
        acknowledging (a recorder whose store is down) holds back only its own stream.
        `subscribe` adds its handlers before it connects: what the broker kept for the session
        arrives at once, and must find them."""
        bus = Bus(
            self._mqtt_url,
            f"shorewatch-{role}-consumer",
            self.topics,
            self.metrics,
            client_id=f"{self.client_id}-{role}",
            session_expiry_s=self.site.bus.session_expiry_s,
            receive_maximum=self.site.bus.receive_maximum,
        )
        subscribe(bus)
        bus.connect()
        self._stops.append(bus.close)
        self._consumers.append(bus)
        return bus

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Send what the batcher holds and wait until every connection's handlers have
        taken what reached them; for orderly shutdown and tests."""
        if self._batcher is not None:
            self._batcher.flush()
        return all(bus.drain(timeout_s) for bus in (self.bus, *self._consumers))

    def publish_event(self, event: Event) -> None:
        self.bus.publish(self.topics.event(event.kind), event)

    def publish_events(self, events: list[Event]) -> None:
        """What handling one message raised in the detector: a message per kind, not one per
        event."""
        for kind, message in event_messages(events, self.site.bus.event_batch_max):
            self.bus.publish(self.topics.event(kind), message)

    def publish_alert(self, alert: Alert) -> None:
        self.bus.publish(self.topics.alert(alert.level), alert)

    def publish_alerts(self, alerts: list[Alert]) -> None:
        """What one transaction changed: a message per level, not one per alert."""
        for level, message in alert_messages(alerts, self.site.bus.alert_batch_max):
            self.bus.publish(self.topics.alert(level), message)

    def publish_picture(self, update: PictureUpdate) -> None:
        self.bus.publish(self.topics.picture(update.tile), update)

    def _start_ingest(self) -> None:
        ingest = self.site.ingest
        for spec in ingest.ais:
            receiver = AisReceiver(
                spec.id,
                self.publish_observations(spec.id),
                self.metrics,
                self._clock,
                max_payload_bytes=ingest.max_datagram_bytes,
            )
            self.receivers[spec.id] = receiver
            if isinstance(spec, UdpAisInput):
                udp = UdpListener(
                    spec.host,
                    spec.port,
                    receiver.feed,
                    max_datagram_bytes=ingest.max_datagram_bytes,
                )
                udp.start()
                self.udp_ports[spec.id] = udp.port
                self._stops.append(udp.stop)
            elif isinstance(spec, TcpAisInput):
                tcp = TcpFeedClient(
                    spec.host, spec.port, receiver.feed_lines, reconnect_max_s=spec.reconnect_max_s
                )
                tcp.start()
                self._stops.append(tcp.stop)
            elif isinstance(spec, MqttAisInput):
                self.bus.subscribe_raw(self.topics.raw_ais(spec.id), _feed_payload(receiver.feed))
        for radar in ingest.radar:
            self._start_radar_input(radar)
        for edge in ingest.edge_cameras:
            calibration = (
                None if edge.calibration is None else GeoCalibration.from_config(edge.calibration)
            )
            camera = EdgeCameraReceiver(
                edge.id,
                self.publish_observation(edge.id, Source.CAMERA),
                self.metrics,
                calibration=calibration,
                max_payload_bytes=ingest.max_datagram_bytes,
            )
            self.camera_receivers[edge.id] = camera
            self.bus.subscribe_raw(self.topics.raw_camera(edge.id), _feed_payload(camera.feed))
        for cam in ingest.cameras:
            self._start_camera(cam)
        if self.site.ptz.cameras:
            self._start_ptz_driver()
        for tak in self.site.tak.inputs:
            self._start_tak_input(tak.id, tak.host, tak.port)

    def _start_camera(self, cam: SiteCamera) -> None:
        """Frames stay in this process: the reader hands them to the camera's pipeline, and
        only observations and events reach the bus; the camera's health does too."""
        health = CameraHealth(cam.id, cam.lat, cam.lon, self.publish_event, self.site.version)
        frames = self.metrics.camera_frames.labels(camera=cam.id)
        pipeline = self._camera_pipeline(cam) if cam.detect else None

        def on_frame(frame: Frame) -> None:
            frames.inc()
            if pipeline is not None:
                pipeline.process(frame.time, frame.image)

        if pipeline is not None:
            self.camera_pipelines[cam.id] = pipeline
            self._stops.append(pipeline.close)  # stops run in reverse: after the reader's
            self.metrics.watch_camera_pipeline(cam.id, pipeline.counts)
        reader = CameraReader(cam, on_frame, health.on_status)
        reader.start()
        self.camera_readers[cam.id] = reader
        self._stops.append(reader.stop)

    def _camera_pipeline(self, cam: SiteCamera) -> CameraPipeline:
        """Loads the model (a missing vision stack or model file stops the start, loudly)."""
        vision = self.site.vision
        rules = cam.rules(vision)
        assert vision.model is not None  # the site config refuses a detecting camera without
        return CameraPipeline(
            cam,
            vision,
            load_detector(vision, self.site.resolve(vision.model), rules),
            publish_observation=self.publish_observation(cam.id, Source.CAMERA),
            publish_event=self.publish_event,
            config_version=self.site.version,
            snapshots=SnapshotWriter(
                self.snapshot_store, jpeg_quality=self.site.evidence.jpeg_quality
            ),
            publish_end=self.publish_observation(cam.id, Source.CAMERA),
            ptz=self._ptz_view(cam),
        )

    def _ptz_view(self, cam: SiteCamera) -> PtzView | None:
        """The camera is a PTZ's stream: its placement follows the PTZ's reports."""
        ptz = next((p for p in self.site.ptz.cameras if p.stream == cam.id), None)
        if ptz is None:
            return None
        view = PtzView(ptz, self.site.ptz.cue, cam.width or ptz.width, cam.height or ptz.height)

        def on_message(message: Message) -> None:
            if isinstance(message, PtzReport):
                view.follow(message)
            elif isinstance(message, PtzCue) and message.release:
                view.release()
            elif isinstance(message, PtzCue):
                view.cued()

        self.bus.subscribe(self.topics.camera_ptz(ptz.id), on_message)
        self.bus.subscribe(self.topics.camera_cue(ptz.id), on_message)
        return view

    def _start_radar_input(self, spec: RadarInput) -> None:
        max_bytes = self.site.ingest.max_datagram_bytes
        where = spec.site
        site = None if where is None else RadarSite(where.lat, where.lon, where.heading_deg)
        publish = self.publish_observation(spec.id, Source.RADAR)
        receiver: RadarReceiver | RadarJsonReceiver
        if spec.format == "json":
            receiver = RadarJsonReceiver(
                spec.id, publish, self.metrics, site=site, max_payload_bytes=max_bytes
            )
        else:
            receiver = RadarReceiver(
                spec.id, publish, self.metrics, self._clock, site=site, max_payload_bytes=max_bytes
            )
        self.radar_receivers[spec.id] = receiver
        if spec.transport == "udp":
            udp = UdpListener(spec.host, spec.port, receiver.feed, max_datagram_bytes=max_bytes)
            udp.start()
            self.udp_ports[spec.id] = udp.port
            self._stops.append(udp.stop)
        elif spec.transport == "tcp":
            tcp = TcpFeedClient(
                spec.host, spec.port, receiver.feed_lines, reconnect_max_s=spec.reconnect_max_s
            )
            tcp.start()
            self._stops.append(tcp.stop)
        else:
            self.bus.subscribe_raw(self.topics.raw_radar(spec.id), _feed_payload(receiver.feed))

    def _start_recorder(self) -> None:
        self.writer = ObservationWriter(
            self.role_pool("recorder"), self.site.store, self.metrics, self.series_mode
        )
        writer = self.writer

        def record(message: Message, done: Callable[[], None]) -> None:
            """Acknowledged (`done`) once the COPY holding the message's records commits."""
            items = message.items if isinstance(message, ObservationBatch) else (message,)
            records = [m for m in items if isinstance(m, Observation | VesselStatic)]
            if records:
                writer.submit_many(records, on_durable=done)
            else:
                done()

        self.consumer_bus(
            "recorder",
            lambda bus: bus.subscribe_durable(
                self.topics.all_obs, record, share=self._share("recorder")
            ),
        )
        writer.start()
        self._stops.append(writer.stop)  # stops run in reverse: before its bus closes
        self.bus.subscribe(self.topics.all_unit_positions, self.unit_desk.on_message)
        if self.series_mode == timeseries.MODE_PARTITIONED:
            retention = RetentionJob(self.role_pool("recorder"), self.site.store, self._clock)
            retention.start()
            self._stops.append(retention.stop)
            self.heartbeat.watch(retention.problems)
            self.retention = retention

    def _start_detector(self) -> None:
        self.detector = DetectorWorker(
            self.site, self.zones, self.publish_events, self.metrics, receive_clock=self._clock
        )
        sync = WatchlistSync(self._dsn, self.detector.watchlist, seed_entries(self.site.watchlist))
        self.watchlist_sync = sync  # for the hot reload of the site file's entries (app/cli.py)
        sync.start()
        self._stops.append(sync.stop)
        # Learned receiver coverage: the stored grid first, then flushed in batches.
        coverage = CoverageSync(self.pool, self.detector.coverage.grid, self.site.coverage.learned)
        coverage.load()
        coverage.start()
        self._stops.append(coverage.stop)
        warm_start(self.detector, self.pool, self.site.detectors, self.publish_events)
        # The live picture for the consoles: changed targets, batched about once a second.
        picture = PictureFeed(self.detector.fusion, self.detector.watchlist, self.publish_picture)
        self.detector.listener = picture
        picture.start()
        self._stops.append(picture.stop)
        # A sensor's batch whole, so that the events its reports raised go out together (a
        # message per kind); acknowledged once handled and those publishes are acknowledged.
        detector = self.detector
        self.consumer_bus(
            "detector",
            lambda bus: bus.subscribe(self.topics.all_obs, detector.on_message, batches=True),
        )

    def _start_alerts(self) -> None:
        pool = self.role_pool("alerts")
        service = AlertService(
            pool,
            self.site,
            {z.id: z for z in self.zones},
            EventsRepo(self.site.store, self.series_mode),
            self.publish_alerts,
            self.metrics,
            self._clock,
            jurisdiction_of=self.jurisdictions.locate,
        )
        self.consumer_bus(
            "alerts",
            lambda bus: bus.subscribe_many(  # what queued up: one transaction
                self.topics.all_events, service.on_messages, share=self._share("alerts")
            ),
        )
        self.bus.subscribe(self.topics.all_unit_states, self.unit_desk.on_message)
        self.bus.subscribe(self.topics.all_alerts, self.unit_desk.on_message)  # units follow
        if self.site.alerts.webhooks:
            hooks = AlertWebhooks(self.site.alerts.webhooks, self.jurisdictions, self.metrics)
            self._stops.append(hooks.close)
            self.bus.subscribe(self.topics.all_alerts, hooks.on_message)
        if self.site.ptz.cameras:
            self._start_cue_desk()
        if self.site.tak.outputs:
            self._start_tak_out()
        escalator = Escalator(
            pool, self.site.alerts.escalation, self.publish_alert, self.metrics, self._clock
        )
        escalator.start()
        self._stops.append(escalator.stop)
        silences = SilenceSweeper(
            pool,
            self.publish_alert,
            self.metrics,
            self._clock,
            interval_s=self.site.alerts.silence_sweep_s,
        )
        silences.start()
        self._stops.append(silences.stop)

    def publish_cue(self, cue: PtzCue) -> None:
        self.bus.publish(self.topics.camera_cue(cue.camera), cue)

    def publish_ptz(self, report: PtzReport) -> None:
        self.bus.publish(self.topics.camera_ptz(report.camera), report)

    def _start_ptz_driver(self) -> None:
        """PTZ cameras are sensors: their ONVIF driver runs with ingest (docs/cameras.md)."""
        driver = PtzDriver(
            self.site.ptz.cameras, self.site.ptz.cue, self.publish_ptz, self._clock, self.metrics
        )
        driver.start()
        self.ptz_driver = driver
        self._stops.append(driver.stop)
        self.bus.subscribe(self.topics.all_camera_cues, driver.on_message)

    def _start_cue_desk(self) -> None:
        """Which alert gets which PTZ: alerts, track fixes, camera reports and operators' cues."""
        desk = CueDesk(self.pool, self.site.ptz, self.publish_cue, self._clock)
        self.cue_desk = desk
        for topic in (
            self.topics.all_alerts,
            self.topics.all_camera_ptz,
            self.topics.all_camera_cues,
            self.topics.all_obs,
        ):
            self.bus.subscribe(topic, desk.on_message)
        desk.start()
        self._stops.append(desk.stop)

    def _start_tak_input(self, source_id: str, host: str, port: int) -> None:
        """Crews' CoT self-positions (UDP) become unit positions on the bus."""

        def publish(fix: UnitPosition) -> None:
            self.bus.publish(self.topics.unit_position(fix.unit_id), fix)

        receiver = TakReceiver(source_id, self.site.tak.units, publish, self.metrics)
        udp = UdpListener(
            host, port, receiver.feed, max_datagram_bytes=self.site.ingest.max_datagram_bytes
        )
        udp.start()
        self.tak_receivers[source_id] = receiver
        self.udp_ports[source_id] = udp.port
        self._stops.append(udp.stop)

    def _start_tak_out(self) -> None:
        """Alerts and zones as Cursor-on-Target to TAK servers and groups."""
        tak = TakOut(
            self.site.tak.outputs,
            self.pool,
            EventsRepo(self.site.store, self.series_mode),
            self.zones,
            self._clock,
        )
        tak.start()
        self.tak_out = tak
        self._stops.append(tak.stop)
        self.bus.subscribe(self.topics.all_alerts, tak.on_message)
        if any(o.tracks != "none" for o in self.site.tak.outputs):
            self.bus.subscribe(self.topics.all_picture, tak.on_picture)

    def _picture_bus(self, picture: Picture) -> None:
        """The picture on a connection of its own (a clean session: it is live state, nothing
        to keep): with 10,000 targets moving it is ~4 MB a second, which must never queue ahead
        of alerts, neither in the broker's in-flight window (a message is acknowledged once
        applied) nor on one socket."""
        bus = Bus(self._mqtt_url, "shorewatch-api-picture", self.topics, self.metrics)
        bus.subscribe(self.topics.all_picture, picture.on_message)
        bus.connect()
        self._stops.append(bus.close)
        self._consumers.append(bus)

    def _start_api(self) -> None:
        host, port, token = self._api
        live = LiveFeed()
        pool = self.role_pool("api")
        board = ComponentBoard()
        self.bus.subscribe_raw(self.topics.all_status, board.on_payload)
        health = HealthCheck(
            pool,
            broker_connected=lambda: self.bus.connected,
            board=board,
            timescale=self.series_mode == timeseries.MODE_TIMESCALE,
            clock=utc_now,
            stale_after_s=self.site.health.stale_after_s,
            expected_roles=self.site.health.expected_roles,
        )
        self.metrics.registry.register(HealthCollector(health))
        picture = Picture(self.jurisdictions, ttl_s=self.site.detectors.state_ttl_s)
        context = ApiContext(
            pool=pool,
            metrics=self.metrics,
            actions=AlertActions(pool, self.publish_alert, self._clock),
            events=EventsRepo(self.site.store, self.series_mode),
            live=live,
            token=token,
            jurisdictions=self.jurisdictions,
            zones=self.zones,
            reports=ReportIntake(self._photo_store(), self.publish_event, self.site.version),
            units=self.unit_desk,
            snapshots=self.snapshot_store,
            health=health,
            publish_alert=self.publish_alert,
            site=self.site,
            picture=picture,
            console_dir=self._console_dir,
            live_recheck_s=self._live_recheck_s,
            ptz_cameras=tuple(c.id for c in self.site.ptz.cameras),
            publish_cue=self.publish_cue,
        )

        def relay(message: Message) -> None:
            if isinstance(message, Alert):
                live.publish_threadsafe(message)
                picture.alert_changed(message)

        self.bus.subscribe(self.topics.all_alerts, relay)
        self._picture_bus(picture)
        with self.pool.connection() as conn:  # alerts opened before this process started
            picture.load_alerts(AlertsRepo().search(conn, states=list(OPEN_STATES), limit=100_000))
        config = uvicorn.Config(
            create_app(context), host=host, port=port, log_level="warning", ws="websockets-sansio"
        )
        server = uvicorn.Server(config)
        self.api_server = server
        thread = threading.Thread(target=server.run, name="api", daemon=True)
        thread.start()
        deadline = threading.Event()
        for _ in range(200):
            if server.started:
                break
            deadline.wait(0.05)
        if not server.started:
            raise RuntimeError(f"API did not start on {host}:{port}")

        def stop_api() -> None:
            server.should_exit = True
            thread.join(timeout=10)

        self._stops.append(stop_api)

    def role_pool(self, role: PoolRole) -> ConnectionPool:
        """The role's own connection pool (`store.pools` sizes it), opened on first use and
        closed after everything started later has stopped."""
        if role not in self.pools:
            self.pools[role] = self._open_pool(role)
            self._stops.append(self.pools[role].close)
        return self.pools[role]

    def _open_pool(self, role: PoolRole | Literal["service"]) -> ConnectionPool:
        sizes = self.site.store.pools
        size = {
            "api": sizes.api,
            "recorder": sizes.recorder,
            "alerts": sizes.alerts,
            "service": sizes.service,
        }[role]
        return open_pool(
            self._dsn, max_size=size, timeout_s=sizes.timeout_s, name=f"shorewatch-{role}"
        )

    def _share(self, role: str) -> str | None:
        """The shared-subscription group of a stateless role, when scaled out (MQTT 5 only).
        Off by default: Mosquitto does not restore a `$share/…` subscription after its own
        restart and drops what the group misses until a member reconnects
        (tests/faults/test_broker_sessions.py); a plain one is restored and queued."""
        group = self.site.bus.share_group
        if group is None or not BrokerAddress.parse(self._mqtt_url).shared_subscriptions:
            return None
        return f"{group}-{role}"

    @cached_property
    def data_root(self) -> Path:
        """The data directory; without one (tests) a temporary one that goes with the service."""
        if self._data_dir is not None:
            return self._data_dir
        scratch = tempfile.TemporaryDirectory(prefix="shorewatch-data-")
        self._stops.append(scratch.cleanup)
        return Path(scratch.name)

    def _photo_store(self) -> PhotoStore:
        """Field-report photos, kept as long as the time-series data."""
        return PhotoStore(
            self.data_root / "reports", timedelta(days=self.site.store.retention_days)
        )

    @cached_property
    def snapshot_store(self) -> PhotoStore:
        """Camera evidence, written by the camera pipelines and read by the API (one data
        directory: run both roles on one host, or share the directory)."""
        evidence = self.site.evidence
        return PhotoStore(
            self.data_root / "snapshots",
            timedelta(days=evidence.retention_days),
            max_total_bytes=evidence.max_total_mb * 1024 * 1024,
            prune_every_s=60.0,
        )

    @cached_property
    def unit_desk(self) -> UnitDesk:
        """One per process, for the roles that change units (recorder: positions; alerts: unit
        reports and alerts they follow; api: dispatch); seeds the YAML's units."""
        desk = UnitDesk(
            self.pool,
            UnitsRepo(self.site.store, self.series_mode),
            self.bus,
            self.metrics,
            self._clock,
            zone_kinds={z.id: z.kind for z in self.site.zones},
            jurisdictions=self.jurisdictions,
        )
        self._stops.append(desk.close)
        desk.seed(self.site.units)
        return desk

    @property
    def api_port(self) -> int:
        """The bound port (useful when configured as 0)."""
        assert self.api_server is not None
        sockets = self.api_server.servers[0].sockets
        return int(sockets[0].getsockname()[1])


def default_client_id(topic_root: str) -> str:
    """This host and topic root; `consumer_bus` adds the role. Two instances of one role on
    one host need their own (`SHOREWATCH_CLIENT_ID`), or each would take over the other's
    session."""
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())
    root = re.sub(r"[^A-Za-z0-9_-]", "-", topic_root)
    return f"sw-{host}-{root}"


def _feed_payload(feed: Callable[[bytes], object]) -> RawHandler:
    def handle(_topic: str, payload: bytes) -> None:
        feed(payload)

    return handle
