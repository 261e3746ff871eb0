"""The site's sensors for the map: AIS receivers, radars at their site, cameras with where they
look (PTZ cameras marked as such: the console offers to point them), each online or not.

Positions come from the site configuration (what the detectors use). `online` is what the
service knows for certain: a sensor with an open `sensor_offline` episode is offline since its
start; otherwise it is online (since the end of its last outage, when there was one). A sensor
that never reported an outage is shown online with `since` null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from api.deps import Caller, Connection, Context
from shorewatch.config.site import SiteConfig
from shorewatch.geocal import CalibrationConfig, PoseCalibration
from shorewatch.store.events_repo import latest_outages

router = APIRouter(prefix="/sensors", tags=["sensors"])
Kind = Literal["ais", "radar", "camera"]


class Sensor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: Kind
    lat: float | None
    lon: float | None
    heading_deg: float | None
    """Radar: its heading reference; camera: the bearing of its optical axis."""
    fov_deg: float | None
    """Camera: horizontal field of view."""
    range_m: float | None
    online: bool
    since: datetime | None
    """When it went offline, or came back after its last outage; null: no outage known."""
    ptz: bool = False
    """A pan-tilt-zoom camera a dispatcher may point (`POST /api/v1/cameras/{id}/cue`)."""


def _pose(calibration: CalibrationConfig | None) -> PoseCalibration | None:
    return calibration if isinstance(calibration, PoseCalibration) else None


def _sensor(
    sensor_id: str,
    kind: Kind,
    lat: float | None = None,
    lon: float | None = None,
    heading_deg: float | None = None,
    fov_deg: float | None = None,
    range_m: float | None = None,
) -> Sensor:
    """A configured sensor, online until told otherwise."""
    return Sensor(
        id=sensor_id,
        kind=kind,
        lat=lat,
        lon=lon,
        heading_deg=heading_deg,
        fov_deg=fov_deg,
        range_m=range_m,
        online=True,
        since=None,
    )


def _camera(
    camera_id: str, lat: float | None, lon: float | None, pose: PoseCalibration | None
) -> Sensor:
    """A camera looks where its pose says; without one, its axis and field are unknown."""
    if pose is None:
        return _sensor(camera_id, "camera", lat, lon)
    return _sensor(camera_id, "camera", lat, lon, pose.heading_deg, pose.fov_deg)


def configured(site: SiteConfig) -> list[Sensor]:
    """Every sensor of the site, online until told otherwise."""
    found = [_sensor(a.id, "ais") for a in site.ingest.ais]
    for radar in site.ingest.radar:
        where = radar.site
        found.append(
            _sensor(radar.id, "radar")
            if where is None
            else _sensor(
                radar.id, "radar", where.lat, where.lon, where.heading_deg, range_m=where.range_m
            )
        )
    for camera in site.ingest.cameras:
        found.append(_camera(camera.id, camera.lat, camera.lon, _pose(camera.calibration)))
    for edge in site.ingest.edge_cameras:
        pose = _pose(edge.calibration)
        found.append(_camera(edge.id, pose.lat if pose else None, pose.lon if pose else None, pose))
    for ptz in site.ptz.cameras:
        # It turns, so it has no fixed axis; its widest field of view is what it can show.
        widest = max((step.hfov_deg for step in ptz.zoom_steps), default=None)
        found.append(
            _sensor(ptz.id, "camera", ptz.lat, ptz.lon, fov_deg=widest).model_copy(
                update={"ptz": True}
            )
        )
    return found


@router.get("", response_model=list[Sensor])
def list_sensors(_caller: Caller, conn: Connection, context: Context) -> list[Sensor]:
    """Sensors are the site's equipment, like zones: every caller sees all of them."""
    outages = latest_outages(conn)
    sensors: list[Sensor] = []
    for sensor in configured(context.site):
        outage = outages.get(sensor.id)
        if outage is not None:
            start, end = outage
            sensor = sensor.model_copy(
                update={"online": end is not None, "since": start if end is None else end}
            )
        sensors.append(sensor)
    return sensors
