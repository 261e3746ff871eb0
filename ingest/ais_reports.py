"""pyais' decoded fields to schema reports: an `Observation` per position, a `VesselStatic` per
identity and size report.

Every value that comes from the air is checked here by hand against the schema's limits (ranges,
finite floats, text lengths, an aware time). When all pass, the report is built without a
pydantic validation pass (`Frozen.from_checked`): at AIS rates validation costs more than the
rest of the decoding. When one fails, the report goes through full validation, which refuses it
exactly as before (INVALID_VALUE, with pydantic's own message). `validate=True` validates every
report: the reference the fast path is tested against on every real capture.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ingest.ais_bits import PositionValues
from shorewatch.events import Observation, Source, VesselStatic

MAX_REF = 64  # Observation.target_ref
MAX_NAME = 64  # VesselStatic.name
MAX_CALLSIGN = 16  # VesselStatic.callsign
MAX_MMSI = 999_999_999
MAX_OBSERVED_LENGTH = 600.0  # Observation.length_m
MAX_STATIC_LENGTH = 1023.0  # VesselStatic.length_m
MAX_BEAM = 126.0  # VesselStatic.beam_m
MAX_SPEED = 200.0  # Knots


def text(value: object) -> str | None:
    """AIS pads strings with '@' (6-bit zero) and spaces; nothing left means not sent."""
    return None if value is None else (str(value).strip("@ ") or None)


def span(a: object, b: object) -> float | None:
    """Length from bow + stern (or beam from port + starboard); 0 means not available."""
    if not isinstance(a, int) or not isinstance(b, int) or a + b <= 0:
        return None
    return float(a + b)


def _in(value: float | None, low: float, high: float) -> bool:
    """None, or a float within [low, high]: NaN fails every comparison, and the limits are
    finite, so infinities fail too."""
    return value is None or (type(value) is float and low <= value <= high)


class ReportBuilder:
    """One receiver's reports; `validate` forces the pydantic-validated construction."""

    def __init__(self, sensor_id: str, *, validate: bool = False) -> None:
        self.sensor_id = sensor_id
        self.validate = validate
        self._new_observation = Observation.checked_constructor()
        self._new_static = VesselStatic.checked_constructor()

    def position(self, ais_id: int, fields: Any, when: datetime) -> Observation | None:
        """None when the position is "not available" (lat 91 / lon 181) or out of range."""
        length = span(fields.to_bow, fields.to_stern) if ais_id == 19 else None
        heading = getattr(fields, "heading", None)  # type 27 has none
        return self.position_of(
            ais_id,
            fields.mmsi,
            fields.lat,
            fields.lon,
            fields.speed,
            fields.course,
            heading,
            length,
            when,
        )

    def position_of(
        self,
        ais_id: int,
        mmsi: object,
        lat: float | None,
        lon: float | None,
        speed: float | None,
        course: float | None,
        heading: int | None,
        length: float | None,
        when: datetime,
    ) -> Observation | None:
        """`position` from the values themselves (ingest/ais_bits.py reads them from bits)."""
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        speed_na = 63.0 if ais_id == 27 else 102.3  # 102.2 means "102.2 kn or more"
        ref = str(mmsi)
        lat, lon = float(lat), float(lon)
        sog = None if speed is None or speed > speed_na - 0.05 else float(speed)
        cog = None if course is None or course >= 360 else float(course)
        hdg = None if heading is None or heading >= 360 else float(heading)
        # Written out rather than through _in: this runs for every position report.
        # NaN fails every comparison and the limits are finite, so infinities fail too.
        checked = (
            not self.validate
            and 0 < len(ref) <= MAX_REF
            and when.tzinfo is UTC
            and -90.0 <= lat <= 90.0
            and -180.0 <= lon <= 180.0
            and (sog is None or 0.0 <= sog <= MAX_SPEED)
            and (cog is None or 0.0 <= cog < 360.0)
            and (hdg is None or 0.0 <= hdg < 360.0)
            and (length is None or 0.0 <= length <= MAX_OBSERVED_LENGTH)
        )
        return self._observation(ref, when, lat, lon, sog, cog, hdg, length, checked=checked)

    def position_from_bits(self, bits: PositionValues, when: datetime) -> Observation | None:
        """`position_of` for a report read from the payload bits (ingest/ais_bits.py), whose
        values cannot fail most of its checks: an MMSI of 30 bits, speed, course and heading of
        a few bits scaled (types 1, 2, 3 and 18: speed 102.3 kn means not available), finite
        degrees. Only what they can fail is checked; the most frequent call of all."""
        if self.validate:
            return self.position_of(
                bits.ais_id,
                bits.mmsi,
                bits.lat,
                bits.lon,
                bits.speed,
                bits.course,
                bits.heading,
                None,
                when,
            )
        lat, lon, speed, course, heading = bits.lat, bits.lon, bits.speed, bits.course, bits.heading
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            return None
        return self._observation(
            str(bits.mmsi),
            when,
            lat,
            lon,
            None if speed > 102.25 else speed,
            None if course >= 360.0 else course,
            None if heading >= 360 else float(heading),
            None,
            checked=when.tzinfo is UTC,
        )

    def _observation(
        self,
        ref: str,
        when: datetime,
        lat: float,
        lon: float,
        sog: float | None,
        cog: float | None,
        hdg: float | None,
        length: float | None,
        *,
        checked: bool,
    ) -> Observation:
        """Built without validation when every value was `checked`, else validated."""
        values = {
            "source": Source.AIS,
            "sensor_id": self.sensor_id,
            "target_ref": ref,
            "time": when,
            "lat": lat,
            "lon": lon,
            "sog_kn": sog,
            "cog_deg": cog,
            "heading_deg": hdg,
            "length_m": length,
        }
        return self._new_observation(values) if checked else Observation(**values)

    def static(self, fields: Any, when: datetime) -> VesselStatic:
        imo = getattr(fields, "imo", None)
        ship_type = getattr(fields, "ship_type", None)
        name = text(getattr(fields, "shipname", None))
        callsign = text(getattr(fields, "callsign", None))
        mmsi = fields.mmsi
        # An IMO number has 7 digits; 0 (and anything longer) is "none given", and a bad one
        # should not cost the name and dimensions sent with it.
        imo_number = imo if isinstance(imo, int) and 0 < imo <= 9_999_999 else None
        stype = int(ship_type) if ship_type else None  # 0 is "not available"
        length = span(getattr(fields, "to_bow", None), getattr(fields, "to_stern", None))
        beam = span(getattr(fields, "to_port", None), getattr(fields, "to_starboard", None))
        values = {
            "sensor_id": self.sensor_id,
            "time": when,
            "mmsi": mmsi,
            "imo": imo_number,
            "name": name,
            "callsign": callsign,
            "ship_type": stype,
            "length_m": length,
            "beam_m": beam,
        }
        checked = (
            not self.validate
            and type(mmsi) is int
            and 0 <= mmsi <= MAX_MMSI
            and when.tzinfo is UTC
            and (imo_number is None or type(imo_number) is int)
            and (name is None or len(name) <= MAX_NAME)
            and (callsign is None or len(callsign) <= MAX_CALLSIGN)
            and (stype is None or 0 <= stype <= 255)
            and _in(length, 0.0, MAX_STATIC_LENGTH)
            and _in(beam, 0.0, MAX_BEAM)
        )
        return self._new_static(values) if checked else VesselStatic(**values)
