"""Event-time sources for AIS lines: tag block `c:`, trailing unix time, `$PGHP`, `$xxRMC`.

Kept apart from the AIS decoder so each clock's rules (units, field layout, century) can be read
and tested alone. Pure: bytes and strings in, timezone-aware UTC datetimes out; a field that
cannot be a time raises ValueError (or pyais' InvalidNMEAMessageException) for the caller to
classify.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pyais.messages import GatehouseSentence

# `c:` above this is milliseconds: 1e11 seconds after 1970 is past the year 5000.
MILLIS_THRESHOLD = 1e11
# `!AIVDM,...*hh,1327664821`: a collector's arrival time appended after the checksum.
_TRAILING_TIME = re.compile(rb"(.+\*[0-9A-Fa-f]{2}),(\d{9,13})")


def unix_time(value: str | bytes) -> datetime:
    """Receiver time as unix seconds (or milliseconds, from some receivers).

    Used for the NMEA 4 tag block `c:` and for the `,<unix time>` that AMSA's and DMA's
    collectors append after an AIS sentence's checksum.
    """
    stamp = float(value)
    if stamp != stamp or stamp < 0:  # NaN or before 1970: not a receiver clock
        raise ValueError(f"unix time {value!r}")
    if stamp > MILLIS_THRESHOLD:
        stamp /= 1000.0
    return datetime.fromtimestamp(stamp, UTC)  # OverflowError/OSError past year 9999


def split_trailing_time(sentence: bytes) -> tuple[bytes, datetime | None]:
    """The sentence without an appended `,<unix time>` (AMSA's and DMA's collectors), and it."""
    found = _TRAILING_TIME.fullmatch(sentence)
    return (sentence, None) if found is None else (found[1], unix_time(found[2]))


def gatehouse_time(sentence: bytes) -> datetime | None:
    """`$PGHP,1,yyyy,m,d,h,m,s,ms,...` time; None for other Gatehouse sentence kinds."""
    parsed = GatehouseSentence(sentence)  # pyais checks and parses the date fields
    if parsed.data_fields[:1] != [b"1"]:
        return None
    return parsed.timestamp.replace(tzinfo=UTC)


def rmc_time(sentence: bytes) -> datetime | None:
    """`$xxRMC` UTC date and time; None when the receiver flags the fix void (status V).

    A void RMC's clock may be an unsynchronised RTC, so it must not stamp AIS messages.
    """
    fields = sentence.split(b"*", 1)[0].split(b",")
    if len(fields) < 10:
        raise ValueError(f"RMC with {len(fields)} fields")
    clock, status, day = fields[1], fields[2], fields[9]
    if status != b"A":
        return None
    if len(clock) < 6 or len(day) != 6:
        raise ValueError("RMC without date or time")
    year = int(day[4:6])
    year += 2000 if year < 80 else 1900  # NMEA two-digit year: GNSS receivers post-date 1980
    hours, minutes, seconds = int(clock[0:2]), int(clock[2:4]), float(clock[4:])
    if hours > 23 or minutes > 59 or not 0 <= seconds < 61:  # 60.x: a leap second
        raise ValueError(f"RMC time {clock!r}")
    midnight = datetime(year, int(day[2:4]), int(day[0:2]), tzinfo=UTC)
    return midnight + timedelta(hours=hours, minutes=minutes, seconds=seconds)
