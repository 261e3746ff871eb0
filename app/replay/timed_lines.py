"""The time of every recorded line, and several recordings merged into one time order.

A recorder may put its receive time in front of each line (ISO 8601 or Unix seconds, then a
space, tab or comma); otherwise the line carries a time of its own (NMEA 4 tag block `c:`, a
Unix time after the checksum, `$PGHP`, a valid `$xxRMC` or `$xxZDA`), or has none and keeps
the time of the line before it. Each input's clock never runs backwards: it is the order the
lines arrived in, which is what the live service saw, and what makes the merge well defined.
Lines before a file's first time take that first time (read ahead, bounded).
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyais.util import compute_checksum

from ingest.nmea_time import gatehouse_time, rmc_time, split_trailing_time, unix_time

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


def _tag_time(tag: bytes) -> datetime | None:
    """`c:` of an NMEA 4 tag block body; AMSA's `*00` placeholder checksum is accepted."""
    body, _, check = tag.partition(b"*")
    if check[:2] != b"00" and not _checksum_ok(b"\\" + tag):
        return None
    for field in body.split(b","):
        if field.startswith(b"c:"):
            return unix_time(field[2:])
    return None


def zda_time(sentence: bytes) -> datetime | None:
    """`$xxZDA,hhmmss.ss,dd,mm,yyyy,...` as UTC; None when the date fields are empty."""
    fields = sentence.split(b"*", 1)[0].split(b",")
    if len(fields) < 5 or not (fields[2] and fields[3] and fields[4]) or len(fields[1]) < 6:
        return None
    clock = fields[1]
    midnight = datetime(int(fields[4]), int(fields[3]), int(fields[2]), tzinfo=UTC)
    return midnight + timedelta(
        hours=int(clock[0:2]), minutes=int(clock[2:4]), seconds=float(clock[4:])
    )


def own_time(line: bytes) -> datetime | None:
    """The time a line carries itself, or None (also for one that is not well formed)."""
    try:
        if line.startswith(b"\\"):
            end = line.find(b"\\", 1)
            if end < 0:
                return None
            stamp = _tag_time(line[1:end])
            return stamp if stamp is not None else own_time(line[end + 1 :])
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


def timed_lines(
    lines: Iterable[bytes], stream: int = 0, stats: Counter[str] | None = None
) -> Iterator[TimedLine]:
    """Each line with its input's clock; `stats` counts the lines dropped, by reason."""
    counts: Counter[str] = stats if stats is not None else Counter()
    clock: datetime | None = None
    waiting: list[tuple[int, bytes]] = []
    for number, raw in enumerate(lines, 1):
        try:
            prefix, data = split_prefix(raw.rstrip(b"\r\n"))
        except (ValueError, OverflowError, OSError):
            counts[BAD_TIMESTAMP] += 1
            continue
        stamp = prefix if prefix is not None else own_time(data)
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
