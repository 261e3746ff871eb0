"""Export: tracks, alerts and zones of a window and a box as GeoJSON or KML, for GIS tools,
Google Earth and TAK's data packages.

The same reading rules as the routes each layer comes from: tracks and alerts only inside the
caller's areas (tracks by where each point lies, alerts by their jurisdiction), the box and
the window bounded as for `/tracks` (5° a side, 24 h). Alerts are those updated in the window
whose position lies in the box; zones those that meet the box.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from shapely.geometry import box as shapely_box
from shapely.geometry import mapping

from api.deps import Caller, Connection, Context
from api.params import IsoDateTime
from api.routes.tracks import MAX_SPAN_DEG, parse_bbox
from api.visibility import area_of
from api.windows import time_window
from shorewatch.events import Alert
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.tracks_repo import BBox, Tracks, group_tracks, track_rows
from shorewatch.zones import Zone

router = APIRouter(prefix="/export", tags=["export"])
DEFAULT_WINDOW = timedelta(hours=1)
MAX_WINDOW = timedelta(hours=24)
MAX_ALERTS = 2_000
KML_NS = "http://www.opengis.net/kml/2.2"
Layer = Literal["tracks", "alerts", "zones"]
MEDIA = {"geojson": "application/geo+json", "kml": "application/vnd.google-earth.kml+xml"}
_alerts = AlertsRepo()


@router.get(
    "",
    responses={
        200: {"content": {MEDIA["geojson"]: {}, MEDIA["kml"]: {}}, "description": "The export"},
        422: {"description": "Invalid box, window or layer, with the reason"},
    },
    response_class=Response,
)
def export(
    caller: Caller,
    conn: Connection,
    context: Context,
    bbox: Annotated[
        str,
        Query(
            max_length=200,
            description=f"minlon,minlat,maxlon,maxlat; at most {MAX_SPAN_DEG:g} degrees a side",
            examples=["11.30,58.20,11.50,58.30"],
        ),
    ],
    format: Annotated[Literal["geojson", "kml"], Query()] = "geojson",
    layers: Annotated[list[Layer] | None, Query(description="Default: all three.")] = None,
    start: Annotated[IsoDateTime | None, Query(description="Default: one hour before end.")] = None,
    end: Annotated[IsoDateTime | None, Query(description="Default: now.")] = None,
    limit: Annotated[int, Query(ge=1, le=20_000, description="Most track points.")] = 5_000,
) -> Response:
    """Features: a LineString per track (a Point when it has one fix), a Point per alert, a
    Polygon per zone; each with `layer` and its own properties."""
    box = parse_bbox(bbox)
    since, until = time_window(
        start, end, now=datetime.now(UTC), default=DEFAULT_WINDOW, longest=MAX_WINDOW
    )
    wanted = set(layers or ("tracks", "alerts", "zones"))
    features: list[dict[str, Any]] = []
    if "tracks" in wanted:
        features += _track_features(_tracks(caller, conn, context, box, since, until, limit))
    if "alerts" in wanted:
        features += [_alert_feature(a) for a in _alerts_in(caller, conn, box, since, until)]
    if "zones" in wanted:
        area = shapely_box(box.min_lon, box.min_lat, box.max_lon, box.max_lat)
        features += [_zone_feature(z) for z in context.zones if z.geometry.intersects(area)]
    if format == "kml":
        return Response(_kml(features), media_type=MEDIA["kml"])
    collection = {"type": "FeatureCollection", "features": features}
    return Response(json.dumps(collection), media_type=MEDIA["geojson"])


def _tracks(
    caller: Caller,
    conn: Connection,
    context: Context,
    box: BBox,
    since: datetime,
    until: datetime,
    limit: int,
) -> Tracks:
    area = area_of(caller, context.jurisdictions)
    rows = track_rows(conn, box, since, until, limit=limit + 1, area=area)
    return group_tracks(rows, limit)


def _alerts_in(
    caller: Caller, conn: Connection, box: BBox, since: datetime, until: datetime
) -> list[Alert]:
    found = _alerts.search(conn, limit=MAX_ALERTS, areas=caller.areas)
    return [
        a
        for a in found
        if since <= a.updated_at < until
        and box.min_lat <= a.lat <= box.max_lat
        and box.min_lon <= a.lon <= box.max_lon
    ]


def _track_features(tracks: Tracks) -> list[dict[str, Any]]:
    out = []
    for track in tracks.tracks:
        coords = [[p.lon, p.lat] for p in track.points]
        geometry = (
            {"type": "LineString", "coordinates": coords}
            if len(coords) > 1
            else {"type": "Point", "coordinates": coords[0]}
        )
        out.append(
            {
                "type": "Feature",
                "id": track.target,
                "geometry": geometry,
                "properties": {
                    "layer": "tracks",
                    "name": track.target,
                    "source": track.source.value,
                    "points": len(coords),
                    "start": track.points[0].time.isoformat(),
                    "end": track.points[-1].time.isoformat(),
                },
            }
        )
    return out


def _alert_feature(alert: Alert) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": str(alert.id),
        "geometry": {"type": "Point", "coordinates": [alert.lon, alert.lat]},
        "properties": {
            "layer": "alerts",
            "name": f"{alert.level.value} {alert.kind.value} {alert.target}",
            "level": alert.level.value,
            "kind": alert.kind.value,
            "target": alert.target,
            "score": alert.score,
            "state": alert.state.value,
            "jurisdiction": alert.jurisdiction,
            "factors": [f.name for f in alert.factors],
            "updated_at": alert.updated_at.isoformat(),
        },
    }


def _zone_feature(zone: Zone) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": zone.id,
        "geometry": mapping(zone.geometry),
        "properties": {"layer": "zones", "name": zone.name, "kind": zone.kind},
    }


# -- KML -----------------------------------------------------------------------------------------


def _kml(features: list[dict[str, Any]]) -> bytes:
    ET.register_namespace("", KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    document = ET.SubElement(root, f"{{{KML_NS}}}Document")
    ET.SubElement(document, f"{{{KML_NS}}}name").text = "ShoreWatch export"
    folders: dict[str, ET.Element] = {}
    for feature in features:
        layer = feature["properties"]["layer"]
        folder = folders.get(layer)
        if folder is None:
            folder = folders[layer] = ET.SubElement(document, f"{{{KML_NS}}}Folder")
            ET.SubElement(folder, f"{{{KML_NS}}}name").text = layer
        placemark = ET.SubElement(folder, f"{{{KML_NS}}}Placemark", id=str(feature["id"]))
        ET.SubElement(placemark, f"{{{KML_NS}}}name").text = str(feature["properties"]["name"])
        data = ET.SubElement(placemark, f"{{{KML_NS}}}ExtendedData")
        for key, value in feature["properties"].items():
            item = ET.SubElement(data, f"{{{KML_NS}}}Data", name=key)
            ET.SubElement(item, f"{{{KML_NS}}}value").text = (
                json.dumps(value) if isinstance(value, list) else str(value)
            )
        _kml_geometry(placemark, feature["geometry"])
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text


def _coords(points: list[list[float]]) -> str:
    return " ".join(f"{lon:.6f},{lat:.6f}" for lon, lat, *_ in points)


def _kml_geometry(parent: ET.Element, geometry: dict[str, Any]) -> None:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        point = ET.SubElement(parent, f"{{{KML_NS}}}Point")
        ET.SubElement(point, f"{{{KML_NS}}}coordinates").text = _coords([list(coords)])
    elif kind == "LineString":
        line = ET.SubElement(parent, f"{{{KML_NS}}}LineString")
        ET.SubElement(line, f"{{{KML_NS}}}coordinates").text = _coords([list(c) for c in coords])
    elif kind in ("Polygon", "MultiPolygon"):
        polygons = [coords] if kind == "Polygon" else list(coords)
        holder = parent
        if len(polygons) > 1:
            holder = ET.SubElement(parent, f"{{{KML_NS}}}MultiGeometry")
        for rings in polygons:
            polygon = ET.SubElement(holder, f"{{{KML_NS}}}Polygon")
            for index, ring in enumerate(rings):
                boundary = "outerBoundaryIs" if index == 0 else "innerBoundaryIs"
                linear = ET.SubElement(
                    ET.SubElement(polygon, f"{{{KML_NS}}}{boundary}"), f"{{{KML_NS}}}LinearRing"
                )
                ET.SubElement(linear, f"{{{KML_NS}}}coordinates").text = _coords(
                    [list(c) for c in ring]
                )
