"""How the console's map opens: the site YAML's `console:` block, with the centre defaulting to
the middle of the caller's own area so that a town's operator starts over their town."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from api.deps import Caller, Context

router = APIRouter(prefix="/console", tags=["console"])


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    basemap_style_url: str | None
    """A MapLibre style; null: the console's built-in offline coastline."""
    center: list[float] = Field(min_length=2, max_length=2)
    """[lon, lat]."""
    zoom: float


@router.get("/settings", response_model=ConsoleSettings)
def console_settings(caller: Caller, context: Context) -> ConsoleSettings:
    config = context.site.console
    center = config.center
    if center is None:
        shapes: list[BaseGeometry] = [
            j.geometry for j in context.jurisdictions if caller.sees(j.id)
        ]
        shapes = shapes or [z.geometry for z in context.zones]
        if shapes:
            west, south, east, north = unary_union(shapes).bounds
            center = ((west + east) / 2, (south + north) / 2)
    if center is None:  # a site with no areas and no zones: the whole world
        return ConsoleSettings(
            basemap_style_url=config.basemap_style_url, center=[0.0, 0.0], zoom=2.0
        )
    return ConsoleSettings(
        basemap_style_url=config.basemap_style_url, center=list(center), zoom=config.zoom
    )
