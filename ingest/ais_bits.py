"""Class A and B position reports (types 1, 2, 3 and 18) and one-sentence static reports
(types 5 and 24) read straight from the payload's bits: the bulk of any AIS feed, for a quarter
of what pyais' sentence and message objects cost (measured: ~1.6 µs against ~6.3 µs a report).

Only the common shapes take this path: a single-part `!xxVDM`/`!xxVDO` sentence with seven
fields and a numeric or empty sequence id; for a position, a 28-character payload (168 bits)
and no fill bits; for a static report, a payload that holds every field ShoreWatch keeps. Its
values are the ones pyais gives (the same 6-bit table, bit offsets, scaling, rounding and text
trimming), and they go through the same checks as pyais-decoded ones. A single-part sentence
of another type gives just its type, so that one ShoreWatch does not decode (base stations,
binary messages: an eighth of a real feed) is refused without pyais parsing it. `single_line`
reads a whole raw line of these shapes in one step. Anything else returns None and is decoded
by pyais as before; `tests/unit/test_ais_bits.py` and `tests/unit/test_ais_fast_path.py` check
both paths agree on every capture line and on random payloads.
"""

from __future__ import annotations

import re
from binascii import a2b_base64
from typing import NamedTuple, Protocol

from pyais.constants import ShipType
from pyais.messages import MAX_PAYLOAD_LEN

from ingest.nmea_checksum import HEX_PAIRS, xor_fold

PAYLOAD_CHARS = 28  # 168 bits: the full length of types 1, 2, 3 and 18
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# The 6-bit value of each byte; bytes outside the armour map to 0, as pyais maps them.
ARMOUR_VALUE = tuple(
    (c - 56 if c - 48 > 40 else c - 48) if 48 <= c <= 119 else 0 for c in range(256)
)
# AIS 6-bit armouring is base64 with another alphabet: map it onto base64's and let C do the
# unpacking.
_ARMOUR_TO_B64 = bytes(_B64[value] for value in ARMOUR_VALUE)
_SEQ_IDS = frozenset({b""} | {str(n).encode() for n in range(10)})
_FILL_BITS = frozenset(b"012345")
CLASS_A = frozenset({1, 2, 3})
POSITION_TYPES = CLASS_A | {18}


class PositionBits(NamedTuple):
    """What a position report says, as pyais would decode it."""

    ais_id: int
    mmsi: int
    lat: float
    lon: float
    speed: float
    course: float
    heading: int


class PositionValues(Protocol):
    """What a position report read from bits says, whoever read it: `PositionBits`, or a line
    scan's position (ingest/ais_lines.py), which adds the line's own time."""

    @property
    def ais_id(self) -> int: ...
    @property
    def mmsi(self) -> int: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def speed(self) -> float: ...
    @property
    def course(self) -> float: ...
    @property
    def heading(self) -> int: ...


def read_common(sentence: bytes) -> PositionBits | StaticBits | int | None:
    """A checksum-checked single-part sentence of the common shape: its report when it is a
    position of the common kind or a class B static report, else its message type (the first
    six bits, as pyais reads them); None for any other shape (pyais decides)."""
    fields = sentence.split(b",")
    if (
        len(fields) != 7
        or fields[1] != b"1"
        or fields[2] != b"1"
        or fields[3] not in _SEQ_IDS
        or fields[6][1:2] != b"*"
        or fields[6][0] not in _FILL_BITS
        or not 2 <= len(fields[5]) <= MAX_PAYLOAD_LEN
    ):
        return None
    return _report(fields[5], fields[6][0] - 48)


def _report(payload: bytes, fill: int) -> PositionBits | StaticBits | int:
    """What a one-sentence payload says, when it is a position of the common kind or a class
    B static report; else its message type (the first six bits, as pyais reads them)."""
    ais_id = ARMOUR_VALUE[payload[0]]
    if ais_id in POSITION_TYPES:
        if len(payload) == PAYLOAD_CHARS and fill == 0:  # 168 bits, no fill
            return position_report(payload)
        return ais_id
    if ais_id in STATIC_TYPES:
        static = static_report(ais_id, payload, fill)
        return ais_id if static is None else static
    return ais_id


