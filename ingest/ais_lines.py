"""A whole read's lines scanned at once for the commonest AIS line: a one-sentence class A or B
position report (ingest/ais_bits.py `single_line`), with or without an NMEA 4 tag block before
it: most of any real feed.

`scan_lines` says of each line what `scan_line` says: its position report, read from the
payload bits, when it is one of the common shape; the message type of any other one-sentence
line of that shape; the address (bytes) of a sentence that is not AIS at all (the other NMEA
talk of a receiver: a fifth of a real feed); the time of a Gatehouse `$PGHP`, the clock of the
line after it; None for anything else. It only reads: what a
line means (its time, the checks, the counting) is decided by the decoder (ingest/nmea_ais.py
`AisDecoder.feed_lines`).

The scan is done in C (`ingest/_ais_lines.c`, built with the package), which takes the
per-line Python work off the hottest loop of the ingest role: about a third of its CPU at
national-feed rates (docs/benchmarks.md). This module's own `scan_line` is the reference it is
tested against on every capture line and on random and hostile lines
(tests/unit/test_ais_lines.py), and what runs where the extension was not built
(`NATIVE` says which).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

from pyais.constants import ShipType
from typing_extensions import TypeIs

from ingest.ais_bits import (
    ARMOUR_VALUE,
    PAYLOAD_CHARS,
    POSITION_TYPES,
    STATIC_TYPES,
    PositionValues,
    match_single_line,
    position_report,
    static_report,
)
from ingest.nmea_checksum import HEX_PAIRS, xor_fold

MAX_LINE_BYTES = 512  # the decoder refuses longer lines (OVERSIZED): never read here
# `\<fields>*hh\`: printable fields without '*' or '\', a two-digit checksum.
_TAG_BLOCK = re.compile(rb"\\([\x20-\x29\x2b-\x5b\x5d-\x7e]*)\*([0-9A-Fa-f]{2})\\")
_UNIX_TIME = re.compile(rb"[0-9]{9,13}")
NOT_PRINTABLE = re.compile(rb"[^\x20-\x7e]")  # the decoder refuses these bytes (GARBAGE)
# `$PGHP,1,yyyy,m,d,h,m,s,ms[,...]*hh`, printable, plain digits: the common Gatehouse clock.
_GATEHOUSE = re.compile(
    rb"\$PGHP,1," + rb",".join([rb"([0-9]{1,9})"] * 7) + rb"(?:,[^*]*)?\*([0-9A-Fa-f]{2})"
)
# Addresses (`$xxRMC`, `!xxVDM`...) of the sentences the decoder reads: AIS, and the clocks.
_READ_KINDS = frozenset({b"VDM", b"VDO", b"RMC", b"ZDA"})
# Type 5's ship type codes as pyais folds them (reserved codes to their group's), for the C scan.
SHIP_TYPES = bytes(int(ShipType.from_value(code) or 0) for code in range(256))


class ScannedPosition(NamedTuple):
    """A position report of the common shape (`ais_bits.PositionBits`' values) and the line's
    own unix time, if any: its tag block's `c:`, else a collector's after the checksum."""

    ais_id: int
    mmsi: int
    lat: float
    lon: float
    speed: float
    course: float
    heading: int
    line_time: bytes | None


class ScannedStatic(NamedTuple):
    """A one-sentence static report (type 5 or 24, `ais_bits.StaticBits`' values; None for a
    field its kind does not have) and the line's own unix time, if any."""

    ais_id: int
    mmsi: int
    imo: int | None
    callsign: str | None
    shipname: str | None
    ship_type: int | None
    to_bow: int | None
    to_stern: int | None
    to_port: int | None
    to_starboard: int | None
    line_time: bytes | None


class PositionRead(PositionValues, Protocol):
    """A scanned position: `ScannedPosition` here, the extension's `Position` struct sequence
    in C (the same fields; only read by name)."""

    @property
    def line_time(self) -> bytes | None: ...


class StaticRead(Protocol):
    """A scanned static report: `ScannedStatic` here, the extension's `Static` in C."""

    @property
    def ais_id(self) -> int: ...
    @property
    def line_time(self) -> bytes | None: ...


LineScan = PositionRead | StaticRead | int | bytes | datetime | None


def is_static(read: PositionRead | StaticRead) -> TypeIs[StaticRead]:
    return read.ais_id in STATIC_TYPES


def scan_line(line: bytes) -> LineScan:
    """The reference scan of one line (see the module docstring)."""
    if type(line) is not bytes or len(line) > MAX_LINE_BYTES:
        return None
    if line[:1] == b"$":  # never AIS: not AIS, or a clock the decoder reads
        return not_ais_address(line) or gatehouse_time(line)
    tag_time = None
    if line[:1] == b"!":
        address = not_ais_address(line)
        if address is not None:
            return address
    elif line[:1] == b"\\":
        tag = _TAG_BLOCK.match(line)
        if tag is None:
            return None
        stated = HEX_PAIRS[tag[2]]
        if stated != 0 and stated != xor_fold(tag[1]):  # 00: AMSA's "not checksummed"
            return None
        for field in tag[1].split(b","):
            if field[:2] == b"g:":  # a multi-sentence group: the full path assembles it
                return None
            if field[:2] == b"c:":
                tag_time = field[2:]
        if tag_time is not None and _UNIX_TIME.fullmatch(tag_time) is None:
            return None
        line = line[tag.end() :]
    found = match_single_line(line)
    if found is None:
        return None
    payload, fill = found[1], found[2][0] - 48
    ais_id = ARMOUR_VALUE[payload[0]]
    if ais_id in STATIC_TYPES:
        static = static_report(ais_id, payload, fill)
        if static is None:
            return ais_id
        return ScannedStatic(
            ais_id,
            static.mmsi,
            getattr(static, "imo", None),
            getattr(static, "callsign", None),
            getattr(static, "shipname", None),
            getattr(static, "ship_type", None),
            getattr(static, "to_bow", None),
            getattr(static, "to_stern", None),
            getattr(static, "to_port", None),
            getattr(static, "to_starboard", None),
            tag_time or found[4],
        )
    if ais_id not in POSITION_TYPES or len(payload) != PAYLOAD_CHARS or fill != 0:
        return ais_id
    return ScannedPosition(*position_report(payload), tag_time or found[4])


def not_ais_address(line: bytes) -> bytes | None:
    """The address of a printable `$`/`!` sentence the decoder refuses as not AIS, cut to the
    16 bytes of the refusal's detail; None for any other line."""
    if line[:1] not in (b"$", b"!") or line[-1:] == b" " or NOT_PRINTABLE.search(line):
        return None
    address = line.split(b",", 1)[0]
    if (len(address) == 6 and address[3:] in _READ_KINDS) or address == b"$PGHP":
        return None
    return address[:16]


def gatehouse_time(line: bytes) -> datetime | None:
    """The time of a `$PGHP` of the plain shape (`_GATEHOUSE`, a matching checksum, a real
    date), as `nmea_time.gatehouse_time` reads it; None for anything else."""
    found = _GATEHOUSE.fullmatch(line)
    if found is None or NOT_PRINTABLE.search(line) or HEX_PAIRS[found[8]] != xor_fold(line[1:-3]):
        return None
    year, month, day, hour, minute, second, millis = (int(v) for v in found.groups()[:7])
    if millis >= 1000:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=UTC)
    except ValueError:  # no such date: the full path refuses the line with its own message
        return None


def scan_lines_python(lines: Sequence[bytes]) -> list[LineScan]:
    return [scan_line(line) for line in lines]


def _native() -> Callable[[Sequence[bytes]], Sequence[LineScan]] | None:
    try:
        from ingest._ais_lines import scan_lines as native
    except ImportError:  # not built (a source tree used without installing it)
        return None

    def scan(lines: Sequence[bytes]) -> Sequence[LineScan]:
        return native(lines, SHIP_TYPES)

    return scan


_NATIVE_SCAN = _native()
NATIVE = _NATIVE_SCAN is not None
scan_lines: Callable[[Sequence[bytes]], Sequence[LineScan]] = _NATIVE_SCAN or scan_lines_python
