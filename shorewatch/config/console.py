"""Console settings: how the operators' map opens (basemap, centre, zoom), from the site YAML's
optional `console:` block. The console ships its own offline coastline; a centre that runs a
tile server points `basemap_style_url` at its MapLibre style."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shorewatch.events import Latitude, Longitude


class ConsoleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    basemap_style_url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"^(https?://|/)[^\s]+$",
        description="A MapLibre style JSON (http(s) URL or a path on this server); "
        "unset: the console's built-in offline coastline.",
    )
    center: tuple[Longitude, Latitude] | None = Field(
        default=None,
        description="[lon, lat] the map opens on; unset: the middle of the caller's area "
        "(else of the site's zones).",
    )
    zoom: float = Field(default=9.0, ge=0, le=22, description="Zoom level the map opens at.")
