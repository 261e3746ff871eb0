"""What a simulated scene is made of: vessels, what their transponders claim, a shore radar.

Plain validated data and nothing else: motion, AIS and radar output are pure functions of these
models and of simulated time, in their own modules.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shorewatch.events import Latitude, Longitude

AisText = Annotated[str, Field(pattern=r"^[ -_]+$")]  # the AIS 6-bit set: space to underscore
Waypoint = tuple[Latitude, Longitude]
Seconds = Annotated[float, Field(ge=0.0)]
MAX_RADAR_TARGETS = 99  # ARPA target numbers are two digits


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Spoof(Frozen):
    """From `from_s` on, the transponder lies: its positions are shifted by a fixed offset (a
    manipulated GNSS feed, a cloned identity) and/or its type 5 names another vessel."""

    from_s: Seconds
    north_m: float = 0.0
    east_m: float = 0.0
    name: Annotated[AisText, Field(max_length=20)] | None = None
    callsign: Annotated[AisText, Field(max_length=7)] | None = None


class SimVessel(Frozen):
    """One simulated vessel: identity, a route it sails, what its transponder sends and when."""

    mmsi: int = Field(ge=100_000_000, le=999_999_999)
    name: Annotated[AisText, Field(max_length=20)]
    callsign: Annotated[AisText, Field(max_length=7)]
    ship_type: int = Field(ge=0, le=99)
    length_m: float = Field(gt=0.0, le=1022.0)
    beam_m: float = Field(gt=0.0, le=126.0)
    waypoints: list[Waypoint] = Field(min_length=2)
    speed_kn: float = Field(ge=0.0, le=102.0)
    leg_speeds_kn: list[Annotated[float, Field(gt=0.0, le=102.0)]] | None = Field(
        default=None, description="One per leg, replacing speed_kn: approach, drift, part."
    )
    # >= 1 s keeps consecutive reports in distinct whole tag-block seconds (no duplicate keys).
    report_every_s: float = Field(ge=1.0, le=600.0)
    start_offset_s: Seconds = 0.0
    loop: bool = True
    class_b: bool = False
    nav_status: int | None = Field(
        default=None, ge=0, le=15, description="Class A status; default under way (fishing: 7)."
    )
    ais: bool = Field(default=True, description="False: no transponder at all (radar only).")
    ais_silent: list[tuple[Seconds, Seconds]] = Field(
        default_factory=list, description="[from, to) windows in which the transponder is off."
    )
    spoof: Spoof | None = None
    ashore_at_end: bool = Field(
        default=False, description="Beached at the end of its route: the radar loses it there."
    )

    @model_validator(mode="after")
    def _consistent(self) -> SimVessel:
        if self.leg_speeds_kn is not None and len(self.leg_speeds_kn) != len(self.waypoints) - 1:
            raise ValueError("leg_speeds_kn needs one speed per leg (len(waypoints) - 1)")
        if any(end <= start for start, end in self.ais_silent):
            raise ValueError("ais_silent windows must end after they start")
        if self.ashore_at_end and self.loop:
            raise ValueError("ashore_at_end needs a route that ends (loop: false)")
        return self

    def speeds_kn(self) -> list[float]:
        return self.leg_speeds_kn or [self.speed_kn] * (len(self.waypoints) - 1)

    def transmits_at(self, t_s: float) -> bool:
        return self.ais and not any(start <= t_s < end for start, end in self.ais_silent)


class SimRadar(Frozen):
    """A fixed shore radar (ARPA) reporting every vessel within range once per scan; a vessel's
    ARPA target number is its position in the scenario's vessel list, plus one."""

    lat: Latitude
    lon: Longitude
    range_m: float = Field(default=11_000.0, gt=0.0)
    scan_every_s: float = Field(default=3.0, ge=1.0, le=60.0)
    sentence: Literal["TTM", "TLL"] = "TTM"
    talker: str = Field(default="RA", pattern=r"^[A-Z]{2}$")


class Scenario(Frozen):
    """A set of vessels, an optional radar, and the wall-clock instant that sim t=0 stands for."""

    name: str = Field(min_length=1)
    start: AwareDatetime
    vessels: list[SimVessel]
    radar: SimRadar | None = None

    @model_validator(mode="after")
    def _unique_mmsi(self) -> Scenario:
        mmsis = [vessel.mmsi for vessel in self.vessels]
        if len(set(mmsis)) != len(mmsis):
            raise ValueError("vessel MMSIs must be unique")
        if self.radar is not None and len(self.vessels) > MAX_RADAR_TARGETS:
            raise ValueError(f"a radar tracks at most {MAX_RADAR_TARGETS} targets")
        return self
