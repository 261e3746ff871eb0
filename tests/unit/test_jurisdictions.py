"""Jurisdictions: the hierarchy is checked when the YAML is read, a point resolves to the most
specific area containing it, and an area's users see everything below it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shorewatch.config.site import ConfigError, load_config, parse_config
from shorewatch.jurisdictions import Jurisdictions, build_jurisdictions


def box(lon0: float, lat0: float, lon1: float, lat1: float) -> str:
    corners = [(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1), (lon0, lat0)]
    return "[" + ", ".join(f"[{lon}, {lat}]" for lon, lat in corners) + "]"


# A city holding a county holding two towns side by side; a second city apart.
TREE_YAML = f"""
version: x
jurisdictions:
  - {{id: city, name: City, level: city, polygon: {box(11.0, 58.0, 12.0, 58.5)}}}
  - {{id: county, name: County, level: county, parent: city,
      polygon: {box(11.2, 58.1, 11.7, 58.4)}}}
  - {{id: town-a, name: Town A, level: town, parent: county,
      polygon: {box(11.2, 58.1, 11.45, 58.4)}}}
  - {{id: town-b, name: Town B, level: town, parent: county,
      polygon: {box(11.45, 58.1, 11.7, 58.4)}}}
  - {{id: other-city, name: Other, level: city, polygon: {box(13.0, 55.0, 13.5, 55.5)}}}
"""


@pytest.fixture
def tree() -> Jurisdictions:
    return build_jurisdictions(parse_config(TREE_YAML, "site.yaml", Path()))


def test_most_specific_area_containing_the_point(tree: Jurisdictions) -> None:
    assert tree.locate(58.2, 11.3) == "town-a"
    assert tree.locate(58.2, 11.6) == "town-b"
    assert tree.locate(58.45, 11.5) == "city", "north of the county"
    assert tree.locate(58.05, 11.1) == "city"
    assert tree.locate(55.2, 13.2) == "other-city"
    assert tree.locate(50.0, 5.0) is None, "outside every area"
    # On a shared border both towns contain the point: the smaller, then the first id, wins.
    assert tree.locate(58.2, 11.45) == "town-a"


def test_descendants_and_area(tree: Jurisdictions) -> None:
    assert tree.descendants("city") == {"county", "town-a", "town-b"}
    assert tree.descendants("county") == {"town-a", "town-b"}
    assert tree.descendants("town-a") == frozenset()
    assert tree.area("county") == {"county", "town-a", "town-b"}
    assert tree.area("town-b") == {"town-b"}
    assert tree.descendants("nowhere") == frozenset()
    assert "town-a" in tree
    assert "nowhere" not in tree


def test_an_empty_hierarchy_locates_nothing() -> None:
    assert Jurisdictions().locate(58.2, 11.3) is None


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (
            "[{id: a, name: A, level: town, parent: ghost, polygon: [[0,0],[1,0],[1,1],[0,0]]}]",
            "jurisdictions.a: unknown parent 'ghost'",
        ),
        (
            "[{id: a, name: A, level: city, parent: b, polygon: [[0,0],[1,0],[1,1],[0,0]]},"
            " {id: b, name: B, level: town, parent: a, polygon: [[0,0],[1,0],[1,1],[0,0]]}]",
            "jurisdictions: cycle a -> b -> a",
        ),
        (
            "[{id: a, name: A, level: city, parent: a, polygon: [[0,0],[1,0],[1,1],[0,0]]}]",
            "jurisdictions: cycle a -> a",
        ),
        (
            "[{id: a, name: A, level: city, polygon: [[0,0],[1,0],[1,1],[0,0]]},"
            " {id: a, name: A2, level: town, polygon: [[0,0],[1,0],[1,1],[0,0]]}]",
            "jurisdictions: duplicate id(s) a",
        ),
        ("[{id: a, name: A, level: city}]", "give exactly one of `geojson`"),
        (
            "[{id: a, name: A, level: hamlet, polygon: [[0,0],[1,0],[1,1],[0,0]]}]",
            "jurisdictions.0.level: Input should be 'city', 'county' or 'town'",
        ),
        (
            "[{id: A B, name: A, level: city, polygon: [[0,0],[1,0],[1,1],[0,0]]}]",
            "jurisdictions.0.id: String should match pattern",
        ),
    ],
)
def test_bad_hierarchy_is_a_config_error(entries: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"version: x\njurisdictions: {entries}\n", "site.yaml", Path())
    assert expected in str(caught.value)


def test_geojson_file_and_bad_geometry(tmp_path: Path) -> None:
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]},
    }
    (tmp_path / "area.geojson").write_text(json.dumps(feature), encoding="utf-8")
    site = parse_config(
        "version: x\njurisdictions: [{id: a, name: A, level: town, geojson: area.geojson}]\n",
        "site.yaml",
        tmp_path,
    )
    assert build_jurisdictions(site).locate(1.0, 1.0) == "a"

    missing = parse_config(
        "version: x\njurisdictions: [{id: a, name: A, level: town, geojson: gone.geojson}]\n",
        "site.yaml",
        tmp_path,
    )
    with pytest.raises(ConfigError, match=r"jurisdictions\.a: geojson .*gone\.geojson"):
        build_jurisdictions(missing)
    bowtie = parse_config(
        "version: x\njurisdictions: [{id: a, name: A, level: town, "
        "polygon: [[0,0],[1,1],[1,0],[0,1],[0,0]]}]\n",
        "site.yaml",
        Path(),
    )
    with pytest.raises(ConfigError, match="needs a valid Polygon"):
        build_jurisdictions(bowtie)


def test_demo_site_has_a_city_county_town_hierarchy() -> None:
    site = load_config(packaged="demo.yaml")
    tree = build_jurisdictions(site)
    assert [j.level for j in site.jurisdictions] == ["city", "county", "town", "town"]
    assert tree.locate(58.25, 11.42) == "lysekil-north", "the restricted approach"
    assert tree.locate(58.175, 11.433) == "skafto-south", "the landing cove"
    assert tree.locate(58.38, 11.30) == "lysekil", "city, outside the coastal district"
    assert tree.area("lysekil-coast") == {"lysekil-coast", "lysekil-north", "skafto-south"}
