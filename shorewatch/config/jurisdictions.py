"""Jurisdiction settings: the city > county > town hierarchy as the site YAML declares it.

Checked when the YAML is read (known parents, no cycles); the polygons are built at start by
`shorewatch.jurisdictions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

JURISDICTION_ID = r"^[a-z0-9][a-z0-9_\-]{0,63}$"


class JurisdictionConfig(BaseModel):
    """One area of responsibility, as a GeoJSON file or an inline ring (like a zone)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=JURISDICTION_ID)
    name: str = Field(min_length=1)
    level: Literal["city", "county", "town"]
    parent: str | None = Field(default=None, description="Id of the enclosing jurisdiction.")
    geojson: Path | None = None
    polygon: list[tuple[float, float]] | None = Field(
        default=None, description="Outer ring as [lon, lat] pairs, GeoJSON order."
    )

    @model_validator(mode="after")
    def _one_geometry(self) -> JurisdictionConfig:
        if (self.geojson is None) == (self.polygon is None):
            raise ValueError("give exactly one of `geojson` (a file) or `polygon` (a ring)")
        return self


def check_hierarchy(items: Sequence[JurisdictionConfig]) -> None:
    """Raises ValueError on duplicate ids, unknown parents or a cycle, naming them."""
    ids = [j.id for j in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"jurisdictions: duplicate id(s) {', '.join(dupes)}")
    parent_of = {j.id: j.parent for j in items}
    for item in items:
        if item.parent is not None and item.parent not in parent_of:
            raise ValueError(f"jurisdictions.{item.id}: unknown parent {item.parent!r}")
    for item in items:
        seen = [item.id]
        current = item.parent
        while current is not None:
            if current in seen:
                raise ValueError(f"jurisdictions: cycle {' -> '.join([*seen, current])}")
            seen.append(current)
            current = parent_of[current]
