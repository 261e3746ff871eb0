"""Replay line times: recorder prefixes, a line's own time, the per-input clock, the merge."""

from __future__ import annotations

import gzip
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyais.util import compute_checksum

from app.replay.inputs import count_lines, read_lines
from app.replay.timed_lines import (
    BAD_TIMESTAMP,
    NO_TIME,
    TimedLine,
    first_time,
    merge,
    own_time,
    parse_iso,
    split_prefix,
    timed_lines,
)
from app.simulator.scenario import tag_block

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
UNIX = int(T.timestamp())
AIS = b"!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"


def nmea(body: str) -> bytes:
    """`body` ('$GPRMC,...') with its correct checksum appended."""
    return f"{body}*{compute_checksum(body):02X}".encode()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"2026-11-20T12:00:00Z " + AIS, T),
        (b"2026-11-20 12:00:00.123+00:00 " + AIS, T + timedelta(milliseconds=123)),
        (b"2026-11-20T13:00:00+01:00\t" + AIS, T),
        (b"2026-11-20T12:00:00.123456789Z " + AIS, T + timedelta(microseconds=123456)),
        (b"2026-11-20T12:00:00 " + AIS, T),  # no offset: UTC
        (b"2026-11-20T12:00:00Z," + AIS, T),
        (f"{T.timestamp():.0f} ".encode() + AIS, T),
        (f"{T.timestamp() + 0.5} ".encode() + AIS, T + timedelta(seconds=0.5)),
        (f"{T.timestamp():.0f}\t".encode() + AIS, T),
        (f"{T.timestamp():.0f},".encode() + AIS, T),
        (f"{T.timestamp() * 1000:.0f} ".encode() + AIS, T),  # milliseconds
    ],
)
def test_prefixes_give_the_time_and_the_bare_sentence(line: bytes, expected: datetime) -> None:
    stamp, rest = split_prefix(line)
    assert stamp == expected
    assert stamp is not None
    assert stamp.tzinfo is not None
    assert rest == AIS


@pytest.mark.parametrize(
    "line",
    [AIS, b"# a comment 2026-11-20", b"", f"\\c:{UNIX}*00\\".encode() + AIS, b"12345 " + AIS],
)
def test_lines_without_a_prefix_are_left_alone(line: bytes) -> None:
    assert split_prefix(line) == (None, line)


def test_a_prefix_that_is_no_valid_time_raises() -> None:
    with pytest.raises(ValueError, match="month"):
        split_prefix(b"2026-13-20T12:00:00Z " + AIS)


def test_parse_iso_normalises_to_utc() -> None:
    assert parse_iso("2026-11-20T14:00:00,5+02:00") == T + timedelta(seconds=0.5)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (tag_block(UNIX).encode() + AIS, T),
        (f"\\s:r1,c:{UNIX}*00\\".encode() + AIS, T),  # AMSA's placeholder checksum
        (AIS + f",{UNIX}".encode(), T),  # collector's time after the checksum
        (nmea("$PGHP,1,2026,11,20,12,0,0,0,219,24,992190924,1,12"), T),
        (nmea("$GPRMC,120000.00,A,5814.00,N,01125.00,E,0.0,,201126,,,A"), T),
        (nmea("$GPZDA,120000,20,11,2026,00,00"), T),
        # Radar through a multiplexer that stamps every sentence (issue 13).
        (tag_block(UNIX).encode() + nmea("$RATLL,01,5812.6870,N,01131.9502,E,1,115959,T,"), T),
        (nmea("$PGHP,1,2026,11,20,12,0,0,0,316,2,316000002,1AIS_S,0F"), T),  # pyais refuses it
    ],
)
def test_own_times(line: bytes, expected: datetime) -> None:
    assert own_time(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        AIS,
        nmea("$GPRMC,120000.00,V,5814.00,N,01125.00,E,0.0,,201126,,,A"),  # void fix
        b"$GPRMC,120000.00,A,5814.00,N,01125.00,E,0.0,,201126,,,A*00",  # bad checksum
        f"\\c:{UNIX}*7F\\".encode() + AIS,  # bad tag-block checksum
        f"\\c:{UNIX}*00".encode() + AIS,  # unterminated tag block
        nmea("$GPZDA,120000,,,,00,00"),
        nmea("$SDHDG,220.3,,,2.9,E"),
        b"# comment",
        b"garbage \xff",
    ],
)
def test_lines_without_a_usable_own_time(line: bytes) -> None:
    assert own_time(line) is None


