"""The AIS line scan in C equals its Python reference on every capture line and on random and
hostile lines, and the decoder reading whole reads through it (`AisDecoder.feed_lines`) gives
exactly what the validated reference gives line by line: reports, counts, refusals."""

from __future__ import annotations

import operator
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import reduce
from pathlib import Path

import pytest
from pyais.util import compute_checksum

from ingest.ais_bits import PositionBits, single_line
from ingest.ais_lines import (
    NATIVE,
    LineScan,
    PositionRead,
    ScannedPosition,
    ScannedStatic,
    is_static,
    scan_line,
    scan_lines,
    scan_lines_python,
)
from ingest.nmea_ais import AisDecoder, LineOutcome, Rejection
from shorewatch.events import Observation, VesselStatic
from tests.captures import AIS_CAPTURES, read_lines, same_reports

ARMOUR = "".join(chr(v + 48 if v < 40 else v + 56) for v in range(64))
START = datetime(2026, 11, 1, tzinfo=UTC)
Call = tuple[LineOutcome | Rejection, int, str]


def sentence(payload: str, *, seq: str = "", fill: str = "0", talker: str = "AI") -> bytes:
    body = f"!{talker}VDM,1,1,{seq},B,{payload},{fill}"
    return f"{body}*{compute_checksum(body):02X}".encode()


def xor(body: str) -> int:
    """A tag block's checksum: every byte between the backslash and the '*'."""
    return reduce(operator.xor, body.encode(), 0)


def tag_block(rng: random.Random) -> bytes:
    """NMEA 4 tag blocks as receivers write them, and broken ones."""
    fields = rng.sample(
        [
            "s:rEV02",
            f"c:{rng.choice([1334337317, 1420030798, 1764979200123])}",
            "c:12345",
            "c:1334337317.5",
            "c:",
            "g:1-2-3985",
            "n:17",
            "d:x",
            "x",
            "",
            "cc:1",
        ],
        rng.choice([1, 1, 2, 2, 3]),
    )
    body = ",".join(fields)
    check = xor(body)
    stated = rng.choice([f"{check:02X}", f"{check:02x}", "00", "00", f"{check ^ 1:02X}", "7", "XY"])
    return f"\\{body}*{stated}\\".encode()


def position(read: LineScan) -> PositionRead:
    assert read is not None
    assert not isinstance(read, int | bytes | datetime)
    assert not is_static(read)
    return read


def gatehouse(rng: random.Random) -> bytes:
    """Gatehouse `$PGHP` clocks, real and impossible (month 13, 1000 ms, a 31 June...)."""
    fields = [
        rng.choice(["1", "1", "1", "2", "01"]),
        rng.choice(["2010", "2026", "0", "10000", "02010"]),
        rng.choice(["6", "06", "12", "13", "0", ""]),
        rng.choice(["11", "31", "30", "29", "x1"]),
        str(rng.choice([0, 11, 23, 24])),
        str(rng.choice([0, 46, 59, 60])),
        str(rng.choice([0, 11, 59, 61])),
        rng.choice(["390", "0", "999", "1000", " 5", "1234567890"]),
    ]
    if rng.random() < 0.5:  # a clock as Gatehouse writes it
        fields = ["1", "2010", str(rng.randint(1, 12)), str(rng.randint(1, 28)), "11", "46", "11"]
        fields.append(str(rng.randrange(1000)))
    fields = fields[: rng.choice([8, 8, 8, 7, 5])]
    body = ",".join(["PGHP", *fields, *rng.choice([[], ["231", "45", "992190934", "1"], [""]])])
    check = xor(body)
    stated = rng.choice([f"{check:02X}", f"{check:02X}", f"{check:02x}", f"{check ^ 4:02X}"])
    return f"${body}*{stated}".encode()


