"""Solar elevation, for the `night` scoring factor: darkness is when the sun is below the
horizon by more than a set angle at the target, not a fixed clock hour, so the factor holds in
a Nordic summer and winter alike.

The low-precision formulas of the Astronomical Almanac (section C, "Sun"): better than 0.01°
in declination from 1950 to 2050, far finer than the twilight boundary needs.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

_J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)


def elevation_deg(at: datetime, lat: float, lon: float) -> float:
    """Degrees of the sun's centre above the horizon (negative below), refraction ignored."""
    d = (at - _J2000).total_seconds() / 86_400.0
    mean_longitude = math.radians((280.460 + 0.9856474 * d) % 360)
    anomaly = math.radians((357.528 + 0.9856003 * d) % 360)
    ecliptic = mean_longitude + math.radians(1.915) * math.sin(anomaly)
    ecliptic += math.radians(0.020) * math.sin(2 * anomaly)
    obliquity = math.radians(23.439 - 0.0000004 * d)
    right_ascension = math.atan2(math.cos(obliquity) * math.sin(ecliptic), math.cos(ecliptic))
    declination = math.asin(math.sin(obliquity) * math.sin(ecliptic))
    sidereal_deg = (280.46061837 + 360.98564736629 * d) % 360
    hour_angle = math.radians(sidereal_deg + lon) - right_ascension
    phi = math.radians(lat)
    sin_elevation = math.sin(phi) * math.sin(declination) + math.cos(phi) * math.cos(
        declination
    ) * math.cos(hour_angle)
    return math.degrees(math.asin(max(-1.0, min(1.0, sin_elevation))))
