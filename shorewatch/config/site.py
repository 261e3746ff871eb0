"""Site configuration: sensors, zones and the thresholds engineers tune, validated from YAML.

Unknown keys are refused and every error names the file, the key and the problem, so a typo
in a threshold fails loudly at start instead of silently running with a default.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shorewatch.config.alerts import AlertConfig, LevelBands
from shorewatch.config.bus import BusConfig
from shorewatch.config.cameras import CameraConfig
from shorewatch.config.console import ConsoleConfig
from shorewatch.config.coverage import CoverageConfig
from shorewatch.config.health import HealthConfig
from shorewatch.config.jurisdictions import JurisdictionConfig, check_hierarchy
from shorewatch.config.ptz import PtzConfig
from shorewatch.config.spool import SpoolConfig
from shorewatch.config.tak import TakConfig
from shorewatch.config.thresholds import FusionConfig, Thresholds, ZoneEntryThresholds
from shorewatch.config.units import UnitsConfig
from shorewatch.config.vision import (
    CameraZoneConfig,
    ClassRule,
    EvidenceConfig,
    MotionConfig,
    VisionConfig,
)
from shorewatch.geocal import CalibrationConfig

DEFAULT_CONFIG = "default.yaml"
DEMO_CONFIG = "demo.yaml"
__all__ = [
    "DEFAULT_CONFIG",
    "DEMO_CONFIG",
    "AlertConfig",
    "ConfigError",
    "LevelBands",
    "SiteConfig",
    "Thresholds",
    "ZoneEntryThresholds",
    "load_config",
]


class ConfigError(ValueError):
    """A site configuration that cannot be used, with every problem spelled out."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UdpAisInput(Strict):
    transport: Literal["udp"]
    id: str = Field(min_length=1, max_length=64)
    host: str = "0.0.0.0"
    port: int = Field(ge=0, le=65535)


class TcpAisInput(Strict):
    transport: Literal["tcp"]
    id: str = Field(min_length=1, max_length=64)
    host: str
    port: int = Field(ge=1, le=65535)
    reconnect_max_s: float = Field(default=30.0, gt=0)


class MqttAisInput(Strict):
    """Raw NMEA lines published by remote receivers on `{root}/raw/ais/{id}`."""

    transport: Literal["mqtt"]
    id: str = Field(min_length=1, max_length=64)


AisInput = Annotated[UdpAisInput | TcpAisInput | MqttAisInput, Field(discriminator="transport")]


class RadarSiteConfig(Strict):
    """Where a shore radar stands; `heading_deg` turns relative TTM bearings into true ones."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    range_m: float | None = Field(
        default=None, gt=0, le=200_000, description="Instrumented range, drawn on the console."
    )


class RadarInput(Strict):
    """ARPA targets as NMEA TTM/TLL over UDP/TCP/MQTT, or JSON tracks over MQTT
    (`{root}/raw/radar/{id}`) from radars that publish their own."""

    id: str = Field(min_length=1, max_length=48)
    transport: Literal["udp", "tcp", "mqtt"]
    format: Literal["nmea", "json"] = "nmea"
    host: str = "0.0.0.0"
    port: int = Field(default=0, ge=0, le=65535)
    reconnect_max_s: float = Field(default=30.0, gt=0)
    site: RadarSiteConfig | None = None

    @model_validator(mode="after")
    def _transport_fits(self) -> RadarInput:
        if self.format == "json" and self.transport != "mqtt":
            raise ValueError("format json is only accepted over transport mqtt")
        if self.transport == "tcp" and self.port == 0:
            raise ValueError("transport tcp needs the feed's port")
        return self


class WatchlistEntryConfig(Strict):
    """A vessel of interest; any one identifier is enough to match."""

    mmsi: int | None = Field(default=None, ge=0, le=999_999_999)
    imo: int | None = Field(default=None, ge=0, le=9_999_999)
    name: str | None = Field(default=None, min_length=1, max_length=64)
    callsign: str | None = Field(default=None, min_length=1, max_length=16)
    reason: str = ""
    points: float = Field(default=30.0, ge=0, le=100)

    @model_validator(mode="after")
    def _identified(self) -> WatchlistEntryConfig:
        if self.mmsi is None and self.imo is None and self.name is None and self.callsign is None:
            raise ValueError("give at least one of mmsi, imo, name, callsign")
        return self


class EdgeCameraInput(Strict):
    """A smart camera publishing its own JSON detections on `{root}/raw/camera/{id}`; placed by
    the lat/lon it sends, else by its calibration (pixels -> sea surface)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,30}$")  # id-track fits 64 chars
    calibration: CalibrationConfig | None = None