def random_line(rng: random.Random) -> bytes:
    """Lines of every shape near the fast one, and real-world neighbours of it."""
    kind = rng.random()
    if kind < 0.05:
        return gatehouse(rng)
    if kind < 0.15:
        line = rng.choice(
            [
                b"$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B",
                b"$PSHI,001,01.53524524,,01691,32611,114701.28,2,0057,-079*3B",
                b"$AIVSI,,114701.28,0057,-079,0*6F",
                b"$ABVSI,Nobbys Head,7,114702,87,-70,42*79",
                b"$GPZDA,114702.51,27,01,2012,,*66",
                b"!AIPWR,UNIT=0,POWER=1*05",
                b"$AIVDM,1,1,,A,17P@<J?P00blFWmjG@5a5?v62<10,0*27",
                b"!AIRMC,114703.00,A*00",
                b"$A_VERY_LONG_ADDRESS_INDEED,1*00",
                b"$NOCOMMA*00",
                b"$",
                b"!",
                b"$GPRMC,114703.00,A,1228.30813,S,13050.74933,E,0.002,,270112,,,A*65",
                b"$BSALR,,006,V,V,general failure*62",
                b"!AIVDM,2,1,1,,53cMa3@000010WSW?V105=<45B2222222222220t388151:9e2UiDm851DTh,0*65",
                b"!AIVDM,2,2,1,,88888888880,2*25",
                b"",
                b"# comment",
            ]
        )
        if rng.random() < 0.3:  # around the shape: spaces, other bytes, cut short
            at = rng.randrange(len(line) + 1)
            line = line[:at] + rng.choice([b" ", b"\t", b"\x00", b"\xe9", b",", b""]) + line[at:]
        return line
    common = rng.random() < 0.6  # the shape of most of a feed: a position, 28 characters
    ais_id = rng.choice([1, 2, 3, 18] if common else [1, 18, 5, 0, 63, 4, 21, 24, 27, 19])
    chars = 28 if common else rng.choice([28, 27, 29, 1, 71])
    payload = ARMOUR[ais_id] + "".join(rng.choice(ARMOUR) for _ in range(chars - 1))
    if rng.random() < 0.1:  # a byte outside the 6-bit armour, but printable
        at = rng.randrange(len(payload))
        payload = payload[:at] + rng.choice("!\"#$%&'()xyz{|}~") + payload[at + 1 :]
    line = sentence(
        payload,
        seq=rng.choice(["", "3"] if common else ["", "3", "12", "x"]),
        fill="0" if common else rng.choice(["0", "2", "6"]),
        talker=rng.choice(["AI", "AB", "BS", "=I"] if common else ["AI", "A1", "*I", ",I"]),
    )
    if rng.random() < 0.3:  # a collector's unix time after the checksum (s or ms), or not one
        line += b",%d" % rng.choice([1327665205, 1764979200123, 12345678, 999999999999])
    if rng.random() < 0.35:
        line = tag_block(rng) + line
    mutation = rng.random()
    if mutation < 0.05:  # a wrong checksum
        line = line.replace(b"*", b"*F", 1)[:-1] if b"*" in line else line
    elif mutation < 0.10:  # one byte changed, anywhere, to anything
        at = rng.randrange(len(line))
        line = line[:at] + bytes([rng.randrange(256)]) + line[at + 1 :]
    elif mutation < 0.13:  # cut short
        line = line[: rng.randrange(len(line))]
    elif mutation < 0.15:
        line = rng.choice([b" " + line, line + b" ", line.lower(), line + b"\\", b"x" * 600])
    return line


def test_the_scan_is_native() -> None:
    """The C extension is built with the package (`pip install -e .`); without it the decoder
    falls back to the Python scan, correct but slower: a build that lost it must fail here."""
    assert NATIVE
    assert scan_lines is not scan_lines_python


@pytest.mark.parametrize("capture", AIS_CAPTURES)
def test_native_equals_reference_on_every_capture_line(capture: str, shared_data: Path) -> None:
    lines = read_lines(shared_data / "ais" / capture)
    native = scan_lines(lines)
    assert native == scan_lines_python(lines)
    assert [type(r) is int for r in native] == [type(r) is int for r in scan_lines_python(lines)]


def test_native_equals_reference_on_random_and_hostile_lines() -> None:
    rng = random.Random(61162)
    lines = [random_line(rng) for _ in range(30_000)]
    native, reference = scan_lines(lines), scan_lines_python(lines)
    for line, a, b in zip(lines, native, reference, strict=True):
        assert a == b, line
        assert (type(a) is int) == (type(b) is int), line
        assert (type(a) is bytes) == (type(b) is bytes), line
        assert (type(a) is datetime) == (type(b) is datetime), line
        if a is not None and not isinstance(a, int | bytes | datetime):
            assert not isinstance(b, int | bytes | datetime)
            assert b is not None
            assert a.line_time == b.line_time
    positions = sum(
        1 for r in native if r is not None and not isinstance(r, int | bytes | datetime)
    )
    not_ais = sum(1 for r in native if type(r) is bytes)
    clocks = sum(1 for r in native if type(r) is datetime)
    tagged = sum(
        1 for line, r in zip(lines, native, strict=True) if line[:1] == b"\\" and r is not None
    )
    assert positions > 8000
    assert tagged > 1000
    assert not_ais > 1000
    assert clocks > 100


