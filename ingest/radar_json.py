"""JSON tracks from radars that run their own tracker and publish over MQTT: a pure decoder.

One payload is one track report (or an array of them, one per track of a scan). The position
is either given (`lat`/`lon`) or measured from the configured site (`range_m`/`bearing_deg`,
bearing true or relative to the site's heading). Like the NMEA decoder it never raises and
puts every report in exactly one `JsonOutcome`, so `stats` accounts for the whole feed.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ingest.json_feed import InvalidJson, json_items, summary
from ingest.nmea_radar import RadarSite, destination
from shorewatch.events import (
    Degrees,
    Knots,
    Latitude,
    Longitude,
    Observation,
    Source,
    TrackEnd,
)

RadarMessage = Observation | TrackEnd


class JsonOutcome(StrEnum):
    TARGET = "target"
    LOST = "lost"
    QUERY = "query"
    NO_POSITION = "no_position"  # range/bearing with no site, or relative with no heading
    INVALID_JSON = "invalid_json"
    SCHEMA = "schema"


JSON_REJECTIONS = frozenset({JsonOutcome.NO_POSITION, JsonOutcome.INVALID_JSON, JsonOutcome.SCHEMA})


class RadarTrackReport(BaseModel):
    """One track as the radar reports it; `status` follows NMEA TTM: T tracking, Q acquiring,
    L lost. A tracking report needs exactly one position form; `cog_deg` is a true course."""

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    track: str = Field(min_length=1, max_length=32)
    time: AwareDatetime
    status: Literal["T", "Q", "L"] = "T"
    lat: Latitude | None = None
    lon: Longitude | None = None
    range_m: Annotated[float, Field(ge=0.0, le=200_000.0)] | None = None
    bearing_deg: Degrees | None = None
    bearing_ref: Literal["true", "relative"] = "true"
    sog_kn: Knots | None = None
    cog_deg: Degrees | None = None
    label: str | None = Field(default=None, max_length=64)
    length_m: Annotated[float, Field(ge=0.0, le=600.0)] | None = None
    """The target's size as the radar estimates it (echo extent), where it reports one."""

    @model_validator(mode="after")
    def _one_position_form(self) -> RadarTrackReport:
        absolute = (self.lat is not None, self.lon is not None)
        polar = (self.range_m is not None, self.bearing_deg is not None)
        if len(set(absolute)) > 1 or len(set(polar)) > 1:
            raise ValueError("give lat with lon, and range_m with bearing_deg")
        if all(absolute) and all(polar):
            raise ValueError("give lat/lon or range_m/bearing_deg, not both")
        if self.status == "T" and not (all(absolute) or all(polar)):
            raise ValueError("a tracking report needs lat/lon or range_m/bearing_deg")
        return self


class RadarJsonDecoder:
    """One radar's JSON feed: reports in, observations and track ends out."""

    def __init__(
        self,
        sensor_id: str,
        *,
        site: RadarSite | None = None,
        on_outcome: Callable[[JsonOutcome, str], None] | None = None,
    ) -> None:
        self.sensor_id = sensor_id
        self.site = site
        self._on_outcome = on_outcome
        self.stats: Counter[str] = Counter()

    def feed(self, payload: bytes | str) -> tuple[RadarMessage, ...]:
        """Decode one payload; a bad report is counted and skipped, never raised."""
        try:
            items = json_items(payload)
        except InvalidJson as exc:
            self._count(JsonOutcome.INVALID_JSON, str(exc))
            return ()
        if not items:
            self._count(JsonOutcome.SCHEMA, "empty array")
        messages: list[RadarMessage] = []
        for item in items:
            try:
                report = RadarTrackReport.model_validate(item)
                outcome, message = self._convert(report)
            except ValidationError as exc:
                self._count(JsonOutcome.SCHEMA, summary(exc, "report"))
                continue
            self._count(outcome, "" if message is not None else f"track {report.track}")
            if message is not None:
                messages.append(message)
        return tuple(messages)

    def _convert(self, report: RadarTrackReport) -> tuple[JsonOutcome, RadarMessage | None]:
        ref = f"{self.sensor_id}-{report.track}"
        if report.status == "L":
            end = TrackEnd(
                source=Source.RADAR, sensor_id=self.sensor_id, target_ref=ref, time=report.time
            )
            return JsonOutcome.LOST, end
        if report.status == "Q":  # still acquiring: no stable track to report yet
            return JsonOutcome.QUERY, None
        position = self._place(report)
        if position is None:
            return JsonOutcome.NO_POSITION, None
        obs = Observation(
            source=Source.RADAR,
            sensor_id=self.sensor_id,
            target_ref=ref,
            time=report.time,
            lat=position[0],
            lon=position[1],
            sog_kn=report.sog_kn,
            cog_deg=report.cog_deg,
            label=report.label,
            length_m=report.length_m,
        )
        return JsonOutcome.TARGET, obs

    def _place(self, report: RadarTrackReport) -> tuple[float, float] | None:
        if report.lat is not None and report.lon is not None:
            return report.lat, report.lon
        if report.range_m is None or report.bearing_deg is None or self.site is None:
            return None
        bearing = report.bearing_deg
        if report.bearing_ref == "relative":
            if self.site.heading_deg is None:
                return None
            bearing += self.site.heading_deg
        return destination(self.site.lat, self.site.lon, bearing % 360.0, report.range_m)

    def _count(self, outcome: JsonOutcome, detail: str) -> None:
        self.stats[outcome.value] += 1
        if self._on_outcome is not None:
            # A failing logger or metric must not stop the feed.
            with contextlib.suppress(Exception):
                self._on_outcome(outcome, detail)
