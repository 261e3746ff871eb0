"""Zones: the site's areas (restricted, port, anchorage, landing, ...) as GeoJSON for the map.
They come from the site configuration, the same polygons the detectors use."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from api.deps import Caller, Context
from shorewatch.zones import Zone

router = APIRouter(prefix="/zones", tags=["zones"])
Position = tuple[float, float]


class Polygon(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["Polygon"]
    coordinates: list[list[Position]]


class MultiPolygon(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["MultiPolygon"]
    coordinates: list[list[list[Position]]]


class ZoneProperties(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: str
    points: float
    """Score points an alert gains for happening inside."""


class ZoneFeature(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["Feature"] = "Feature"
    id: str
    properties: ZoneProperties
    geometry: Polygon | MultiPolygon


class ZoneCollection(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "id": "lysekil-restricted",
                            "properties": {
                                "name": "Lysekil approach — restricted area",
                                "kind": "restricted",
                                "points": 30.0,
                            },
                            "geometry": {
                                "type": "Polygon",
                                "coordinates": [
                                    [
                                        [11.40, 58.24],
                                        [11.44, 58.24],
                                        [11.44, 58.26],
                                        [11.40, 58.26],
                                        [11.40, 58.24],
                                    ]
                                ],
                            },
                        }
                    ],
                }
            ]
        },
    )

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ZoneFeature]


def feature(zone: Zone) -> ZoneFeature:
    return ZoneFeature.model_validate(zone.as_geojson())


@router.get("", response_model=ZoneCollection)
def list_zones(_caller: Caller, context: Context) -> ZoneCollection:
    """Every zone of the site, for every caller: zones are configuration, not findings."""
    return ZoneCollection(features=[feature(z) for z in context.zones])
