"""The one schema every stage speaks: what travels on the bus and what the store keeps.

Frozen models with unknown keys refused, so a typo in a producer fails at the edge instead of
becoming a silently ignored field downstream. Every message carries its sensor's event time.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

SCHEMA_VERSION = 1

Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]
Degrees = Annotated[float, Field(ge=0.0, lt=360.0)]
Knots = Annotated[float, Field(ge=0.0, le=200.0)]
Score = Annotated[float, Field(ge=0.0, le=100.0)]
FactValue = float | int | str | bool


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(StrEnum):
    AIS = "ais"
    RADAR = "radar"
    CAMERA = "camera"
    REPORT = "report"


class Observation(Frozen):
    """One sighting of one target by one sensor at one instant."""

    type: Literal["observation"] = "observation"
    schema_version: int = SCHEMA_VERSION
    source: Source
    sensor_id: str = Field(min_length=1, max_length=64)
    target_ref: str = Field(min_length=1, max_length=64)
    time: AwareDatetime
    lat: Latitude
    lon: Longitude
    sog_kn: Knots | None = None
    cog_deg: Degrees | None = None
    heading_deg: Degrees | None = None
    length_m: Annotated[float, Field(ge=0.0, le=600.0)] | None = None
    label: str | None = Field(default=None, max_length=64)
    confidence: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    bbox: tuple[float, float, float, float] | None = None

    @property
    def natural_key(self) -> tuple[str, str, str, datetime]:
        """What makes a replay of the same input land on the same row."""
        return (self.source.value, self.sensor_id, self.target_ref, self.time)


class TrackEnd(Frozen):
    """A sensor says it lost a target (radar status `L`): its track ends now, not at timeout."""

    type: Literal["track_end"] = "track_end"
    schema_version: int = SCHEMA_VERSION
    source: Source
    sensor_id: str = Field(min_length=1, max_length=64)
    target_ref: str = Field(min_length=1, max_length=64)
    time: AwareDatetime


class VesselStatic(Frozen):
    """Identity and dimensions a vessel broadcasts about itself (AIS types 5, 19, 24)."""

    type: Literal["vessel_static"] = "vessel_static"
    schema_version: int = SCHEMA_VERSION
    sensor_id: str = Field(min_length=1, max_length=64)
    time: AwareDatetime
    mmsi: int = Field(ge=0, le=999_999_999)
    imo: int | None = Field(default=None, ge=0, le=9_999_999)
    name: str | None = Field(default=None, max_length=64)
    callsign: str | None = Field(default=None, max_length=16)
    ship_type: int | None = Field(default=None, ge=0, le=255)
    length_m: Annotated[float, Field(ge=0.0, le=1023.0)] | None = None
    beam_m: Annotated[float, Field(ge=0.0, le=126.0)] | None = None


class EventKind(StrEnum):
    DARK_TARGET = "dark_target"
    AIS_GAP = "ais_gap"
    ENCOUNTER = "encounter"
    LOITERING = "loitering"
    ZONE_ENTRY = "zone_entry"
    HIGH_SPEED = "high_speed"
    SPOOFING = "spoofing"
    WATCHLIST_SIGHTING = "watchlist_sighting"
    CAMERA_TARGET = "camera_target"
    SENSOR_OFFLINE = "sensor_offline"
    FIELD_REPORT = "field_report"
    TYPE_MISMATCH = "type_mismatch"


class Event(Frozen):
    """A detector's finding about one episode; re-published with `end` set when it closes."""

    type: Literal["event"] = "event"
    schema_version: int = SCHEMA_VERSION
    id: uuid.UUID
    kind: EventKind
    start: AwareDatetime
    end: AwareDatetime | None = None
    lat: Latitude
    lon: Longitude
    targets: tuple[str, ...] = Field(min_length=1)
    zone: str | None = None
    facts: dict[str, FactValue] = Field(default_factory=dict)
    config_version: str
    evidence: tuple[str, ...] = ()

    @property
    def primary_target(self) -> str:
        return self.targets[0]