def test_the_scan_reads_what_the_one_step_read_reads() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        ais_id = rng.choice([1, 2, 3, 18])
        text = sentence(ARMOUR[ais_id] + "".join(rng.choice(ARMOUR) for _ in range(27)))
        for line in (text, text + b",1327665205"):
            single = single_line(line)
            assert single is not None
            assert isinstance(single.report, PositionBits)
            scanned = position(scan_lines([line])[0])
            fields = (scanned.ais_id, scanned.mmsi, scanned.lat, scanned.lon, scanned.speed)
            rest = (scanned.course, scanned.heading, scanned.line_time)
            assert fields + rest == ScannedPosition(*single.report, single.trailing_time)


def test_static_reports_are_read_as_the_one_step_read_reads_them() -> None:
    """Types 5 and 24 of every length and fill around the real ones: where the payload holds
    every field kept, the scan's report has the one-step read's values (a field its kind does
    not have is None); else it gives the type, for the full path."""
    rng = random.Random(524)
    read = dict.fromkeys(
        ["VoyageStatic", "StaticPartA", "StaticPartB", "StaticPartBAuxiliary", "type"], 0
    )
    for _ in range(6000):
        ais_id = rng.choice([5, 24])
        chars = rng.choice([71, 71, 45, 28, 28, 27, 27, 26, 22, 7])
        payload = ARMOUR[ais_id] + "".join(rng.choice(ARMOUR) for _ in range(chars - 1))
        if ais_id == 24 and rng.random() < 0.3:  # part B of an auxiliary craft (MMSI 98xxxxxxx)
            head = f"{24:06b}00{rng.randint(980_000_000, 989_999_999):030b}01"
            bits = head + "".join(rng.choice("01") for _ in range(6 * chars - len(head)))
            payload = "".join(ARMOUR[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))
        line = sentence(payload, fill=rng.choice(["0", "2", "4"]))
        native, reference = scan_lines([line])[0], scan_line(line)
        assert native == reference, line
        single = single_line(line)
        assert single is not None
        if isinstance(native, int):
            assert native == ais_id == single.report  # not read here: the full path reads it
            read["type"] += 1
            continue
        assert native is not None
        assert not isinstance(native, bytes | datetime)
        assert is_static(native)
        fields = ScannedStatic._fields[1:-1]
        assert [getattr(native, f) for f in fields] == [
            getattr(single.report, f, None) for f in fields
        ]
        read[type(single.report).__name__] += 1
    assert min(read.values()) > 150, read


def test_a_tag_block_time_comes_before_the_collectors() -> None:
    text = sentence("17P;HV?P008F98Il;EC1mOwL0@KP")
    line = b"\\s:rEV02,c:1420030798*00\\" + text + b",1327665205"
    assert scan_line(line) is not None
    assert position(scan_lines([line])[0]).line_time == b"1420030798"
    untimed = b"\\s:rEV02*" + b"%02X" % xor("s:rEV02") + b"\\" + text
    assert position(scan_lines([untimed])[0]).line_time is None
    for refused in (b"\\g:1-2-3985,c:1420030798*00\\", b"\\c:1420030798*01\\", b"\\c:x*00\\"):
        assert scan_lines([refused + text]) == [None]  # the full path decides


def test_not_bytes_is_left_to_the_full_path() -> None:
    text = sentence("17P;HV?P008F98Il;EC1mOwL0@KP")
    assert scan_lines([text.decode(), bytearray(text), text])[:2] == [None, None]  # type: ignore[list-item]
    with pytest.raises(TypeError):
        scan_lines(None)  # type: ignore[arg-type]


