"""What the API needs from the running service, handed in by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from psycopg_pool import ConnectionPool

from alerts.actions import AlertActions
from alerts.units import UnitDesk
from api.field_reports import ReportIntake
from api.health import HealthCheck
from api.live import LiveFeed
from api.picture import Picture
from shorewatch.config.site import SiteConfig
from shorewatch.events import Alert, PtzCue
from shorewatch.jurisdictions import Jurisdictions
from shorewatch.metrics import Metrics
from shorewatch.store.auth_repo import UseStamps
from shorewatch.store.events_repo import EventsRepo
from shorewatch.store.photos import PhotoStore
from shorewatch.zones import Zone


@dataclass(frozen=True)
class ApiContext:
    pool: ConnectionPool
    metrics: Metrics
    actions: AlertActions
    events: EventsRepo
    live: LiveFeed
    token: str
    jurisdictions: Jurisdictions
    zones: tuple[Zone, ...]
    reports: ReportIntake
    units: UnitDesk
    snapshots: PhotoStore
    """Camera evidence JPEGs, named by event id (written by the camera pipelines)."""
    health: HealthCheck
    """Database, broker, heartbeats, TimescaleDB jobs and silent sensors (api/health.py)."""
    publish_alert: Callable[[Alert], None]
    """Puts a changed alert on the bus (so on the live feed and to webhooks)."""

    @cached_property
    def key_uses(self) -> UseStamps:
        """When each API key was last stamped as used (`api/deps.py`)."""
        return UseStamps()

    site: SiteConfig
    """The site configuration: sensors and console settings come from it."""
    picture: Picture
    """The live picture (the detector's fused targets), joined with the open alerts."""
    console_dir: Path | None = None
    """The built console served at `/`; None: `console/dist` in the source tree."""
    live_recheck_s: float = 5.0
    """How often a live WebSocket's key is checked again (revoked or disabled: closed)."""
    ptz_cameras: tuple[str, ...] = ()
    """PTZ camera ids an operator may cue (`POST /cameras/{id}/cue`)."""
    publish_cue: Callable[[PtzCue], None] | None = None
