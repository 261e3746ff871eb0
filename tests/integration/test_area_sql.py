"""The SQL area filter (`shorewatch/store/areas.py`) decides as `Jurisdictions.locate` does:
most specific area first, holes and multi-part areas included. Checked on PostgreSQL against
the Python rule for a grid of points across nested, overlapping and holed areas. PostgreSQL
compares coordinates with a tolerance of 1e-6 (about 10 cm), shapely exactly, so the points
within that of an outline are left out: there the two may differ, by design of each."""

from __future__ import annotations

import itertools

import psycopg
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from shorewatch.jurisdictions import Jurisdiction, Jurisdictions
from shorewatch.store.areas import area_filter


def _area(id_: str, parent: str | None, depth: int, geometry: object) -> Jurisdiction:
    assert isinstance(geometry, Polygon | MultiPolygon)
    shapely.prepare(geometry)
    return Jurisdiction(id_, id_, "town" if depth else "county", parent, depth, geometry)


HOLED = Polygon(
    [(11.0, 58.0), (11.4, 58.0), (11.4, 58.4), (11.0, 58.4)],
    [[(11.1, 58.1), (11.3, 58.1), (11.3, 58.3), (11.1, 58.3)]],
)
AREAS = Jurisdictions(
    [
        _area("county", None, 0, box(11.0, 58.0, 12.0, 58.5)),
        _area("holed", "county", 1, HOLED),
        _area(
            "islands",
            "county",
            1,
            MultiPolygon([box(11.5, 58.0, 11.6, 58.1), box(11.7, 58.2, 11.8, 58.3)]),
        ),
        _area("overlap", "county", 1, box(11.35, 58.05, 11.55, 58.15)),  # overlaps two others
        _area("far", None, 0, box(13.0, 58.0, 13.5, 58.5)),
    ]
)
CALLERS = [
    frozenset({"holed"}),
    frozenset({"islands", "overlap"}),
    frozenset({"county", "holed", "islands", "overlap"}),
    frozenset({"far"}),
    frozenset({"nothing-here"}),
]


@pytest.mark.parametrize("areas", CALLERS, ids=lambda a: "+".join(sorted(a)))
def test_sql_filter_agrees_with_locate(dsn: str, areas: frozenset[str]) -> None:
    lats = [57.95 + i * 0.0125 for i in range(50)]
    lons = [10.95 + i * 0.0325 for i in range(80)]
    outlines = [j.geometry.boundary for j in AREAS]
    points = [
        (lat, lon)
        for lat, lon in itertools.product(lats, lons)
        if all(o.distance(Point(lon, lat)) > 1e-5 for o in outlines)
    ]
    expected = {p for p in points if AREAS.locate(*p) in areas}
    area = area_filter(AREAS, areas)
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TEMP TABLE pts (lat double precision, lon double precision)")
        with conn.cursor().copy("COPY pts (lat, lon) FROM STDIN") as copy:
            for point in points:
                copy.write_row(point)
        rows = conn.execute(
            f"SELECT lat, lon FROM pts WHERE {area.condition()}", area.params
        ).fetchall()
    found = {(float(lat), float(lon)) for lat, lon in rows}
    assert found == expected
    assert areas == {"nothing-here"} or expected, "the grid reaches the caller's areas"
    assert len(points) > 3000