class SiteCamera(CameraConfig):
    """An RTSP / IP / thermal camera (or a video file) the service reads itself; where it
    stands (its outages are events there), how its pixels map to the sea, and what its
    detector looks for."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    calibration: CalibrationConfig | None = Field(
        default=None, description="Pixels -> sea surface; without it boxes cannot be placed."
    )
    detect: bool = Field(default=True, description="False: frames are only counted (health).")
    motion: MotionConfig = MotionConfig()
    zones: list[CameraZoneConfig] = Field(default_factory=list, description="Pixel zones.")
    objects: dict[str, ClassRule] | None = Field(
        default=None, description="Replaces the site's `vision.classes` for this camera."
    )

    def rules(self, vision: VisionConfig) -> dict[str, ClassRule]:
        """The classes this camera looks for: its own `objects`, else the site's."""
        return self.objects if self.objects is not None else vision.classes

    @model_validator(mode="after")
    def _unique_zones(self) -> SiteCamera:
        ids = [z.id for z in self.zones]
        if len(ids) != len(set(ids)):
            raise ValueError(f"camera {self.id}: zone ids must be unique")
        return self


class IngestConfig(Strict):
    ais: list[AisInput] = Field(default_factory=list)
    radar: list[RadarInput] = Field(default_factory=list)
    edge_cameras: list[EdgeCameraInput] = Field(default_factory=list)
    cameras: list[SiteCamera] = Field(default_factory=list)
    max_datagram_bytes: int = Field(default=8192, ge=82, le=65507)


class ZoneConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")
    name: str
    kind: Literal["restricted", "port", "anchorage", "landing", "coastline", "coverage"] = (
        "restricted"
    )
    geojson: Path | None = None
    polygon: list[tuple[float, float]] | None = Field(
        default=None, description="Outer ring as [lon, lat] pairs, GeoJSON order."
    )
    points: float = Field(default=0.0, ge=0, le=100, description="Score points for being inside.")
    thresholds: dict[str, dict[str, float | int | bool | str | list[str]]] = Field(
        default_factory=dict,
        description="Per-rule overrides inside this zone, e.g. {loitering: {duration_s: 1800}}.",
    )

    @model_validator(mode="after")
    def _one_geometry(self) -> ZoneConfig:
        if (self.geojson is None) == (self.polygon is None):
            raise ValueError("give exactly one of `geojson` (a file) or `polygon` (a ring)")
        return self


class DetectorConfig(Strict):
    state_ttl_s: float = Field(default=6 * 3600, gt=0, description="Forget silent targets.")
    max_targets: int = Field(default=100_000, ge=1)
    fusion: FusionConfig = FusionConfig()
    warm_start_s: float = Field(
        default=3600.0,
        ge=0,
        description="On start, rebuild tracks from this much of the stored observations (back "
        "to the start of any open episode, within state_ttl_s); 0 starts cold.",
    )


class PoolSizes(Strict):
    """Connections each role's pool may open (app/composition.py): a role that holds all of
    its own (a long batch, a store outage) cannot starve another of theirs."""

    api: int = Field(default=8, ge=1, le=500, description="REST and live-feed requests.")
    recorder: int = Field(default=4, ge=1, le=500, description="Observation batches, retention.")
    alerts: int = Field(default=4, ge=1, le=500, description="Events to alerts, the sweeps.")
    service: int = Field(default=4, ge=1, le=500, description="Migrations, the unit desk.")
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="Wait for a connection.")


class StoreConfig(Strict):
    retention_days: int = Field(default=180, ge=1)
    compress_after_days: int = Field(default=7, ge=1)
    partition_days: int = Field(default=1, ge=1, le=31)
    batch_size: int = Field(default=1000, ge=1)
    flush_interval_s: float = Field(
        default=0.5, gt=0, description="The longest a record waits in the writer before commit."
    )
    commit_gap_s: float = Field(
        default=0.05,
        ge=0,
        description="Least time between two commits when the queue runs dry: a light feed of "
        "many small bus messages is grouped instead of committed message by message. The rest "
        "of a burst, after a full batch, is committed at once.",
    )
    pools: PoolSizes = PoolSizes()

    @model_validator(mode="after")
    def _gap_within_flush_interval(self) -> StoreConfig:
        """A gap longer than the flush interval would never apply: the interval ends it first."""
        if self.commit_gap_s > self.flush_interval_s:
            raise ValueError(
                f"store.commit_gap_s ({self.commit_gap_s}) must not exceed "
                f"store.flush_interval_s ({self.flush_interval_s})"
            )
        return self


