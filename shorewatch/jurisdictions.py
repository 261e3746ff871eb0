"""Jurisdictions: a hierarchy of areas (city > county > town) that decides who sees what.

An alert belongs to the most specific jurisdiction containing its position; a user of a
jurisdiction sees that area and every area below it. The hierarchy is checked when the site
YAML is read (known parents, no cycles); the polygons are built when the service starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from shorewatch.config.jurisdictions import JurisdictionConfig
from shorewatch.config.site import SiteConfig
from shorewatch.zones import geometry_from_file, geometry_from_geojson, prepared


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

    def ranked(self) -> tuple[Jurisdiction, ...]:
        """In `locate`'s order: the first that covers a point is the point's jurisdiction."""
        return tuple(self._order)

    def locate(self, lat: float, lon: float) -> str | None:
        """The most specific jurisdiction containing the point; None outside all of them."""
        if not self._order:
            return None  # a site without areas: no geometry to build per event
        point = Point(lon, lat)
        for item in self._order:
            if item.geometry.covers(point):
                return item.id
        return None

    def locate_many(self, points: Sequence[tuple[float, float]]) -> list[str | None]:
        """`locate` for many (lat, lon) points at once, vectorised: the live picture locates
        thousands of targets a second."""
        found: list[str | None] = [None] * len(points)
        if not points or not self._order:
            return found
        lats = np.fromiter((p[0] for p in points), dtype=float, count=len(points))
        lons = np.fromiter((p[1] for p in points), dtype=float, count=len(points))
        open_ = np.ones(len(points), dtype=bool)
        for item in self._order:
            # A point on a boundary intersects the polygon, as `covers` in `locate` says.
            hit = open_ & shapely.intersects_xy(item.geometry, lons, lats)
            for index in np.flatnonzero(hit):
                found[index] = item.id
            open_ &= ~hit
            if not open_.any():
                break
        return found

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
    source = f"jurisdictions.{config.id}"
    if config.geojson is None:
        ring = {"type": "Polygon", "coordinates": [config.polygon or []]}
        return geometry_from_geojson(ring, source)
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
        geometry = prepared(_geometry(config, site))
        items.append(
            Jurisdiction(
                config.id, config.name, config.level, config.parent, depth(config.id), geometry
            )
        )
    return Jurisdictions(items)
