"""Area filtering in SQL, for rows that carry a position but no stored jurisdiction (events,
observations, vessels' last positions).

A position belongs to the most specific jurisdiction containing it (`Jurisdictions.locate`); a
restricted caller sees it when that jurisdiction is one of theirs. `AreaFilter` writes that same
decision as one SQL condition — a CASE over the jurisdictions in `locate`'s order, each a test of
PostgreSQL's native `polygon @> point` (holes subtracted) — behind a bounding-box test, so the
store filters before it pages: `LIMIT` / `OFFSET` count rows the caller sees, and nothing is
read in batches and cut off after a scan limit, however few of the rows are theirs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from shorewatch.jurisdictions import Jurisdictions


@dataclass(frozen=True)
class AreaFilter:
    """`condition(lat, lon)` is SQL true for a row whose position lies in `areas`; its
    placeholders take `params`, in order."""

    areas: frozenset[str]
    template: str
    """SQL with `{lat}` and `{lon}` for the row's columns."""
    params: tuple[object, ...]

    def condition(self, lat: str = "lat", lon: str = "lon") -> str:
        return self.template.format(lat=lat, lon=lon)


def _ring(coords: Iterable[tuple[float, ...]], *, open_path: bool = False) -> str:
    """A ring as a PostgreSQL polygon literal (or, `open_path`, its outline as an open path:
    `path @> point` is then true on the outline only), x = longitude, y = latitude."""
    points = ",".join(f"({c[0]!r},{c[1]!r})" for c in coords)
    return f"[{points}]" if open_path else f"({points})"


def _parts(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    raise ValueError(f"a jurisdiction must be a polygon or multipolygon, not {geometry.geom_type}")


def _covers(geometry: BaseGeometry) -> tuple[str, list[object]]:
    """SQL true when the row's point lies in the geometry, outline included (as shapely's
    `covers`): in a part and not strictly inside one of its holes."""
    point = "point({lon}, {lat})"
    tests: list[str] = []
    params: list[object] = []
    for part in _parts(geometry):
        test = f"%s::polygon @> {point}"
        params.append(_ring(part.exterior.coords))
        for hole in part.interiors:
            test += f" AND NOT (%s::polygon @> {point} AND NOT %s::path @> {point})"
            params += [_ring(hole.coords), _ring(hole.coords, open_path=True)]
        tests.append(f"({test})")
    return "(" + " OR ".join(tests) + ")", params


@lru_cache(maxsize=256)
def area_filter(jurisdictions: Jurisdictions, areas: frozenset[str]) -> AreaFilter:
    """The filter for a caller who sees `areas` (ids of `jurisdictions`); built once per set."""
    ranked = list(jurisdictions.ranked())
    while ranked and ranked[-1].id not in areas:  # answering "no", like the ELSE, when last
        ranked.pop()
    mine = [j for j in ranked if j.id in areas]
    if not mine:
        return AreaFilter(areas, "false", ())
    min_lon, min_lat, max_lon, max_lat = mine[0].geometry.bounds
    for item in mine[1:]:
        x0, y0, x1, y1 = item.geometry.bounds
        min_lon, min_lat = min(min_lon, x0), min(min_lat, y0)
        max_lon, max_lat = max(max_lon, x1), max(max_lat, y1)
    params: list[object] = [min_lat, max_lat, min_lon, max_lon]
    cases: list[str] = []
    for item in ranked:
        test, test_params = _covers(item.geometry)
        cases.append(f"WHEN {test} THEN {'true' if item.id in areas else 'false'}")
        params += test_params
    template = (
        "({lat} BETWEEN %s AND %s AND {lon} BETWEEN %s AND %s "
        f"AND CASE {' '.join(cases)} ELSE false END)"
    )
    return AreaFilter(areas, template, tuple(params))
