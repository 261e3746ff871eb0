"""Patrol units as declared: in the site YAML (`units:`, seeded at start) or added through the API.

One model for both, so a unit in YAML and one posted by an admin are checked the same way. Sea
units give their top speed in knots, land units in km/h, the way their crews state it.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlparse

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shorewatch.config.jurisdictions import JURISDICTION_ID
from shorewatch.events import Latitude, Longitude, UnitId, UnitKind

KN_TO_MPS = 1852.0 / 3600.0
KMH_TO_MPS = 1000.0 / 3600.0
_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")  # and lone surrogates: not UTF-8


def _http_url(value: str) -> str:
    parsed = urlparse(value)
    if _CONTROL.search(value) or parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must be printable text")
    return value


Text = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)]
WebhookUrl = Annotated[str, Field(max_length=2000), AfterValidator(_http_url)]
"""An http(s) URL with a host: a unit's webhook, or an alert webhook's."""


class UnitSpec(BaseModel):
    """A sea or land patrol unit: what it is, where it is based and how fast it gets there."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: UnitId
    name: Text
    kind: UnitKind
    unit_type: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")] = Field(
        description="What it is, e.g. patrol_boat, rib, vehicle, dog_team."
    )
    home_lat: Latitude
    home_lon: Longitude
    max_speed_kn: float | None = Field(
        default=None, ge=1, le=100, allow_inf_nan=False, description="Sea units."
    )
    max_speed_kmh: float | None = Field(
        default=None, ge=1, le=300, allow_inf_nan=False, description="Land units."
    )
    jurisdiction: Annotated[str, Field(pattern=JURISDICTION_ID)] | None = Field(
        default=None, description="Area it serves; unset: derived from the home base."
    )
    webhook_url: WebhookUrl | None = Field(
        default=None, description="Assignment notices are POSTed here as well as MQTT."
    )

    @model_validator(mode="after")
    def _speed_fits_kind(self) -> UnitSpec:
        if self.kind is UnitKind.SEA and (self.max_speed_kn is None or self.max_speed_kmh):
            raise ValueError("a sea unit gives max_speed_kn (and not max_speed_kmh)")
        if self.kind is UnitKind.LAND and (self.max_speed_kmh is None or self.max_speed_kn):
            raise ValueError("a land unit gives max_speed_kmh (and not max_speed_kn)")
        return self

    @property
    def speed_mps(self) -> float:
        if self.max_speed_kn is not None:
            return self.max_speed_kn * KN_TO_MPS
        assert self.max_speed_kmh is not None
        return self.max_speed_kmh * KMH_TO_MPS


def _unique(units: list[UnitSpec]) -> list[UnitSpec]:
    ids = [u.id for u in units]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate unit id(s) {', '.join(dupes)}")
    return units


UnitsConfig = Annotated[list[UnitSpec], AfterValidator(_unique)]
"""The site's patrol units (`units:` in the YAML), seeded into the store at start."""
