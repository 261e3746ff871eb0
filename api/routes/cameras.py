"""Operator override of PTZ cueing: point a camera at a position or an alert's target.

The cue goes on the bus (`{root}/cameras/{camera}/cue`) like the alerts stage's own; the
camera's driver aims and moves it, and the cue desk leaves that camera to the operator for
`ptz.cue.operator_hold_s`. Dispatchers and above (admin); the cued position must lie in the
caller's areas, and an alert named must be visible to them (404 otherwise); the cue is written
in that alert's history.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Connection, Context, allow
from api.principal import Principal, Role
from shorewatch.events import Degrees, Knots, Latitude, Longitude, PtzCue
from shorewatch.store.alerts_repo import AlertsRepo

router = APIRouter(prefix="/cameras", tags=["cameras"])
_alerts = AlertsRepo()
Dispatcher = Annotated[Principal, Depends(allow(Role.DISPATCHER))]


class CueRequest(BaseModel):
    """Where to look: a position (with the target's motion, for the lead), or an alert."""

    model_config = ConfigDict(extra="forbid")

    lat: Latitude | None = None
    lon: Longitude | None = None
    sog_kn: Knots | None = None
    cog_deg: Degrees | None = None
    alert_id: uuid.UUID | None = None
    release: bool = Field(default=False, description="Give the camera back to automatic cueing.")


class CueAccepted(BaseModel):
    cue_id: uuid.UUID
    camera: str
    lat: float | None
    lon: float | None


@router.post(
    "/{camera_id}/cue",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CueAccepted,
    responses={
        403: {"description": "Not a dispatcher, or the position is outside your areas"},
        404: {"description": "No such PTZ camera, or no such alert in your areas"},
        422: {"description": "Neither a position nor an alert"},
    },
)
def cue_camera(
    camera_id: Annotated[str, Path(max_length=64)],
    body: CueRequest,
    caller: Dispatcher,
    conn: Connection,
    context: Context,
) -> CueAccepted:
    """Accepted: the camera moves when its driver gets the cue (its report is on the bus)."""
    if camera_id not in context.ptz_cameras or context.publish_cue is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no PTZ camera {camera_id}")
    lat, lon, target = body.lat, body.lon, None
    alert = None
    if body.alert_id is not None:
        alert = _alerts.get(conn, body.alert_id)
        if alert is None or not caller.sees(alert.jurisdiction):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {body.alert_id}")
        target = alert.target
        if lat is None or lon is None:
            lat, lon = alert.lat, alert.lon
    if not body.release:
        if lat is None or lon is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "give lat and lon, or an alert_id"
            )
        if not caller.sees(context.jurisdictions.locate(lat, lon)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "the position is outside your areas")
    now = datetime.now(UTC)
    cue = PtzCue(
        cue_id=uuid.uuid4(),
        camera=camera_id,
        time=now,
        requested_by=f"user:{caller.name}",
        target=target,
        alert_id=body.alert_id,
        lat=lat,
        lon=lon,
        fix_time=now,
        sog_kn=body.sog_kn,
        cog_deg=body.cog_deg,
        release=body.release,
    )
    context.publish_cue(cue)
    if alert is not None:
        with conn.transaction():
            _alerts.record(
                conn,
                alert.id,
                actor=caller.name,
                action="cue",
                from_state=alert.state,
                to_state=alert.state,
                note=f"{'released' if body.release else 'cued'} {camera_id} by hand",
                at=now,
            )
    return CueAccepted(cue_id=cue.cue_id, camera=camera_id, lat=lat, lon=lon)
