"""Jurisdictions: a hierarchy of areas (city > county > town) that decides who sees what.

An alert belongs to the most specific jurisdiction containing its position; a user of a
jurisdiction sees that area and every area below it. The hierarchy is checked when the site
YAML is read (known parents, no cycles); the polygons are built when the service starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import shapely
from pydantic import BaseModel, ConfigDict, Field, model_validator
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

if TYPE_CHECKING:
    from shorewatch.config import SiteConfig

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


@dataclass(frozen=True)
class Jurisdiction:
    id: str
    name: str
    level: str
    parent: str | None
    depth: int
    """0 for a top-level area; a deeper area is a more specific one."""
    geometry: BaseGeometry


class Jurisdictions:
    """The built hierarchy: point lookup and the areas below each one."""

    def __init__(self, items: Iterable[Jurisdiction] = ()) -> None:
        self._by_id = {j.id: j for j in items}
        # Most specific first; among equals the smaller area, then the id, so ties resolve the
        # same way on every run.
        self._order = sorted(self._by_id.values(), key=lambda j: (-j.depth, j.geometry.area, j.id))
        children: dict[str, list[str]] = {}
        for item in self._by_id.values():
            if item.parent is not None:
                children.setdefault(item.parent, []).append(item.id)
        self._children = children

    def __contains__(self, jurisdiction_id: object) -> bool:
        return jurisdiction_id in self._by_id

    def __iter__(self) -> Iterator[Jurisdiction]:
        return iter(self._by_id.values())

    def get(self, jurisdiction_id: str) -> Jurisdiction | None:
        return self._by_id.get(jurisdiction_id)

    def locate(self, lat: float, lon: float) -> str | None:
        """The most specific jurisdiction containing the point; None outside all of them."""
        point = Point(lon, lat)
        for item in self._order:
            if item.geometry.covers(point):
                return item.id
        return None

    def descendants(self, jurisdiction_id: str) -> frozenset[str]:
        """Every area below this one (not itself); empty for an unknown id."""
        found: set[str] = set()
        stack = list(self._children.get(jurisdiction_id, ()))
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(self._children.get(current, ()))
        return frozenset(found)

    def area(self, jurisdiction_id: str) -> frozenset[str]:
        """What a user of this jurisdiction sees: itself and everything below it."""
        return self.descendants(jurisdiction_id) | {jurisdiction_id}


def _geometry(config: JurisdictionConfig, site: SiteConfig) -> BaseGeometry:
    # Imported here: shorewatch.zones imports shorewatch.config, which imports this module.
    from shorewatch.zones import _geometry_from_geojson, geometry_from_file

    source = f"jurisdictions.{config.id}"
    if config.geojson is None:
        ring = {"type": "Polygon", "coordinates": [config.polygon or []]}
        return _geometry_from_geojson(ring, source)
    return geometry_from_file(site.resolve(config.geojson), source)


def build_jurisdictions(site: SiteConfig) -> Jurisdictions:
    """Polygons for the site's hierarchy (already checked by SiteConfig); raises ConfigError
    for a geometry that cannot be read."""
    parent_of = {j.id: j.parent for j in site.jurisdictions}

    def depth(jurisdiction_id: str) -> int:
        parent = parent_of[jurisdiction_id]
        return 0 if parent is None else 1 + depth(parent)

    items = []
    for config in site.jurisdictions:
        geometry = _geometry(config, site)
        shapely.prepare(geometry)
        items.append(
            Jurisdiction(
                config.id, config.name, config.level, config.parent, depth(config.id), geometry
            )
        )
    return Jurisdictions(items)
