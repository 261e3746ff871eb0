"""Event-time sources for NMEA lines: tag block `c:`, trailing unix time, `$PGHP`, RMC, ZDA.

Kept apart from the AIS decoder so each clock's rules (units, field layout, century) can be read
and tested alone. Pure: bytes and strings in, timezone-aware UTC datetimes out; a field that
cannot be a time raises ValueError (or pyais' InvalidNMEAMessageException) for the caller to
classify.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from pyais.util import compute_checksum

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
    if sentence[-3:-2] == b"*":  # ends at its checksum: the common case, without the regex
        return sentence, None
    found = _TRAILING_TIME.fullmatch(sentence)
    return (sentence, None) if found is None else (found[1], unix_time(found[2]))


def gatehouse_time(sentence: bytes) -> datetime | None:
    """`$PGHP,1,yyyy,m,d,h,m,s,ms,...` time; None for other Gatehouse sentence kinds.

    Read from its own date fields only: the fields after them (country, region, source, online
    flag) vary by provider (AMSA writes `1AIS_S` where pyais expects a number), and refusing the
    line for them would cost every following AIS message its clock.
    """
    fields = sentence.split(b"*", 1)[0].split(b",")
    if fields[0] != b"$PGHP":
        raise ValueError("not a $PGHP sentence")
    if fields[1:2] != [b"1"]:
        return None
    if len(fields) < 9:
        raise ValueError(f"PGHP type 1 with {len(fields)} fields")
    year, month, day, hour, minute, second, millis = (int(f) for f in fields[2:9])
    if not 0 <= millis < 1000:
        raise ValueError(f"PGHP milliseconds {millis}")
    return datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=UTC)


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


def zda_time(sentence: bytes) -> datetime | None:
    """`$xxZDA,hhmmss.ss,dd,mm,yyyy,...` as UTC; None when the date fields are empty."""
    fields = sentence.split(b"*", 1)[0].split(b",")
    if len(fields) < 5 or not (fields[2] and fields[3] and fields[4]) or len(fields[1]) < 6:
        return None
    midnight = datetime(int(fields[4]), int(fields[3]), int(fields[2]), tzinfo=UTC)
    return midnight + _time_of_day_delta(fields[1])


def _time_of_day_delta(clock: bytes) -> timedelta:
    hours, minutes, seconds = int(clock[0:2]), int(clock[2:4]), float(clock[4:])
    if hours > 23 or minutes > 59 or not 0 <= seconds < 61:  # 60.x: a leap second
        raise ValueError(f"time of day {clock!r}")
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


_HEX = frozenset(b"0123456789ABCDEFabcdef")
# Field index of the UTC time of day in the radar target sentences (IEC 61162-1).
_TIME_OF_DAY_FIELD = {b"TTM": 14, b"TLL": 7}


def radar_time_of_day(sentence: bytes) -> time | None:
    """A `$xxTTM` / `$xxTLL` target's UTC time of day (no date: radars send none), or None."""
    fields = sentence.split(b"*", 1)[0].split(b",")
    index = _TIME_OF_DAY_FIELD.get(fields[0][3:6]) if len(fields[0]) == 6 else None
    if index is None or len(fields) <= index or len(fields[index]) < 6:
        return None
    moment = datetime(2000, 1, 1, tzinfo=UTC) + _time_of_day_delta(fields[index])
    return moment.timetz().replace(tzinfo=None)


def nearest_day(tod: time, reference: datetime) -> datetime:
    """`tod` (UTC) on the day before, of or after `reference`, whichever is nearest to it.

    Keeps a target reported at 00:00:01 from landing a day early when the reference clock
    (own-ship date, tag block, receive time) still says 23:59:59.
    """
    same_day = datetime.combine(reference.date(), tod.replace(tzinfo=None), UTC)
    candidates = (same_day - timedelta(days=1), same_day, same_day + timedelta(days=1))
    return min(candidates, key=lambda t: abs(t - reference))


@dataclass(frozen=True, slots=True)
class TagBlock:
    """An NMEA 4 tag block's time (`c:`) and source (`s:`); the other fields are not used."""

    time: datetime | None
    source: str | None


class TagBlockError(ValueError):
    """A tag block that is cut or corrupt; `checksum` says which, for the caller's counters."""

    def __init__(self, detail: str, *, checksum: bool = False) -> None:
        super().__init__(detail)
        self.checksum = checksum


def split_tag_block(line: bytes) -> tuple[TagBlock | None, bytes]:
    """`\\s:r1,c:1700000000*hh\\$RATLL,...` -> (its tag block, the sentence); none: (None, line).

    AMSA's feed writes the placeholder checksum `*00` on every tag block: taken as "not
    checksummed". A missing or other wrong checksum, or no closing backslash, raises
    TagBlockError.
    """
    if not line.startswith(b"\\"):
        return None, line
    end = line.find(b"\\", 1)
    if end < 0:
        raise TagBlockError("unterminated tag block")
    body, star, check = line[1:end].partition(b"*")
    if not star or len(check) != 2 or not all(c in _HEX for c in check):
        raise TagBlockError("tag block without checksum")
    if check != b"00" and int(check, 16) != compute_checksum(b"\\" + body + b"*"):
        raise TagBlockError("tag block checksum", checksum=True)
    stamp = source = None
    for field in body.split(b","):
        if field.startswith(b"c:"):
            stamp = unix_time(field[2:])
        elif field.startswith(b"s:"):
            source = field[2:].decode("ascii", "replace")
    return TagBlock(stamp, source), line[end + 1 :]
