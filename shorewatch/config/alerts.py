"""Alert scoring, grouping and escalation settings (the `alerts:` block of the site YAML).

Weights are named fields rather than a free mapping, so a misspelt factor fails at start with
the key named instead of silently scoring zero. `docs/alerts.md` explains each factor.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from shorewatch.config.jurisdictions import JURISDICTION_ID
from shorewatch.config.units import WebhookUrl
from shorewatch.events import EventKind, Level

Points = float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelBands(_Strict):
    """Minimum score for each colour; below `yellow` is blue."""

    red: float = Field(default=80, ge=0, le=100)
    orange: float = Field(default=60, ge=0, le=100)
    yellow: float = Field(default=40, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> LevelBands:
        if not self.red >= self.orange >= self.yellow:
            raise ValueError("bands must satisfy red >= orange >= yellow")
        return self

    def level_for(self, score: float) -> Level:
        if score >= self.red:
            return Level.RED
        if score >= self.orange:
            return Level.ORANGE
        if score >= self.yellow:
            return Level.YELLOW
        return Level.BLUE


def _points(default: float, description: str) -> Any:
    return Field(default=default, ge=0, le=100, description=description)


class Weights(_Strict):
    """Points per factor. Zone factors (`restricted_zone`, `zone_<kind>`) take the zone's own
    `points`, and `watch_list` the entry's `points` when it has them."""

    no_ais: Points = _points(40, "A radar/camera track no AIS vouches for, or unidentified.")
    speed: Points = _points(30, "Faster than `speed_kn` (any reported speed of the target).")
    heading_to_shore: Points = _points(20, "Closing on a coastline zone.")
    night: Points = _points(10, "Sun below `night_sun_elevation_deg` at the event.")
    zone_entry: Points = _points(40, "Inside a watched zone.")
    watch_list: Points = _points(30, "On the watch list, when the entry carries no points.")
    encounter: Points = _points(45, "Alongside another vessel (possible transfer).")
    loitering: Points = _points(30, "Slow for long outside ports and anchorages.")
    spoofing: Points = _points(40, "Deception: impossible movement or identity change.")
    ais_gap: Points = _points(30, "AIS went silent inside coverage.")
    camera_confirmation: Points = _points(15, "A camera sees the target.")
    field_report: Points = _points(30, "A person on the ground reported it.")
    sensor_offline: Points = _points(20, "A sensor stopped reporting.")
    identity_fault: Points = _points(
        10, "An invalid MMSI alone: a misconfigured transponder until other factors join."
    )
    type_mismatch: Points = _points(30, "Declared fishing/pleasure, moving as a speedboat.")
    judged_speedboat: Points = _points(
        15, "Judged a speedboat by its movement where no type is declared (or it is contradicted)."
    )


class InhibitRule(_Strict):
    """An event of kind `event` folds into the open `into` alert of the same target instead of
    raising its own (e.g. a camera sighting of a dark target confirms that alert)."""

    event: EventKind
    into: EventKind

    @model_validator(mode="after")
    def _distinct(self) -> InhibitRule:
        if self.event == self.into:
            raise ValueError("event and into must be different kinds")
        return self


class AckDeadlines(_Strict):
    """Seconds an alert of each level may stay unacknowledged; null never escalates."""

    red: float | None = Field(default=120, gt=0)
    orange: float | None = Field(default=600, gt=0)
    yellow: float | None = Field(default=1800, gt=0)
    blue: float | None = None

    def for_level(self, level: Level) -> float | None:
        value: float | None = getattr(self, level.value)
        return value


class EscalationConfig(_Strict):
    ack_deadline_s: AckDeadlines = AckDeadlines()
    max_escalations: int = Field(default=5, ge=0, le=100)
    interval_s: float = Field(default=5.0, gt=0, le=3600, description="How often to check.")


class WebhookSpec(_Strict):
    """A receiver of alert changes (the Alert JSON, as on the bus). Filters left out match
    everything; `jurisdictions` match an alert in that area or any area below it."""

    url: WebhookUrl
    min_level: Level = Field(default=Level.YELLOW, description="This level and above.")
    kinds: tuple[EventKind, ...] | None = Field(default=None, min_length=1)
    jurisdictions: tuple[Annotated[str, Field(pattern=JURISDICTION_ID)], ...] | None = Field(
        default=None, min_length=1
    )
    secret: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Signs the body: X-ShoreWatch-Signature: sha256=<HMAC-SHA256 hex>.",
    )


class AlertConfig(_Strict):
    levels: LevelBands = LevelBands()
    weights: Weights = Weights()
    speed_kn: float = Field(default=30.0, gt=0, le=200, description="Threshold of `speed`.")
    night_sun_elevation_deg: float = Field(
        default=-6.0, ge=-18, le=0, description="-6: civil twilight; -12 nautical; -18 astro."
    )
    repeat_points: float = Field(default=5.0, ge=0, description="Per further event, capped.")
    repeat_points_max: float = Field(default=20.0, ge=0)
    inhibit: list[InhibitRule] = Field(
        default_factory=lambda: [
            InhibitRule(event=EventKind.CAMERA_TARGET, into=EventKind.DARK_TARGET)
        ]
    )
    escalation: EscalationConfig = EscalationConfig()
    webhooks: list[WebhookSpec] = Field(default_factory=list)
    silence_sweep_s: float = Field(
        default=5.0, gt=0, le=3600, description="How often silences that start or end apply."
    )
