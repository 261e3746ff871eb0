"""The live picture now: every current target the caller may see, optionally inside a box.
Changes stream over the live WebSocket once the console sends its viewport."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel

from api.deps import Caller, Context
from api.picture import BBox
from api.routes.tracks import parse_bbox
from shorewatch.events import PictureTrack

router = APIRouter(prefix="/picture", tags=["picture"])


class PictureNow(BaseModel):
    time: AwareDatetime
    tracks: list[PictureTrack]


@router.get(
    "",
    response_model=PictureNow,
    responses={422: {"description": "Invalid box, with the reason"}},
)
def get_picture(
    caller: Caller,
    context: Context,
    bbox: Annotated[
        str | None,
        Query(
            max_length=200,
            description="west,south,east,north in degrees; default: all the caller's areas",
            examples=["11.30,58.20,11.50,58.30"],
        ),
    ] = None,
) -> Response:
    """Each target once (a radar echo fused with an AIS vessel is inside the vessel's
    `associated`), with its open alerts' level; scoped to the caller's areas like `/alerts`."""
    box = None
    if bbox is not None:
        parsed = parse_bbox(bbox, max_span_deg=360.0)
        box = BBox(parsed.min_lon, parsed.min_lat, parsed.max_lon, parsed.max_lat)
    entries = context.picture.view(caller, box)
    # Each target's JSON is made once when it changes; the answer only joins them.
    now = datetime.now(UTC).isoformat()
    body = '{"time":"' + now + '","tracks":[' + ",".join(e.json for e in entries) + "]}"
    return Response(body, media_type="application/json")