class StaticPartA(NamedTuple):
    """Type 24 part A: the name (field names as pyais', for `ReportBuilder.static`)."""

    mmsi: int
    shipname: str


class StaticPartB(NamedTuple):
    """Type 24 part B: type, call sign and dimensions."""

    mmsi: int
    ship_type: int
    callsign: str
    to_bow: int
    to_stern: int
    to_port: int
    to_starboard: int


class StaticPartBAuxiliary(NamedTuple):
    """Type 24 part B of an auxiliary craft (MMSI 98...): no dimensions, a mothership."""

    mmsi: int
    ship_type: int
    callsign: str


class VoyageStatic(NamedTuple):
    """Type 5, the fields ShipShore keeps (identity and size; not the voyage)."""

    mmsi: int
    imo: int
    callsign: str
    shipname: str
    ship_type: int
    to_bow: int
    to_stern: int
    to_port: int
    to_starboard: int


StaticBits = StaticPartA | StaticPartB | StaticPartBAuxiliary | VoyageStatic
STATIC_TYPES = frozenset({5, 24})
_SIXBIT_TEXT = tuple(chr(v + 64) if v < 32 else chr(v) for v in range(64))


def static_report(ais_id: int, payload: bytes, fill: int) -> StaticBits | None:
    """A one-sentence type 5 or 24 payload's static report (`_static_report`), or None."""
    return _static_report(ais_id, *_payload_bits(payload, fill))


def _payload_bits(payload: bytes, fill: int) -> tuple[int, int]:
    """The payload as one integer and its length in bits, as pyais' bit vector holds it."""
    raw = payload.translate(_ARMOUR_TO_B64)
    pad = -len(raw) % 4  # base64 wants whole groups of four characters
    value = int.from_bytes(a2b_base64(raw + b"A" * pad), "big") >> (6 * pad + fill)
    return value, 6 * len(payload) - fill


def _text(v: int, end: int, width: int) -> str:
    """6-bit text of `width` bits ending `end` bits above the lowest, trimmed as pyais does."""
    chars = [_SIXBIT_TEXT[(v >> at) & 0x3F] for at in range(end - 6, end - width - 1, -6)]
    return "".join(chars).rstrip("@").strip()


def _static_report(ais_id: int, v: int, bits: int) -> StaticBits | None:
    """A type 5 or 24 as pyais reads it, when the payload holds every field ShipShore reads
    (pyais would read a cut field as a wrong value; the full path refuses it); None for that
    and for type 24 part numbers 2 and 3, which pyais refuses: the full path counts them."""

    def field(start: int, width: int) -> int:
        return (v >> (bits - start - width)) & ((1 << width) - 1)

    def text(start: int, width: int) -> str:
        return _text(v, bits - start, width)

    if ais_id == 5:
        if bits < 270:  # through to_starboard
            return None
        return VoyageStatic(
            field(8, 30),
            field(40, 30),
            text(70, 42),
            text(112, 120),
            int(ShipType.from_value(field(232, 8)) or 0),  # pyais folds reserved codes
            field(240, 9),
            field(249, 9),
            field(258, 6),
            field(264, 6),
        )
    part = field(38, 2) if bits >= 40 else -1
    mmsi = field(8, 30) if bits >= 40 else -1
    if part == 0 and bits >= 160:
        return StaticPartA(mmsi, text(40, 120))
    if part != 1:
        return None
    if 980_000_000 <= mmsi <= 989_999_999:  # pyais' is_auxiliary_craft: no dimensions
        return StaticPartBAuxiliary(mmsi, field(40, 8), text(90, 42)) if bits >= 132 else None
    if bits < 162:
        return None
    return StaticPartB(
        mmsi,
        field(40, 8),
        text(90, 42),
        field(132, 9),
        field(141, 9),
        field(150, 6),
        field(156, 6),
    )