class Level(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"


class AlertState(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    RESOLVED = "resolved"
    REVIEWED = "reviewed"


OPEN_STATES = frozenset({AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.DISPATCHED})


class Outcome(StrEnum):
    """How a resolved alert turned out; feeds the statistics and the reviewer."""

    CONFIRMED = "confirmed"
    FALSE_ALARM = "false_alarm"
    BENIGN = "benign"


class ScoreFactor(Frozen):
    """One line of an alert's explanation: why it scored what it scored."""

    name: str
    points: float
    detail: str = ""


class Alert(Frozen):
    type: Literal["alert"] = "alert"
    schema_version: int = SCHEMA_VERSION
    id: uuid.UUID
    kind: EventKind
    target: str
    score: Score
    level: Level
    factors: tuple[ScoreFactor, ...] = ()
    state: AlertState = AlertState.NEW
    lat: Latitude
    lon: Longitude
    zone: str | None = None
    jurisdiction: str | None = None
    event_ids: tuple[uuid.UUID, ...] = Field(min_length=1)
    event_count: int = Field(ge=1)
    created_at: AwareDatetime
    updated_at: AwareDatetime
    acknowledged_by: str | None = None
    outcome: Outcome | None = None
    acknowledged_at: AwareDatetime | None = None
    dispatched_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    reviewed_at: AwareDatetime | None = None
    escalations: int = Field(default=0, ge=0)
    """Times it went unacknowledged past its level's deadline; each raised the level once."""
    escalated_at: AwareDatetime | None = None
    silenced: bool = False
    """A silence matched its latest event: kept and listed, but not pushed to the bus."""


class AuditEntry(Frozen):
    """One append-only line of an alert's history: who did what, when, and why."""

    at: AwareDatetime
    actor: str
    action: str
    from_state: AlertState | None
    to_state: AlertState
    note: str = ""


class ComponentStatus(Frozen):
    """Retained health message; the broker publishes the offline form as our last will."""

    type: Literal["status"] = "status"
    schema_version: int = SCHEMA_VERSION
    component: str
    online: bool


UnitId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]
"""Safe as one MQTT topic level: no `/`, `+` or `#`."""


class UnitKind(StrEnum):
    SEA = "sea"
    LAND = "land"


class UnitState(StrEnum):
    AVAILABLE = "available"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    RETURNING = "returning"
    OUT_OF_SERVICE = "out_of_service"


class UnitPosition(Frozen):
    """A patrol unit's own fix (its tracker or crew app); kept in `unit_positions`."""

    type: Literal["unit_position"] = "unit_position"
    schema_version: int = SCHEMA_VERSION
    unit_id: UnitId
    time: AwareDatetime
    lat: Latitude
    lon: Longitude
    sog_kn: Knots | None = None
    cog_deg: Degrees | None = None


class UnitStateReport(Frozen):
    """A unit telling the centre where it stands (on scene, back at base) over MQTT."""

    type: Literal["unit_state"] = "unit_state"
    schema_version: int = SCHEMA_VERSION
    unit_id: UnitId
    state: UnitState
    time: AwareDatetime
    note: str = Field(default="", max_length=2000)


class UnitNotice(Frozen):
    """What an assigned unit is told: the alert, where the target is, and the dispatcher's note."""

    type: Literal["unit_notice"] = "unit_notice"
    schema_version: int = SCHEMA_VERSION
    unit_id: UnitId
    alert_id: uuid.UUID
    kind: EventKind
    target: str
    level: Level
    lat: Latitude
    lon: Longitude
    distance_m: float | None = Field(default=None, ge=0.0)
    eta_s: float | None = Field(default=None, ge=0.0)
    note: str = Field(default="", max_length=2000)
    assigned_by: str
    assigned_at: AwareDatetime


Message = Annotated[
    Observation
    | TrackEnd
    | VesselStatic
    | Event
    | Alert
    | ComponentStatus
    | UnitPosition
    | UnitStateReport
    | UnitNotice,
    Field(discriminator="type"),
]
MESSAGE_ADAPTER: TypeAdapter[Message] = TypeAdapter(Message)
