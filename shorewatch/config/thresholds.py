"""Detector thresholds: what engineers tune, with per-zone overrides, validated like all config.

Defaults and their sources are explained in docs/detection.md; every field here is a knob an
engineer may turn in `configs/*.yaml` (globally under `thresholds:`, or per zone).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoneEntryThresholds(Strict):
    exit_buffer_m: float = Field(
        default=100.0, ge=0, description="Hysteresis: how far outside counts as having left."
    )
    zone_kinds: list[str] = Field(default_factory=lambda: ["restricted"])
    approach_m: float = Field(
        default=1500.0,
        ge=0,
        description="Approach to shore: closer than this to a `coastline` zone while closing in.",
    )
    approach_min_speed_kn: float = Field(default=5.0, ge=0)
    approach_sources: list[str] = Field(
        default_factory=lambda: ["radar", "camera"],
        description="Sources watched for approach to shore (ordinary AIS traffic berths daily).",
    )


class DarkTargetThresholds(Strict):
    after_s: float = Field(
        default=120.0, gt=0, description="Radar/camera track with no associated AIS this long."
    )
    min_fixes: int = Field(default=3, ge=1, description="Ignore tracks younger than this.")
    min_speed_kn: float = Field(
        default=0.0, ge=0, description="Ignore slower tracks (moorings, buoys, clutter)."
    )


class AisGapThresholds(Strict):
    min_gap_s: float = Field(default=900.0, gt=0, description="Never call a gap shorter.")
    interval_factor: float = Field(
        default=30.0, gt=1, description="Gap = factor x the class/speed reporting interval."
    )
    max_gap_s: float = Field(
        default=6 * 3600.0, gt=0, description="Stop watching: the vessel has left for good."
    )
    satellite_min_gap_s: float = Field(
        default=12 * 3600.0,
        gt=0,
        description="Last heard by a satellite receiver: its revisit makes hours normal (GFW: "
        "12 h). Needs `detectors.state_ttl_s` above it, or the track is forgotten first.",
    )
    satellite_max_gap_s: float = Field(
        default=72 * 3600.0, gt=0, description="Stop watching a satellite-heard vessel."
    )


class EncounterThresholds(Strict):
    distance_m: float = Field(default=500.0, gt=0)
    duration_s: float = Field(default=7200.0, gt=0)
    max_speed_kn: float = Field(default=2.0, ge=0)
    release_m: float = Field(default=1000.0, gt=0, description="Apart this far ends it.")


class LoiteringThresholds(Strict):
    """Coastal smuggling needs short windows near the beach and GFW's hours out at sea: the
    window in force is the shortest of `duration_s` and that of the track's setting."""

    max_speed_kn: float = Field(default=2.0, ge=0)
    duration_s: float = Field(
        default=3 * 3600.0, gt=0, description="Out at sea (Global Fishing Watch loitering)."
    )
    landing_duration_s: float = Field(
        default=1800.0, gt=0, description="Inside a `landing` zone (a cove used for landings)."
    )
    near_shore_duration_s: float = Field(
        default=3600.0, gt=0, description="Within `near_shore_m` of a `coastline` zone."
    )
    near_shore_m: float = Field(
        default=2000.0, ge=0, description="How close to a coastline counts as its approaches."
    )
    release_speed_kn: float = Field(default=4.0, ge=0, description="Hysteresis to end it.")
    min_reports: int = Field(default=3, ge=1)


class HighSpeedThresholds(Strict):
    min_speed_kn: float = Field(default=30.0, gt=0)
    release_speed_kn: float = Field(default=25.0, ge=0)
    max_length_m: float = Field(default=25.0, gt=0, description="Larger known hulls are exempt.")
    min_reports: int = Field(default=2, ge=1, description="Consecutive fast reports needed.")
    exempt_types: list[str] = Field(
        default_factory=lambda: ["law_enforcement", "passenger", "cargo_tanker"],
        description="Judged classes (detectors/vessel_type.py) exempt when no length is known.",
    )
    exempt_confidence: float = Field(default=0.6, ge=0, le=1)


class SpoofingThresholds(Strict):
    max_implied_speed_kn: float = Field(default=80.0, gt=0)
    min_jump_m: float = Field(
        default=2000.0, ge=0, description="Shorter jumps are position noise, not spoofing."
    )
    identity_fields: list[str] = Field(default_factory=lambda: ["name", "callsign", "ship_type"])
    check_mmsi: bool = True
    quiet_s: float = Field(default=3600.0, gt=0, description="Closes the episode when calm.")