def position_report(payload: bytes) -> PositionBits:
    """A 28-character payload without fill bits whose first character says type 1, 2, 3 or
    18 (both callers check it): its position report."""
    v = int.from_bytes(a2b_base64(payload.translate(_ARMOUR_TO_B64)), "big")
    ais_id = v >> 162
    if ais_id in CLASS_A:
        lon, lat = (v >> 79) & 0xFFFFFFF, (v >> 52) & 0x7FFFFFF
        speed, course, heading = (v >> 108) & 0x3FF, (v >> 40) & 0xFFF, (v >> 31) & 0x1FF
    else:  # 18
        lon, lat = (v >> 83) & 0xFFFFFFF, (v >> 56) & 0x7FFFFFF
        speed, course, heading = (v >> 112) & 0x3FF, (v >> 44) & 0xFFF, (v >> 35) & 0x1FF
    if lon & 0x8000000:  # two's complement, 28 and 27 bits
        lon -= 0x10000000
    if lat & 0x4000000:
        lat -= 0x8000000
    return PositionBits(
        ais_id,
        (v >> 130) & 0x3FFFFFFF,
        # pyais' `to_lat_lon` for |value| < 2**27, which 27 and 28 signed bits always are
        ((10 * lat + 3) // 6) / 1e6,
        ((10 * lon + 3) // 6) / 1e6,
        speed / 10.0,
        course / 10.0,
        heading,
    )


class SingleLine(NamedTuple):
    """A whole raw line holding one AIS sentence of the common shape, read in one step
    (`single_line`)."""

    report: PositionBits | StaticBits | int  # as `read_common` reads it
    trailing_time: bytes | None  # a collector's `,<unix time>` after the checksum, if any


# `!xxVDM,1,1,<seq>,<channel>,<payload>,<fill>*hh[,<unix time>]`, printable, nothing around it
# (at most 241 bytes: never over the decoder's line limit).
_TEXT = rb"[\x20-\x29\x2b\x2d-\x7e]"  # printable but ',' and '*'
_SINGLE_LINE = re.compile(
    rb"!"
    + _TEXT
    + rb"{2}VD[MO],1,1,[0-9]?,"  # any talker: DMA's stream has `!=IVDM` in places
    + _TEXT
    + rb"{0,8},("
    + _TEXT
    + rb"{2,%d}),([0-5])\*([0-9A-Fa-f]{2})(?:,([0-9]{9,13}))?" % MAX_PAYLOAD_LEN
)


def single_line(line: bytes) -> SingleLine | None:
    """What a raw line says when it is nothing but a checksum-correct one-sentence AIS message
    of the common shape (with, perhaps, a collector's unix time after it): most of any real
    feed, recognised by one regular expression instead of a dozen separate checks. None for
    anything else, which the decoder's full path then reads as before."""
    found = match_single_line(line)
    return None if found is None else SingleLine(_report(found[1], found[2][0] - 48), found[4])


def match_single_line(line: bytes) -> re.Match[bytes] | None:
    """`single_line`'s shape and checksum check: groups payload, fill, checksum, unix time."""
    found = _SINGLE_LINE.fullmatch(line)
    if found is None or HEX_PAIRS[found[3]] != xor_fold(line[1 : found.start(3) - 1]):
        return None
    return found


def position_bits(sentence: bytes) -> PositionBits | None:
    """The position report of a sentence of the common shape, else None (pyais)."""
    common = read_common(sentence)
    return common if isinstance(common, PositionBits) else None


def static_bits(sentence: bytes) -> StaticBits | None:
    """The class B static report of a sentence of the common shape, else None (pyais)."""
    common = read_common(sentence)
    return None if common is None or isinstance(common, int | PositionBits) else common
