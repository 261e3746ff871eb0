"""Where each AIS receiver should hear vessels: configured (a range around the receiver or a
polygon) and learned from the data (a grid of cells where it has heard reports).

The `ais_gap` rule raises a gap only where this says a receiver should have heard the vessel
(docs/detection.md, "Receiver coverage"). Satellite receivers are flagged: their vessels are
judged on the revisit-aware thresholds (`ais_gap.satellite_*`), and they learn no grid.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReceiverCoverageConfig(Strict):
    """One receiver, by the sensor id its observations carry (an `ingest.ais` id, a remote
    receiver publishing raw NMEA, or a replay's sensor)."""

    id: str = Field(min_length=1, max_length=64)
    lat: float | None = Field(default=None, ge=-90, le=90, description="Antenna position.")
    lon: float | None = Field(default=None, ge=-180, le=180)
    range_km: float | None = Field(
        default=None, gt=0, le=1000, description="Covered within this distance of lat/lon."
    )
    polygon: list[tuple[float, float]] | None = Field(
        default=None, min_length=4, description="Covered area: outer ring, [lon, lat] pairs."
    )
    satellite: bool = Field(
        default=False, description="Satellite AIS: revisit-aware gap thresholds, no grid."
    )
    learn: bool = Field(default=True, description="Learn where this receiver hears vessels.")

    @model_validator(mode="after")
    def _one_area(self) -> ReceiverCoverageConfig:
        if self.range_km is not None and self.polygon is not None:
            raise ValueError(f"receiver {self.id}: give range_km or polygon, not both")
        if self.range_km is not None and (self.lat is None or self.lon is None):
            raise ValueError(f"receiver {self.id}: range_km needs the receiver's lat and lon")
        if self.polygon is not None and self.polygon[0] != self.polygon[-1]:
            raise ValueError(f"receiver {self.id}: close the polygon (last point = first)")
        return self


class LearnedCoverageConfig(Strict):
    enabled: bool = Field(default=True, description="Learn receivers' grids from the data.")
    cell_deg: float = Field(
        default=0.05, gt=0, le=1, description="Grid cell size in degrees of lat and lon."
    )
    min_reports: int = Field(
        default=20, ge=1, description="A cell is covered once a receiver heard this many there."
    )
    min_cells: int = Field(
        default=10,
        ge=1,
        description="A receiver's grid is used once it has this many covered cells; before "
        "that, a receiver without a configured area is judged as if no model existed.",
    )
    flush_s: float = Field(
        default=60.0, gt=0, le=3600, description="Write the learned counts to the store."
    )


class CoverageConfig(Strict):
    receivers: list[ReceiverCoverageConfig] = Field(default_factory=list)
    learned: LearnedCoverageConfig = LearnedCoverageConfig()
    dr_step_s: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Dead-reckoned positions checked this far apart over the gap threshold.",
    )

    @model_validator(mode="after")
    def _unique(self) -> CoverageConfig:
        ids = [r.id for r in self.receivers]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate receiver id(s) {', '.join(dupes)}")
        return self