class TypeMismatchThresholds(Strict):
    """A vessel declaring itself fishing or pleasure craft but moving as a speedboat."""

    declared: dict[str, float] = Field(
        default_factory=lambda: {"fishing": 20.0, "pleasure": 35.0},
        description="Declared class (detectors/vessel_type.py) -> the 90th-percentile speed (kn) "
        "above which moving as a speedboat contradicts it. Fishing boats rarely pass 15 kn; "
        "pleasure motor boats legitimately run 25-30 kn, smugglers' boats 40-60.",
    )
    min_confidence: float = Field(default=0.6, ge=0, le=1, description="Of the speedboat call.")
    check_above_kn: float = Field(
        default=15.0, ge=0, description="Judged only on reports faster than this (cheap gate)."
    )
    quiet_s: float = Field(default=3600.0, gt=0, description="Closes the episode when calm.")
    size_ratio: float = Field(
        default=2.0,
        gt=1,
        description="Size evidence: the hull a radar or camera fused with the vessel measures "
        "(median) is at least this many times the AIS-declared length...",
    )
    size_min_diff_m: float = Field(
        default=15.0, ge=0, description="...and at least this many metres longer."
    )
    size_min_samples: int = Field(
        default=3, ge=1, description="Measurements of the fused echo before size is judged."
    )


class WatchlistThresholds(Strict):
    quiet_s: float = Field(default=1800.0, gt=0, description="Silent this long ends a sighting.")


class Thresholds(Strict):
    zone_entry: ZoneEntryThresholds = ZoneEntryThresholds()
    dark_target: DarkTargetThresholds = DarkTargetThresholds()
    ais_gap: AisGapThresholds = AisGapThresholds()
    encounter: EncounterThresholds = EncounterThresholds()
    loitering: LoiteringThresholds = LoiteringThresholds()
    high_speed: HighSpeedThresholds = HighSpeedThresholds()
    spoofing: SpoofingThresholds = SpoofingThresholds()
    watchlist: WatchlistThresholds = WatchlistThresholds()
    type_mismatch: TypeMismatchThresholds = TypeMismatchThresholds()

    def with_overrides(self, overrides: dict[str, dict[str, Any]]) -> Thresholds:
        """A copy with some fields of some rules replaced; validated like the original."""
        merged = self.model_dump()
        for rule, fields in overrides.items():
            if rule not in merged:
                raise ValueError(f"unknown rule {rule!r} (known: {', '.join(sorted(merged))})")
            merged[rule] = {**merged[rule], **fields}
        return Thresholds.model_validate(merged)


class ClockConfig(Strict):
    """Per-sensor clocks and the detector's watermark (docs/architecture.md, "Event time")."""

    max_ahead_s: float | None = Field(
        default=900.0,
        gt=0,
        description="Refuse an observation stamped this far ahead of the time it reached the "
        "detector (live only; null turns the check off). Loose enough for a sloppy clock and "
        "the demo's --speedup, tight enough for a receiver with a wrong year.",
    )
    max_lead_s: float = Field(
        default=3600.0,
        gt=0,
        description="Refuse an observation this far ahead of its sensor's own clock and of the "
        "other sensors' watermark, unless the sensor's next report confirms the step.",
    )
    max_late_s: float = Field(
        default=300.0,
        gt=0,
        description="Refuse an observation this far behind its sensor's own clock, unless the "
        "sensor's next report confirms that its clock stepped back.",
    )
    idle_s: float = Field(
        default=300.0,
        gt=0,
        description="A sensor silent this long (on the other sensors' clocks) leaves the "
        "watermark and, if it was hearing targets, is reported `sensor_offline`.",
    )


class GenerationConfig(Strict):
    """When a radar or camera target number stops naming the same boat."""

    silence_s: float = Field(
        default=300.0,
        gt=0,
        description="A radar/camera track silent this long has ended: a later report under "
        "its number is a new boat (ARPA and ByteTrack drop lost targets within a minute).",
    )
    max_speed_kn: float = Field(
        default=80.0, gt=0, description="A step implying more than this is a different boat."
    )
    min_jump_m: float = Field(
        default=1000.0, ge=0, description="Shorter steps are position noise, whatever the speed."
    )


class FusionConfig(Strict):
    """How radar/camera tracks are associated with AIS vessels."""

    gate_m: float = Field(default=300.0, gt=0, description="Position gate after dead reckoning.")
    gate_kn: float = Field(default=6.0, gt=0, description="Speed gate.")
    gate_deg: float = Field(default=45.0, gt=0, le=180, description="Course gate when moving.")
    moving_kn: float = Field(default=3.0, ge=0, description="Below this, course is not gated.")
    window_s: float = Field(
        default=200.0,
        gt=0,
        description="An AIS fix older than this cannot vouch for a track; longer than the "
        "180 s a ship at anchor or a slow Class B unit reports, or their echoes flap.",
    )
    confirm_hits: int = Field(default=3, ge=1, description="Consecutive matches to associate.")
    break_misses: int = Field(default=3, ge=1, description="Consecutive misses to dissociate.")
    history_s: float = Field(default=3 * 3600.0, gt=0, description="Fixes kept per track.")
    max_fixes: int = Field(default=512, ge=4)
    sweep_s: float = Field(
        default=10.0, gt=0, description="Event-time period for checks that need no new report."
    )
    clocks: ClockConfig = ClockConfig()
    generations: GenerationConfig = GenerationConfig()