def reads_clock(reads: list[list[bytes]]) -> Callable[[int], Callable[[], datetime]]:
    """Each read arrives at once: every clock call while it is decoded says the same time."""

    def clock_of(index: int) -> Callable[[], datetime]:
        at = START + timedelta(seconds=7 * index)
        return lambda: at

    return clock_of


def decode_by_reads(
    reads: list[list[bytes]], *, gnss_clock: bool
) -> tuple[list[Observation | VesselStatic], list[Call], AisDecoder]:
    calls: list[Call] = []
    decoder = AisDecoder(
        "rx", gnss_clock=gnss_clock, on_outcome=lambda o, n, d: calls.append((o, n, d))
    )
    clock_of = reads_clock(reads)
    out: list[Observation | VesselStatic] = []
    for index, read in enumerate(reads):
        out += decoder.feed_lines(read, clock_of(index))
    decoder.flush()
    return out, calls, decoder


def decode_validated(
    reads: list[list[bytes]], *, gnss_clock: bool
) -> tuple[list[Observation | VesselStatic], list[Call], AisDecoder]:
    calls: list[Call] = []
    decoder = AisDecoder(
        "rx",
        gnss_clock=gnss_clock,
        validate_reports=True,
        on_outcome=lambda o, n, d: calls.append((o, n, d)),
    )
    clock_of = reads_clock(reads)
    out: list[Observation | VesselStatic] = []
    for index, read in enumerate(reads):
        at = clock_of(index)()
        for line in read:
            out += decoder.feed(line, at)
    decoder.flush()
    return out, calls, decoder


@pytest.mark.parametrize("gnss_clock", [False, True])
@pytest.mark.parametrize("capture", AIS_CAPTURES)
def test_reads_decode_as_validated_on_every_capture(
    capture: str, gnss_clock: bool, shared_data: Path
) -> None:
    lines = read_lines(shared_data / "ais" / capture)
    reads = [lines[i : i + 50] for i in range(0, len(lines), 50)]
    fast, fast_calls, decoder = decode_by_reads(reads, gnss_clock=gnss_clock)
    validated, validated_calls, reference = decode_validated(reads, gnss_clock=gnss_clock)
    same_reports(fast, validated)
    assert decoder.stats == reference.stats
    assert sum(decoder.stats.values()) == len(lines)
    assert fast_calls == validated_calls


def test_reads_decode_as_validated_on_random_and_hostile_lines() -> None:
    rng = random.Random(4)
    reads = [[random_line(rng) for _ in range(rng.choice([1, 5, 40, 200]))] for _ in range(300)]
    fast, fast_calls, decoder = decode_by_reads(reads, gnss_clock=True)
    validated, validated_calls, reference = decode_validated(reads, gnss_clock=True)
    same_reports(fast, validated)
    assert decoder.stats == reference.stats
    assert fast_calls == validated_calls
    assert decoder.stats[LineOutcome.POSITION] > 3000
    assert decoder.stats[LineOutcome.METADATA] > 300
    assert decoder.stats[Rejection.NO_POSITION] > 300


def test_positions_are_counted_once_a_read_without_a_per_line_callback() -> None:
    """Without `on_outcome` the read's positions are counted together: the same totals."""
    rng = random.Random(9)
    reads = [[random_line(rng) for _ in range(100)] for _ in range(50)]
    rejections: list[tuple[Rejection, int, str]] = []
    quiet = AisDecoder("rx", on_rejection=lambda r, n, d: rejections.append((r, n, d)))
    clock_of = reads_clock(reads)
    fast: list[Observation | VesselStatic] = []
    for index, read in enumerate(reads):
        fast += quiet.feed_lines(read, clock_of(index))
    quiet.flush()
    validated, calls, reference = decode_validated(reads, gnss_clock=False)
    same_reports(fast, validated)
    assert quiet.stats == reference.stats
    assert rejections == [c for c in calls if type(c[0]) is Rejection]


def test_a_clock_in_another_zone_reads_as_utc() -> None:
    line = sentence("17P;HV?P008F98Il;EC1mOwL0@KP")
    naive = datetime(2026, 11, 1, 12, 0)  # what a careless clock gives
    decoder = AisDecoder("rx")
    (report,) = decoder.feed_lines([line], lambda: naive)
    assert report.time == naive.replace(tzinfo=UTC)
    assert AisDecoder("rx").feed(line, naive) == (report,)
