"""Who the caller is, and the areas of responsibility they may see (the console's sign-in
banner, its area filter and the boundaries it draws)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from shapely.geometry import mapping

from api.deps import Caller, Context
from api.principal import Role
from api.routes.zones import MultiPolygon, Polygon

router = APIRouter(tags=["me"])


class Me(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    role: Role
    jurisdiction: str | None
    """The caller's own jurisdiction; null: no area restriction."""
    area: list[str]
    """Every jurisdiction id the caller sees (its own and those below it)."""


class JurisdictionProperties(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    level: str
    parent: str | None


class JurisdictionFeature(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["Feature"] = "Feature"
    id: str
    properties: JurisdictionProperties
    geometry: Polygon | MultiPolygon


class JurisdictionCollection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[JurisdictionFeature]


@router.get("/me", response_model=Me)
def me(caller: Caller, context: Context) -> Me:
    everything = sorted(j.id for j in context.jurisdictions)
    area = everything if caller.areas is None else sorted(caller.areas)
    return Me(name=caller.name, role=caller.role, jurisdiction=caller.jurisdiction, area=area)


@router.get("/jurisdictions", response_model=JurisdictionCollection)
def jurisdictions(caller: Caller, context: Context) -> JurisdictionCollection:
    """The caller's areas (all of them for a caller without a restriction), as GeoJSON."""
    features = [
        JurisdictionFeature.model_validate(
            {
                "id": j.id,
                "properties": {"id": j.id, "name": j.name, "level": j.level, "parent": j.parent},
                "geometry": mapping(j.geometry),
            }
        )
        for j in sorted(context.jurisdictions, key=lambda j: (j.depth, j.id))
        if caller.sees(j.id)
    ]
    return JurisdictionCollection(features=features)
