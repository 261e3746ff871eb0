"""A detector worker fed by hand, for rule tests: observations in event time, events out."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from detectors.watchlist import WatchEntry, WatchList
from detectors.worker import DetectorWorker
from shorewatch.config.site import SiteConfig, load_config, parse_config
from shorewatch.events import Event, Observation, Source, TrackEnd, VesselStatic
from shorewatch.metrics import Metrics
from shorewatch.zones import build_zones

Input = Observation | VesselStatic | TrackEnd
EARTH_RADIUS_M = 6_371_008.8
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """A point `north_m` / `east_m` metres away (flat earth; fine over a few km)."""
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def obs(
    ref: str | int,
    at: datetime,
    lat: float,
    lon: float,
    *,
    sog: float | None = None,
    cog: float | None = None,
    source: Source = Source.AIS,
    sensor: str = "rx",
) -> Observation:
    return Observation(
        source=source,
        sensor_id=sensor,
        target_ref=str(ref),
        time=at,
        lat=lat,
        lon=lon,
        sog_kn=sog,
        cog_deg=cog,
    )


def static(mmsi: int, at: datetime, **fields: object) -> VesselStatic:
    return VesselStatic.model_validate({"sensor_id": "rx", "time": at, "mmsi": mmsi, **fields})


def run_straight(
    ref: str | int,
    start: datetime,
    lat: float,
    lon: float,
    *,
    sog: float,
    cog: float,
    every_s: float,
    count: int,
    source: Source = Source.AIS,
    sensor: str = "rx",
) -> list[Observation]:
    """`count` reports of a target moving at `sog` knots on `cog`, every `every_s` seconds."""
    out = []
    for i in range(count):
        metres = sog * 1852.0 / 3600.0 * every_s * i
        north, east = metres * math.cos(math.radians(cog)), metres * math.sin(math.radians(cog))
        la, lo = offset(lat, lon, north, east)
        at = start + timedelta(seconds=every_s * i)
        out.append(obs(ref, at, la, lo, sog=sog, cog=cog, source=source, sensor=sensor))
    return out


class Harness:
    def __init__(
        self,
        yaml_text: str | None = None,
        *,
        site: SiteConfig | None = None,
        watch: tuple[WatchEntry, ...] = (),
        receive_clock: Callable[[], datetime] | None = None,
    ) -> None:
        if site is None:
            site = parse_config(yaml_text, "test.yaml", Path()) if yaml_text else load_config()
        self.site = site
        self.events: list[Event] = []
        self.metrics = Metrics()
        self.worker = DetectorWorker(
            site,
            build_zones(site),
            self.events.extend,
            self.metrics,
            watchlist=WatchList(watch),
            receive_clock=receive_clock,
        )

    def feed(self, messages: Sequence[Input]) -> list[Event]:
        """Process in time order (stable, so same-instant messages keep their given order)."""
        start = len(self.events)
        for message in sorted(messages, key=lambda m: m.time):
            self.worker.process_message(message)
        return self.events[start:]

    def arrive(self, messages: Sequence[Input]) -> list[Event]:
        """Process in the order given: arrival order, as a live detector reads its bus."""
        start = len(self.events)
        for message in messages:
            self.worker.process_message(message)
        return self.events[start:]

    def finish(self) -> list[Event]:
        start = len(self.events)
        self.worker.finish()
        return self.events[start:]

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind.value == kind]
