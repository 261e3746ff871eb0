"""Zone polygons from configuration, as shapely geometry ready for fast containment tests."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from shorewatch.config.site import ConfigError, SiteConfig, ZoneConfig

METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class Zone:
    id: str
    name: str
    kind: str
    points: float
    geometry: BaseGeometry
    _bounds: tuple[float, float, float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Rules ask every zone about every fix, and most fixes are far outside most zones:
        # the bounding box answers those without building a shapely point.
        object.__setattr__(self, "_bounds", self.geometry.bounds)

    def contains(self, lat: float, lon: float) -> bool:
        west, south, east, north = self._bounds
        if not (south <= lat <= north and west <= lon <= east):
            return False
        return bool(shapely.contains_xy(self.geometry, lon, lat))

    def within_buffer(self, lat: float, lon: float, metres: float) -> bool:
        """Inside or less than `metres` outside; the hysteresis band for leaving a zone."""
        if self.contains(lat, lon):
            return True
        return distance_m(self.geometry, lat, lon) <= metres

    def as_geojson(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "id": self.id,
            "properties": {"name": self.name, "kind": self.kind, "points": self.points},
            "geometry": mapping(self.geometry),
        }


def distance_m(geometry: BaseGeometry, lat: float, lon: float) -> float:
    """Metres from a point to a geometry, scaled locally; exact enough within a coastal area."""
    nearest = nearest_points(geometry, Point(lon, lat))[0]
    dlat = (nearest.y - lat) * METRES_PER_DEGREE_LAT
    dlon = (nearest.x - lon) * METRES_PER_DEGREE_LAT * math.cos(math.radians(lat))
    return math.hypot(dlat, dlon)


def geometry_from_geojson(data: Any, source: str) -> BaseGeometry:
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise ConfigError(f"{source}: expected exactly one feature, found {len(features)}")
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    try:
        geometry = shape(data)
    except (AttributeError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise ConfigError(f"{source}: not a GeoJSON geometry: {exc}") from exc
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or not geometry.is_valid:
        raise ConfigError(f"{source}: needs a valid Polygon or MultiPolygon")
    return geometry


def build_zone(config: ZoneConfig, site: SiteConfig) -> Zone:
    source = f"zones.{config.id}"
    if config.geojson is not None:
        geometry = geometry_from_file(site.resolve(config.geojson), source)
    else:
        ring = config.polygon or []
        geometry = geometry_from_geojson({"type": "Polygon", "coordinates": [ring]}, source)
    return Zone(config.id, config.name, config.kind, config.points, prepared(geometry))


def prepared(geometry: BaseGeometry) -> BaseGeometry:
    """Prepared for fast point tests, and used once here: GEOS builds a prepared polygon's
    point index lazily on its first test, and two threads making that first test at once (the
    detector, the alerts worker and the API share zones and areas; shapely releases the GIL in
    GEOS) race on it (libgeos/geos#825). Built on the thread that made it, it is only read."""
    shapely.prepare(geometry)
    if not geometry.is_empty:
        x, y = geometry.bounds[0], geometry.bounds[1]
        shapely.contains_xy(geometry, x, y)
        shapely.intersects_xy(geometry, x, y)
    return geometry


def geometry_from_file(path: Path, source: str) -> BaseGeometry:
    """A GeoJSON file named in the YAML (zones, jurisdictions); ConfigError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{source}: geojson {path}: {exc}") from exc
    return geometry_from_geojson(data, f"{source} ({path})")


def build_zones(site: SiteConfig) -> tuple[Zone, ...]:
    return tuple(build_zone(z, site) for z in site.zones)
