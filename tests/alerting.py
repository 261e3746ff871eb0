"""A running API with an alert service fed directly (no detectors), on an injected clock, for
the lifecycle, scoring, silence and escalation tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from alerts.service import AlertService
from app.composition import Service
from shorewatch.config.site import SiteConfig, parse_config
from shorewatch.events import Alert, Event, EventKind, FactValue
from shorewatch.store.auth_repo import AuthRepo, NewUser
from shorewatch.store.events_repo import EventsRepo

TOKEN = "alerting-test-token-0123456789abcdef"
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # daylight off Lysekil: no `night` factor
IN_A = (58.20, 11.30)
IN_B = (58.20, 11.60)
IN_C = (58.20, 11.90)
SITE_YAML = """
version: "test-alerting"
zones:
  - {id: restricted-a, name: Restricted A, kind: restricted, points: 30,
     polygon: [[11.25, 58.15], [11.35, 58.15], [11.35, 58.25], [11.25, 58.25], [11.25, 58.15]]}
  - {id: shore, name: South shore, kind: coastline, points: 15,
     polygon: [[11.2, 58.10], [11.7, 58.10], [11.7, 58.12], [11.2, 58.12], [11.2, 58.10]]}
jurisdictions:
  - {id: county, name: County, level: county,
     polygon: [[11.2, 58.1], [11.7, 58.1], [11.7, 58.4], [11.2, 58.4], [11.2, 58.1]]}
  - {id: town-a, name: Town A, level: town, parent: county,
     polygon: [[11.2, 58.1], [11.45, 58.1], [11.45, 58.4], [11.2, 58.4], [11.2, 58.1]]}
  - {id: town-b, name: Town B, level: town, parent: county,
     polygon: [[11.45, 58.1], [11.7, 58.1], [11.7, 58.4], [11.45, 58.4], [11.45, 58.1]]}
  - {id: town-c, name: Town C, level: town,
     polygon: [[11.8, 58.1], [12.0, 58.1], [12.0, 58.4], [11.8, 58.4], [11.8, 58.1]]}
store: {flush_interval_s: 0.1}
"""


@dataclass
class FakeClock:
    now: datetime = NOON

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass
class Rig:
    service: Service
    alerts: AlertService
    clock: FakeClock
    api: httpx.Client
    published: list[Alert] = field(default_factory=list)


def site(extra_yaml: str = "") -> SiteConfig:
    return parse_config(SITE_YAML + extra_yaml, "test.yaml", Path())


@contextmanager
def running(config: SiteConfig, dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Rig]:
    clock = FakeClock()
    service = Service(
        config,
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("api",),
        api_token=TOKEN,
        api_port=0,
        topic_root=topic_root,
        clock=clock,
    )
    service.start()
    published: list[Alert] = []
    alert_service = AlertService(
        service.pool,
        config,
        {z.id: z for z in service.zones},
        EventsRepo(config.store, service.series_mode),
        published.extend,
        service.metrics,
        clock,
        jurisdiction_of=service.jurisdictions.locate,
    )
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{service.api_port}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        ) as client:
            yield Rig(service, alert_service, clock, client, published)
    finally:
        service.stop()


def event(
    kind: EventKind,
    target: str,
    facts: Mapping[str, FactValue] | None = None,
    *,
    at: datetime = NOON,
    where: tuple[float, float] = IN_A,
    zone: str | None = None,
    targets: tuple[str, ...] = (),
) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=kind,
        start=at,
        lat=where[0],
        lon=where[1],
        targets=(target, *targets),
        zone=zone,
        facts=dict(facts or {}),
        config_version="test-alerting",
    )


def user_headers(rig: Rig, name: str, role: str, jurisdiction: str | None) -> dict[str, str]:
    """A new user with a key; the Authorization header that speaks as them."""
    repo = AuthRepo()
    with rig.service.pool.connection() as conn, conn.transaction():
        repo.add_user(conn, NewUser(name=name, role=role, jurisdiction=jurisdiction))
        token = repo.create_key(conn, name).token
    return {"Authorization": f"Bearer {token}"}
