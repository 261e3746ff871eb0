"""The time of every recorded line, and several recordings merged into one time order.

A recorder may put its receive time in front of each line (ISO 8601 or Unix seconds, then a
space, tab or comma); otherwise the line carries a time of its own (NMEA 4 tag block `c:`, a
Unix time after the checksum, `$PGHP`, a valid `$xxRMC` or `$xxZDA`), or has none and keeps
the time of the line before it. Radar TTM/TLL carry only a time of day: in a file with no dated
time before them, it is placed on a date given from outside (`--date`, or the other inputs'
clock: see `first_time`). Each input's clock never runs backwards: it is the order the
lines arrived in, which is what the live service saw, and what makes the merge well defined.
Lines before a file's first time take that first time (read ahead, bounded).
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pyais.util import compute_checksum

from ingest.nmea_time import (
    gatehouse_time,
    nearest_day,
    radar_time_of_day,
    rmc_time,
    split_tag_block,
    split_trailing_time,
    unix_time,
    zda_time,
)

MAX_LEAD_LINES = 100_000  # untimed lines held while waiting for a file's first time
NO_TIME = "no_time"
BAD_TIMESTAMP = "bad_timestamp"
_PREFIX = re.compile(
    rb"(?:(?P<iso>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?"
    rb"(?:Z|[+-]\d{2}(?::?\d{2})?)?)|(?P<unix>\d{9,13}(?:\.\d+)?))[ \t,;]+"
)
_FRACTION = re.compile(r"[.,](\d+)")


@dataclass(frozen=True, slots=True)
class TimedLine:
    time: datetime
    """The input's clock at this line: what the live service would have received it at."""
    data: bytes
    """The line without its time prefix and line ending."""
    stream: int
    """Which input it came from; ties in the merge keep input order."""
    number: int
    """1-based line number in its file."""


def parse_iso(text: str) -> datetime:
    """ISO 8601 date and time; no offset means UTC, digits past microseconds are dropped."""
    text = _FRACTION.sub(lambda m: "." + m[1][:6], text, count=1)
    stamp = datetime.fromisoformat(text)
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def split_prefix(line: bytes) -> tuple[datetime | None, bytes]:
    """The recorder's time in front of the line (None when there is none) and the rest.

    Raises ValueError when the line starts like a time that is not a valid one.
    """
    found = _PREFIX.match(line)
    if found is None:
        return None, line
    iso, unix = found["iso"], found["unix"]
    stamp = parse_iso(iso.decode("ascii")) if iso is not None else unix_time(unix)
    return stamp, line[found.end() :]


def _checksum_ok(sentence: bytes) -> bool:
    star = sentence.rfind(b"*")
    if star < 0:
        return False
    try:
        return int(sentence[star + 1 : star + 3], 16) == compute_checksum(sentence)
    except ValueError:
        return False


def own_time(line: bytes) -> datetime | None:
    """The time a line carries itself, or None (also for one that is not well formed)."""
    try:
        if line.startswith(b"\\"):
            tag, rest = split_tag_block(line)
            return tag.time if tag is not None and tag.time is not None else own_time(rest)
        if line.startswith(b"!"):
            return split_trailing_time(line)[1]
        if not line.startswith(b"$"):
            return None
        address = line[1:6]
        if address != b"PGHP," and address[2:5] not in (b"RMC", b"ZDA"):
            return None
        if not _checksum_ok(line):
            return None
        if address == b"PGHP,":
            return gatehouse_time(line)
        return rmc_time(line) if address[2:5] == b"RMC" else zda_time(line)
    except Exception:  # ValueError, OverflowError, pyais' InvalidNMEAMessageException...
        return None  # the decoder judges the line itself; here it just gives no time


def time_of_day_on(line: bytes, clock: datetime | None, day: date | None) -> datetime | None:
    """A radar target's time of day, dated by the input's clock, else by `day`; else None."""
    if clock is None and day is None:
        return None
    try:
        _tag, sentence = split_tag_block(line)
        if not sentence.startswith(b"$") or not _checksum_ok(sentence):
            return None
        tod = radar_time_of_day(sentence)
    except ValueError:
        return None
    if tod is None:
        return None
    if clock is not None:
        return nearest_day(tod, clock)
    assert day is not None
    return datetime.combine(day, tod, UTC)


def first_time(lines: Iterable[bytes]) -> datetime | None:
    """The first dated time in a recording (prefix or own), within MAX_LEAD_LINES lines.

    Tells whether a file can date itself; if not, another input's first time lends it a date.
    """
    for number, raw in enumerate(lines, 1):
        if number > MAX_LEAD_LINES:
            return None
        try:
            prefix, data = split_prefix(raw.rstrip(b"\r\n"))
        except (ValueError, OverflowError, OSError):
            continue
        stamp = prefix if prefix is not None else own_time(data)
        if stamp is not None:
            return stamp
    return None


def timed_lines(
    lines: Iterable[bytes],
    stream: int = 0,
    stats: Counter[str] | None = None,
    day: date | None = None,
) -> Iterator[TimedLine]:
    """Each line with its input's clock; `stats` counts the lines dropped, by reason.

    `day`: the date for radar times of day met before the file's first dated time.
    """
    counts: Counter[str] = stats if stats is not None else Counter()
    clock: datetime | None = None
    dated = False  # a dated time seen: times of day no longer move the clock
    waiting: list[tuple[int, bytes]] = []
    for number, raw in enumerate(lines, 1):
        try:
            prefix, data = split_prefix(raw.rstrip(b"\r\n"))
        except (ValueError, OverflowError, OSError):
            counts[BAD_TIMESTAMP] += 1
            continue
        stamp = prefix if prefix is not None else own_time(data)
        dated = dated or stamp is not None
        if stamp is None and not dated:
            stamp = time_of_day_on(data, clock, day)
        if stamp is not None and (clock is None or stamp > clock):
            clock = stamp
        if clock is None:
            waiting.append((number, data))
            if len(waiting) > MAX_LEAD_LINES:
                counts[NO_TIME] += len(waiting)
                waiting.clear()
            continue
        if waiting:
            yield from (TimedLine(clock, d, stream, n) for n, d in waiting)
            waiting.clear()
        yield TimedLine(clock, data, stream, number)
    if waiting:
        counts[NO_TIME] += len(waiting)


def _key(line: TimedLine) -> datetime:
    return line.time


def merge(streams: Iterable[Iterable[TimedLine]]) -> Iterator[TimedLine]:
    """One time order over every input; each input keeps its own order, ties go to the
    earlier input (heapq.merge is stable), so the result depends only on the files."""
    return heapq.merge(*streams, key=_key)
