"""Radar ARPA targets (NMEA TTM/TLL) to observations: a pure decoder, one line at a time.

Pure (no I/O, no sockets, no clock reads): the caller passes each line with the time it arrived,
so replaying a capture decodes exactly as it did live. TLL carries a target's position; TTM
carries range and bearing, placed from the fixed shore site or, on a vessel, the latest own-ship
fix. Own-ship sentences only update that context (fix, heading, date). Every line lands in
exactly one `RadarOutcome`, so `stats` accounts for the whole feed.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from pynmeagps import VALNONE, NMEAReader, calc_checksum, get_parts

from ingest.nmea_time import TagBlockError, nearest_day, split_tag_block
from shorewatch.events import Observation, Source

EARTH_RADIUS_M = 6_371_008.8
# TTM distance unit -> metres; its speed unit is the same per hour.
UNIT_M = {"N": 1852.0, "K": 1000.0, "S": 1609.344}
RADAR_SENTENCES = frozenset({"TTM", "TLL"})
FIX_SENTENCES = frozenset({"RMC", "GGA", "GLL"})
OWN_SHIP_SENTENCES = FIX_SENTENCES | {"HDG", "HDT", "ZDA", "VTG"}
MAX_SENSOR_ID = 60  # leaves room for "-NNN" within Observation.target_ref's 64 characters


class RadarOutcome(StrEnum):
    TARGET = "target"
    LOST = "lost"
    OWN_SHIP = "own_ship"
    NOT_RADAR = "not_radar"
    CHECKSUM = "checksum"
    MALFORMED = "malformed"
    NO_POSITION = "no_position"
    QUERY = "query"


@dataclass(frozen=True)
class RadarSite:
    """A fixed shore radar from config; heading_deg turns relative bearings into true ones."""

    lat: float
    lon: float
    heading_deg: float | None = None


class _MalformedError(Exception):
    """A sentence we use lacks a field we need, or carries an impossible value."""


def destination(
    lat: float, lon: float, bearing_deg: float, distance_m: float
) -> tuple[float, float]:
    """Great-circle destination on a spherical earth: well within radar accuracy at a few nm."""
    phi1, lam1, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    delta = distance_m / EARTH_RADIUS_M
    phi2 = math.asin(
        math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    return math.degrees(phi2), (math.degrees(lam2) + 540.0) % 360.0 - 180.0


def _num(msg: Any, name: str) -> float | None:
    """pynmeagps gives "" for an empty field (and no attribute at all for a truncated one)."""
    value = getattr(msg, name, "")
    return None if value == "" else float(value)


def _text(msg: Any, name: str) -> str:
    return str(getattr(msg, name, "")).strip()


def _signed(msg: Any, name: str, hemisphere: str, negative: str) -> float | None:
    """pynmeagps signs only `lat`/`lon`; TLL's `targetlat` and HDG's E/W fields come unsigned."""
    value = _num(msg, name)
    return None if value is None else -abs(value) if _text(msg, hemisphere) == negative else value


class RadarDecoder:
    """One radar's sentence stream; keeps the own-ship context the TTM geometry needs."""

    def __init__(
        self,
        sensor_id: str,
        *,
        site: RadarSite | None = None,
        use_own_ship_fix: bool = True,
        on_outcome: Callable[[RadarOutcome, str], None] | None = None,
    ) -> None:
        if not 1 <= len(sensor_id) <= MAX_SENSOR_ID:
            raise ValueError(f"sensor_id must be 1..{MAX_SENSOR_ID} characters: {sensor_id!r}")
        self.sensor_id = sensor_id
        self.site = site
        self.use_own_ship_fix = use_own_ship_fix
        self._on_outcome = on_outcome
        self.stats: Counter[str] = Counter()
        self.lost_targets: list[str] = []
        self.lost_at: datetime | None = None
        """The radar's own time on the line that declared `lost_targets` lost."""
        self._fix: tuple[float, float] | None = None
        self._heading: float | None = None  # true, from HDT or HDG corrected for variation
        self._variation: float | None = None  # from RMC, for an HDG that omits its own
        self._clock: datetime | None = None  # latest UTC date and time from RMC/ZDA
        self._tag_time: datetime | None = None  # the current line's tag block `c:`

    def feed(self, line: bytes | str, received_at: datetime) -> tuple[Observation, ...]:
        """Decode one line; never raises: anything unexpected counts as malformed."""
        self.lost_targets = []
        observations: tuple[Observation, ...] = ()
        try:
            text = (line.decode("ascii") if isinstance(line, bytes) else line).strip()
            outcome, observations = self._decode(text, received_at)
        except Exception:
            outcome, observations = RadarOutcome.MALFORMED, ()
        self.stats[outcome.value] += 1
        if self._on_outcome is not None:
            shown = line.decode("ascii", "replace") if isinstance(line, bytes) else line
            # A failing logger or metric must not stop the feed.
            with contextlib.suppress(Exception):
                self._on_outcome(outcome, shown.strip())
        return observations

    def _decode(
        self, text: str, received_at: datetime
    ) -> tuple[RadarOutcome, tuple[Observation, ...]]:
        tag_time = None
        if text.startswith("\\"):
            try:
                tag, rest = split_tag_block(text.encode("ascii"))
            except TagBlockError as exc:
                return (RadarOutcome.CHECKSUM if exc.checksum else RadarOutcome.MALFORMED), ()
            text = rest.decode("ascii")
            tag_time = None if tag is None else tag.time
        self._tag_time = tag_time
        if not text.startswith(("$", "!")):
            raise _MalformedError("not an NMEA sentence")
        content, _talker, msgid, _payload, checksum = get_parts(text)
        # Sentences we do not use are not ours to judge: a depth sounder's odd field is no radar
        # fault (and not parsing them halves the work on a busy instrument bus).
        if msgid not in RADAR_SENTENCES | OWN_SHIP_SENTENCES:
            return RadarOutcome.NOT_RADAR, ()
        # Checked here rather than by parse(), so CHECKSUM needs no matching of error text.
        if checksum.strip().upper() != calc_checksum(content):
            return RadarOutcome.CHECKSUM, ()
        msg = NMEAReader.parse(text, validate=VALNONE)
        if msgid in OWN_SHIP_SENTENCES:
            self._own_ship(msgid, msg)
            return RadarOutcome.OWN_SHIP, ()
        number = getattr(msg, "targetnum", "")
        if not isinstance(number, int):
            raise _MalformedError("no target number")
        ref = f"{self.sensor_id}-{number}"
        status = _text(msg, "targetstatus" if msgid == "TTM" else "status").upper()
        if status == "L":
            self.lost_targets.append(ref)
            self.lost_at = self._event_time(getattr(msg, "time", ""), received_at)
            return RadarOutcome.LOST, ()
        if status == "Q":  # still acquiring: no stable track to report yet
            return RadarOutcome.QUERY, ()
        if status not in ("", "T"):
            raise _MalformedError(f"target status {status!r}")
        when = self._event_time(getattr(msg, "time", ""), received_at)
        sog = cog = None
        if msgid == "TLL":
            lat, lon = (
                _signed(msg, "targetlat", "targetlatNS", "S"),
                _signed(msg, "targetlon", "targetlonEW", "W"),
            )
            if lat is None or lon is None:
                raise _MalformedError("TLL without position")
        else:
            placed = self._place(msg)
            if placed is None:
                return RadarOutcome.NO_POSITION, ()
            lat, lon, sog, cog = placed
        label = _text(msg, "targetname")[:64] or None
        obs = Observation(
            source=Source.RADAR,
            sensor_id=self.sensor_id,
            target_ref=ref,
            time=when,
            lat=lat,
            lon=lon,
            sog_kn=sog,
            cog_deg=cog,
            label=label,
        )
        return RadarOutcome.TARGET, (obs,)

    def _place(self, msg: Any) -> tuple[float, float, float | None, float | None] | None:
        """TTM range/bearing to lat/lon, speed (kn) and true course; None if it cannot be placed."""
        distance, bearing = _num(msg, "targetdist"), _num(msg, "targetbearing")
        unit_m = UNIT_M.get(_text(msg, "speedu").upper())
        bearing_unit = _text(msg, "targetbearingu").upper()
        if (
            distance is None
            or bearing is None
            or unit_m is None
            or distance < 0
            or bearing_unit not in ("T", "R")
        ):
            raise _MalformedError("TTM without usable range, bearing or units")
        heading = self._heading
        if self.site is not None and self.site.heading_deg is not None:
            heading = self.site.heading_deg
        origin = (
            (self.site.lat, self.site.lon)
            if self.site is not None
            else (self._fix if self.use_own_ship_fix else None)
        )
        if origin is None or (bearing_unit == "R" and heading is None):
            return None
        if bearing_unit == "R" and heading is not None:
            bearing += heading
        lat, lon = destination(origin[0], origin[1], bearing % 360.0, distance * unit_m)
        speed = _num(msg, "targetspeed")
        sog = None if speed is None else speed * unit_m / 1852.0
        if sog is not None and not 0.0 <= sog <= 200.0:
            sog = None  # an impossible speed should not cost the position
        course, course_unit = _num(msg, "targetcourse"), _text(msg, "targetcourseu").upper()
        cog = None
        if course is not None and course_unit == "T":
            cog = course % 360.0
        elif course is not None and course_unit == "R" and heading is not None:
            cog = (course + heading) % 360.0
        return lat, lon, sog, cog

    def _own_ship(self, msgid: str, msg: Any) -> None:
        """Update fix, heading, variation and date; a void fix leaves the last good one."""
        if msgid in FIX_SENTENCES:
            quality = getattr(msg, "quality", "")
            valid = quality not in ("", 0) if msgid == "GGA" else _text(msg, "status") == "A"
            lat, lon = _num(msg, "lat"), _num(msg, "lon")
            if valid and lat is not None and lon is not None:
                self._fix = (lat, lon)
        if msgid == "RMC" and _text(msg, "status") == "A":
            day, tod = getattr(msg, "date", ""), getattr(msg, "time", "")
            if isinstance(day, date):
                self._clock = datetime.combine(
                    day, tod.replace(tzinfo=None) if isinstance(tod, time) else time(), UTC
                )
            variation = _signed(msg, "mv", "mvEW", "W")
            if variation is not None:
                self._variation = variation
        elif msgid == "ZDA":
            year, month, day_, tod = (getattr(msg, k, "") for k in ("year", "month", "day", "time"))
            if isinstance(year, int) and isinstance(month, int) and isinstance(day_, int):
                self._clock = datetime.combine(
                    date(year, month, day_),
                    tod.replace(tzinfo=None) if isinstance(tod, time) else time(),
                    UTC,
                )
        elif msgid == "HDT":
            heading = _num(msg, "headingT")
            if heading is not None:
                self._heading = heading % 360.0
        elif msgid == "HDG":  # magnetic sensor heading: true = sensor + deviation + variation
            heading = _num(msg, "headingM")
            if heading is not None:
                deviation = _signed(msg, "deviation", "deviationEW", "W") or 0.0
                variation = _signed(msg, "variation", "variationEW", "W")
                if variation is None:
                    variation = self._variation or 0.0
                self._heading = (heading + deviation + variation) % 360.0

    def _event_time(self, tod: object, received_at: datetime) -> datetime:
        """UTC time of day on the date of the line's tag block, else of the latest RMC/ZDA, else of
        `received_at`: the day (before, of or after) nearest that clock."""
        received = (
            received_at.astimezone(UTC)
            if received_at.tzinfo is not None
            else received_at.replace(tzinfo=UTC)
        )  # naive: taken as UTC
        if not isinstance(tod, time):
            return self._tag_time or received
        return nearest_day(tod, self._tag_time or self._clock or received)
