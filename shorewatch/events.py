"""The one schema every stage speaks: what travels on the bus and what the store keeps.

Frozen models with unknown keys refused, so a typo in a producer fails at the edge instead of
becoming a silently ignored field downstream. Every message carries its sensor's event time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Literal, Self, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SerializeAsAny, TypeAdapter

SCHEMA_VERSION = 1

Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]
Degrees = Annotated[float, Field(ge=0.0, lt=360.0)]
Knots = Annotated[float, Field(ge=0.0, le=200.0)]
Score = Annotated[float, Field(ge=0.0, le=100.0)]
FactValue = float | int | str | bool


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def from_checked(cls, values: Mapping[str, object]) -> Self:
        """An instance from values the caller has already checked against every constraint of
        the model, with no validation pass.

        For decoders that make tens of thousands of reports a second, where validation costs
        more than the rest of the decoding (and `model_construct`'s generic loop more than
        validation). The result equals what validating the same values gives: same fields in
        the same order, same `model_fields_set`. A value not checked must go through
        `cls(**values)` instead. The hottest callers keep `checked_constructor()` at hand.
        """
        return cls.checked_constructor()(values)

    @classmethod
    def checked_constructor(cls) -> Callable[[Mapping[str, object]], Self]:
        """`from_checked` as a function of the values alone, made once per class."""
        return _checked_constructor(cls)


F = TypeVar("F", bound=Frozen)


@cache
def _checked_constructor(model: type[F]) -> Callable[[Mapping[str, object]], F]:
    template, required = _construction_template(model)
    size = len(template)
    new = model.__new__
    set_attribute = object.__setattr__

    def construct(values: Mapping[str, object]) -> F:
        fields = {**template, **values}  # declaration order, as validation leaves it
        if len(fields) != size or not required <= values.keys():
            raise TypeError(f"{model.__name__}: unknown or missing fields in {sorted(values)}")
        instance = new(model)
        set_attribute(instance, "__dict__", fields)
        set_attribute(instance, "__pydantic_fields_set__", set(values))
        set_attribute(instance, "__pydantic_extra__", None)
        set_attribute(instance, "__pydantic_private__", None)
        return instance

    return construct


def _construction_template(model: type[Frozen]) -> tuple[dict[str, object], frozenset[str]]:
    """Every field in declaration order with its default (None for a required one), and the
    required names; a default factory is refused rather than shared between instances."""
    template: dict[str, object] = {}
    required: set[str] = set()
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            raise TypeError(f"{model.__name__}.{name}: from_checked has no default factories")
        if field.is_required():
            required.add(name)
            template[name] = None
        else:
            template[name] = field.default
    return template, frozenset(required)


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


class EventBatch(Frozen):
    """The events of one kind that handling one bus message raised (a detector's whole
    observation batch), in the order they were raised, in one message on `events/{kind}`: at
    thousands of events a second the broker and every subscriber would otherwise spend their
    time on one MQTT round trip per event. Subscribers get the events one by one
    (`Bus.subscribe`), as if published singly; a single `Event` message stays valid."""

    type: Literal["event_batch"] = "event_batch"
    schema_version: int = SCHEMA_VERSION
    items: tuple[Event, ...] = Field(min_length=1)


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
    """A silence in force matches it: kept and listed, but not pushed to the bus."""
    jurisdictions: tuple[str, ...] = ()
    """Every jurisdiction its target has been in while the alert was open (`jurisdiction` is
    the latest, None when it is now outside every area); users of each of them see it."""
    unsilenced_at: AwareDatetime | None = None
    """When a silence over it last ended: escalation counts from then, not from its opening."""

    def all_jurisdictions(self) -> frozenset[str]:
        """The areas whose users see this alert (its jurisdictions and the latest one)."""
        latest = () if self.jurisdiction is None else (self.jurisdiction,)
        return frozenset((*self.jurisdictions, *latest))


class AuditEntry(Frozen):
    """One append-only line of an alert's history: who did what, when, and why."""

    at: AwareDatetime
    actor: str
    action: str
    from_state: AlertState | None
    to_state: AlertState
    note: str = ""


class ProcessProblem(Frozen):
    """Something a process knows is wrong with its own work (a retention run that failed)."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$")
    detail: str = Field(max_length=500)


class ComponentStatus(Frozen):
    """Retained health message; the broker publishes the offline form as our last will."""

    type: Literal["status"] = "status"
    schema_version: int = SCHEMA_VERSION
    component: str
    online: bool
    roles: tuple[str, ...] = ()
    """The roles this process runs; a heartbeat says so, the bus's connect/will forms may not."""
    time: AwareDatetime | None = None
    """When a heartbeat was sent; health calls a process stale when this grows old."""
    problems: tuple[ProcessProblem, ...] = ()
    """What the process reports wrong with its own work, as of this heartbeat."""


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


SensorReport = Annotated[Observation | TrackEnd | VesselStatic, Field(discriminator="type")]


