"""What the API needs from the running service, handed in by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from alerts.actions import AlertActions
from api.live import LiveFeed
from shorewatch.metrics import Metrics
from shorewatch.store.events_repo import EventsRepo


@dataclass(frozen=True)
class ApiContext:
    pool: ConnectionPool
    metrics: Metrics
    actions: AlertActions
    events: EventsRepo
    live: LiveFeed
    token: str