def times(lines: list[bytes], stats: Counter[str] | None = None) -> list[tuple[datetime, bytes]]:
    return [(t.time, t.data) for t in timed_lines(lines, 0, stats)]


def test_untimed_lines_keep_the_previous_time_and_the_clock_never_runs_back() -> None:
    t1, t0 = T + timedelta(seconds=10), T
    lines = [
        b"2026-11-20T12:00:10Z " + AIS,
        AIS,
        b"2026-11-20T12:00:00Z " + AIS,  # a recorder's clock stepping back
        tag_block(UNIX + 20).encode() + AIS,
    ]
    assert [t for t, _ in times(lines)] == [t1, t1, t1, t0 + timedelta(seconds=20)]


def test_lines_before_the_first_time_take_it_and_untimed_files_are_counted() -> None:
    stats: Counter[str] = Counter()
    lines = [b"# header\n", AIS + b"\r\n", b"2026-11-20T12:00:00Z " + AIS + b"\r\n"]
    assert times(lines, stats) == [(T, b"# header"), (T, AIS), (T, AIS)]
    assert stats == Counter()
    assert times([AIS, AIS], stats) == []
    assert stats == Counter({NO_TIME: 2})


def test_bad_prefixes_are_counted_not_fatal() -> None:
    stats: Counter[str] = Counter()
    lines = [b"2026-11-20T12:00:00Z " + AIS, b"2026-02-30T12:00:00Z " + AIS, AIS]
    assert [t for t, _ in times(lines, stats)] == [T, T]
    assert stats == Counter({BAD_TIMESTAMP: 1})


def line(stream: int, second: int, number: int) -> TimedLine:
    return TimedLine(T + timedelta(seconds=second), b"x", stream, number)


def test_merge_orders_by_time_keeps_each_input_order_and_breaks_ties_by_input() -> None:
    a = [line(0, 0, 1), line(0, 5, 2), line(0, 5, 3)]
    b = [line(1, 1, 1), line(1, 5, 2), line(1, 9, 3)]
    merged = [(x.stream, x.number) for x in merge([a, b])]
    assert merged == [(0, 1), (1, 1), (0, 2), (0, 3), (1, 2), (1, 3)]


def test_files_plain_or_gzip_read_the_same(tmp_path: Path) -> None:
    text = b"2026-11-20T12:00:00Z " + AIS + b"\r\n" + AIS  # no newline at the end
    plain, packed = tmp_path / "a.nmea", tmp_path / "a.nmea.log"
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text))  # told by content, not by name
    assert list(read_lines(plain)) == list(read_lines(packed))
    assert count_lines(plain) == count_lines(packed) == 2


TLL_AT = [nmea(f"$RATLL,01,5812.6870,N,01131.9502,E,1,{tod},T,") for tod in ("235958", "000002")]


def test_radar_times_of_day_need_a_date_and_roll_over_midnight() -> None:
    """A radar log with no date at all (issue 13): dropped as no_time unless a date is lent."""
    stats: Counter[str] = Counter()
    assert times(TLL_AT, stats) == []
    assert stats == Counter({NO_TIME: 2})
    day = T.date()
    dated = [t.time for t in timed_lines(TLL_AT, 0, None, day)]
    assert dated == [
        datetime(2026, 11, 20, 23, 59, 58, tzinfo=UTC),
        datetime(2026, 11, 21, 0, 0, 2, tzinfo=UTC),
    ]


def test_a_file_with_its_own_date_ignores_the_lent_one() -> None:
    rmc = nmea("$GPRMC,235950.00,A,5814.00,N,01125.00,E,0.0,,010115,,,A")
    got = [t.time for t in timed_lines([rmc, *TLL_AT], 0, None, T.date())]
    first = datetime(2015, 1, 1, 23, 59, 50, tzinfo=UTC)
    assert got == [first, first, first]  # the decoder dates the targets by its own RMC
    assert first_time([b"# header", *TLL_AT, rmc]) == first
    assert first_time(TLL_AT) is None