class SiteConfig(Strict):
    version: str = Field(min_length=1, description="Stamped on every event it produces.")
    site: str = "ShoreWatch"
    ingest: IngestConfig = IngestConfig()
    zones: list[ZoneConfig] = Field(default_factory=list)
    thresholds: Thresholds = Thresholds()
    watchlist: list[WatchlistEntryConfig] = Field(default_factory=list)
    detectors: DetectorConfig = DetectorConfig()
    alerts: AlertConfig = AlertConfig()
    store: StoreConfig = StoreConfig()
    vision: VisionConfig = VisionConfig()
    evidence: EvidenceConfig = EvidenceConfig()
    jurisdictions: list[JurisdictionConfig] = Field(default_factory=list)
    units: UnitsConfig = Field(default_factory=list)
    health: HealthConfig = HealthConfig()
    bus: BusConfig = BusConfig()
    console: ConsoleConfig = ConsoleConfig()
    ptz: PtzConfig = PtzConfig()
    coverage: CoverageConfig = CoverageConfig()
    tak: TakConfig = TakConfig()
    spool: SpoolConfig = SpoolConfig()
    base_dir: Path = Field(default=Path(), exclude=True)

    def resolve(self, path: Path) -> Path:
        """A path written in the YAML: relative ones are relative to the YAML's folder."""
        return path if path.is_absolute() else self.base_dir / path

    @model_validator(mode="after")
    def _cameras_have_a_model(self) -> SiteConfig:
        """A detecting camera without weights would only count frames; say so at start."""
        detecting = [c.id for c in self.ingest.cameras if c.detect]
        if detecting and self.vision.model is None:
            raise ValueError(
                f"ingest.cameras {', '.join(detecting)}: detect is on but vision.model is not "
                "set (give the YOLO weights, or set detect: false on the camera)"
            )
        return self

    @model_validator(mode="after")
    def _jurisdiction_tree(self) -> SiteConfig:
        check_hierarchy(self.jurisdictions)
        return self

    @model_validator(mode="after")
    def _webhook_areas(self) -> SiteConfig:
        """A misspelt area would silently send nothing; name it at start instead."""
        known = {j.id for j in self.jurisdictions}
        for index, hook in enumerate(self.alerts.webhooks):
            unknown = sorted(set(hook.jurisdictions or ()) - known)
            if unknown:
                raise ValueError(
                    f"alerts.webhooks.{index}.jurisdictions: unknown {', '.join(unknown)}"
                )
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> SiteConfig:
        for what, ids in (
            ("zones", [z.id for z in self.zones]),
            (
                "ingest",
                [a.id for a in self.ingest.ais]
                + [r.id for r in self.ingest.radar]
                + [e.id for e in self.ingest.edge_cameras]
                + [c.id for c in self.ingest.cameras],
            ),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{what}: duplicate id(s) {', '.join(dupes)}")
        for zone in self.zones:
            try:
                self.thresholds.with_overrides(zone.thresholds)
            except (ValueError, ValidationError) as exc:
                raise ValueError(f"zones.{zone.id}.thresholds: {exc}") from exc
        return self

    @model_validator(mode="after")
    def _ptz_streams(self) -> SiteConfig:
        """A PTZ's `stream` names the ingest camera that reads its video."""
        cameras = {c.id for c in self.ingest.cameras}
        for ptz in self.ptz.cameras:
            if ptz.stream is not None and ptz.stream not in cameras:
                raise ValueError(f"ptz.cameras.{ptz.id}.stream: no ingest camera {ptz.stream!r}")
        units = {u.id for u in self.units}
        for sender, unit in self.tak.units.items():
            if units and unit not in units:
                raise ValueError(f"tak.units.{sender}: unknown unit {unit!r}")
        return self

    def zone_thresholds(self) -> dict[str, Thresholds]:
        """Effective thresholds inside each zone that overrides any."""
        return {
            z.id: self.thresholds.with_overrides(z.thresholds) for z in self.zones if z.thresholds
        }


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"{source}: {error.error_count()} problem(s)"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {source}: {key}: {item['msg']}")
    return "\n".join(lines)


def parse_config(text: str, source: str, base_dir: Path) -> SiteConfig:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    if "base_dir" in raw:
        raise ConfigError(f"{source}: base_dir: is set from the file's location, not the file")
    try:
        return SiteConfig.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from exc


def load_config(path: Path | None = None, *, packaged: str = DEFAULT_CONFIG) -> SiteConfig:
    """Load the site YAML at `path`, or the packaged one named `packaged` when none is given."""
    if path is None:
        resource = importlib.resources.files("configs").joinpath(packaged)
        with importlib.resources.as_file(resource) as real:
            return parse_config(real.read_text(encoding="utf-8"), str(real), real.parent)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    return parse_config(text, str(path), path.resolve().parent)
