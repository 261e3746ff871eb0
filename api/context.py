"""What the API needs from the running service, handed in by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from alerts.actions import AlertActions
from alerts.units import UnitDesk
from api.field_reports import ReportIntake
from api.live import LiveFeed
from shorewatch.events import PtzCue
from shorewatch.jurisdictions import Jurisdictions
from shorewatch.metrics import Metrics
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
    ptz_cameras: tuple[str, ...] = ()
    """PTZ camera ids an operator may cue (`POST /cameras/{id}/cue`)."""
    publish_cue: Callable[[PtzCue], None] | None = None