class ObservationBatch(Frozen):
    """Many of one sensor's reports in one bus message, in the order they were made: one
    publish, one acknowledgement and one validation for the lot (issue 12, batching)."""

    type: Literal["observation_batch"] = "observation_batch"
    schema_version: int = SCHEMA_VERSION
    # Parsed through the discriminated union; written by each item's own class (SerializeAsAny):
    # the same JSON, a third cheaper than pydantic's union serializer (bench/ingest.py).
    items: tuple[SerializeAsAny[SensorReport], ...] = Field(min_length=1)


class AlertBatch(Frozen):
    """The alerts of one level that one transaction changed, each in its last state, in one bus
    message on `alerts/{level}`: at thousands of events a second the alerts worker, the broker
    and every subscriber would otherwise spend their time on one MQTT round trip per alert.
    Subscribers get the alerts one by one (`Bus.subscribe`), as if published singly."""

    type: Literal["alert_batch"] = "alert_batch"
    schema_version: int = SCHEMA_VERSION
    items: tuple[Alert, ...] = Field(min_length=1)


class PictureTrack(Frozen):
    """One current target of the fused picture, as the console draws it: a radar or camera
    track fused with an AIS vessel is one target (the vessel's key, the echo's key in
    `associated`). The detector fills what it knows; the API adds the alert join
    (`alert_level`, `alert_ids`) and the `jurisdiction` before serving it."""

    key: str = Field(min_length=1, max_length=80)
    sources: tuple[Source, ...] = Field(min_length=1)
    associated: tuple[str, ...] = ()
    mmsi: int | None = Field(default=None, ge=0, le=999_999_999)
    name: str | None = Field(default=None, max_length=64)
    callsign: str | None = Field(default=None, max_length=16)
    ship_type: int | None = Field(default=None, ge=0, le=255)
    ship_type_text: str | None = Field(default=None, max_length=64)
    length_m: Annotated[float, Field(ge=0.0, le=1023.0)] | None = None
    lat: Latitude
    lon: Longitude
    sog_kn: Knots | None = None
    cog_deg: Degrees | None = None
    heading_deg: Degrees | None = None
    last_seen: AwareDatetime
    """Event time of the target's last fix."""
    alert_level: Level | None = None
    alert_ids: tuple[uuid.UUID, ...] = ()
    watchlisted: bool = False
    jurisdiction: str | None = None


class PictureUpdate(Frozen):
    """The detector's changed targets in one tile since its last update, and those gone
    (expired, lost by their sensor, or fused into another target). At most about one per
    second per tile; large batches are split over several messages."""

    type: Literal["picture"] = "picture"
    schema_version: int = SCHEMA_VERSION
    tile: str = Field(min_length=1, max_length=32)
    time: AwareDatetime
    """Wall-clock time the batch was sent."""
    tracks: tuple[PictureTrack, ...] = ()
    removed: tuple[str, ...] = ()


class PtzCue(Frozen):
    """A target for a PTZ camera to look at (`{root}/cameras/{camera}/cue`), from the alerts
    stage or an operator; the camera's driver turns it into a move (shorewatch/ptz_geometry.py)
    and re-aims on every repeat. `release` frees the camera."""

    type: Literal["ptz_cue"] = "ptz_cue"
    schema_version: int = SCHEMA_VERSION
    cue_id: uuid.UUID
    camera: str = Field(min_length=1, max_length=64)
    time: AwareDatetime
    requested_by: str = Field(min_length=1, max_length=128)
    target: str | None = Field(default=None, max_length=128)
    alert_id: uuid.UUID | None = None
    level: Level | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    fix_time: AwareDatetime | None = None
    sog_kn: Knots | None = None
    cog_deg: Degrees | None = None
    length_m: Annotated[float, Field(gt=0.0, le=600.0)] | None = None
    release: bool = False


class PtzReport(Frozen):
    """What a PTZ camera did with a cue (`{root}/cameras/{camera}/ptz`): where it now looks,
    or why it could not (refused by geometry, timed out, credentials refused)."""

    type: Literal["ptz_report"] = "ptz_report"
    schema_version: int = SCHEMA_VERSION
    camera: str = Field(min_length=1, max_length=64)
    time: AwareDatetime
    ok: bool
    cue_id: uuid.UUID | None = None
    alert_id: uuid.UUID | None = None
    target: str | None = Field(default=None, max_length=128)
    pan_deg: float | None = None
    tilt_deg: float | None = None
    zoom: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    hfov_deg: Annotated[float, Field(gt=0.0, lt=180.0)] | None = None
    aim_lat: Latitude | None = None
    aim_lon: Longitude | None = None
    error: str = Field(default="", max_length=500)


Message = Annotated[
    Observation
    | TrackEnd
    | VesselStatic
    | Event
    | EventBatch
    | Alert
    | ComponentStatus
    | UnitPosition
    | UnitStateReport
    | UnitNotice
    | ObservationBatch
    | AlertBatch
    | PictureUpdate
    | PtzCue
    | PtzReport,
    Field(discriminator="type"),
]
MESSAGE_ADAPTER: TypeAdapter[Message] = TypeAdapter(Message)
