"""AIS decoder: every real capture accounted line by line, and each rule on hand-checked lines.

Expected field values were read off pyais' own decode of the same sentences; the real captures
are read in place from ../shared/data/ais (never copied into the repository).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pyais import encode_dict
from pyais.util import checksum, compute_checksum

from ingest.ais_lines import MAX_LINE_BYTES
from ingest.nmea_ais import AisDecoder, LineOutcome, Rejection
from shorewatch.events import Observation, Source, VesselStatic
from tests.captures import read_lines

AIS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ais"
RECEIVED = datetime(2030, 1, 1, tzinfo=UTC)  # far from every capture, so a fallback shows

Message = Observation | VesselStatic
Call = tuple[LineOutcome | Rejection, int, str]


def nmea(body: str) -> str:
    """`body` ('!AIVDM,...,0') with its correct checksum appended."""
    return f"{body}*{compute_checksum(body):02X}"


def tag(body: str) -> str:
    return f"\\{body}*{checksum(body.encode()):02X}\\"


def encoded(data: dict[str, str | int | float | bytes | bool]) -> list[str]:
    return encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel="B")


def run(
    lines: list[bytes | str] | list[bytes] | list[str],
    received_at: datetime = RECEIVED,
    *,
    gnss_clock: bool = False,
    max_pending_groups: int = 256,
) -> tuple[list[Message], AisDecoder, list[Call]]:
    """Feed every line, flush, and check the accounting invariant on the way out."""
    calls: list[Call] = []
    rejections: list[Call] = []
    decoder = AisDecoder(
        "rx-1",
        on_outcome=lambda o, n, d: calls.append((o, n, d)),
        on_rejection=lambda o, n, d: rejections.append((o, n, d)),
        gnss_clock=gnss_clock,
        max_pending_groups=max_pending_groups,
    )
    out = [m for line in lines for m in decoder.feed(line, received_at)]
    decoder.flush()
    assert sum(decoder.stats.values()) == len(lines)
    assert sum(n for _, n, _ in calls) == len(lines)
    assert rejections == [call for call in calls if isinstance(call[0], Rejection)]
    return out, decoder, calls


def position(lines: list[str]) -> Observation:
    """The single observation `lines` decode to (failing the test if there is anything else)."""
    (obs,), _, _ = run(lines)
    assert isinstance(obs, Observation)
    return obs


def outcome_of(line: bytes | str) -> str:
    _, decoder, _ = run([line])
    (outcome,) = decoder.stats
    return outcome


# ---------------------------------------------------------------- real captures


@dataclass(frozen=True)
class Expect:
    min_positions: int
    min_statics: int
    window: tuple[datetime, datetime] | None  # event times must fall inside (None: no clock)
    gnss_clock: bool = False
    max_corrupt: int = 0  # checksum + malformed + garbage lines
    max_fallback: int = 0  # positions allowed to carry received_at (before the first clock)
    exact: dict[str, int] = field(default_factory=dict)


def day(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


EXPECT = {
    # 221 lines: 21 two-part type 5 in tag-block groups (g:1-2-N, c: only on part 1), one
    # type 11, 178 single-part position reports. All 21 groups must assemble.
    "amsa_exactearth_sat_tagblock_2012.nmea": Expect(
        175, 21, (day(2012, 1, 9), day(2012, 4, 14)), exact={"fragment": 21, "static": 21}
    ),
    # 100 single-part type 1/3 lines whose tag blocks all carry the placeholder checksum *00.
    "amsa_tagblock_c_2014.nmea": Expect(
        100, 0, (day(2014, 12, 31, 12, 59, 57), day(2014, 12, 31, 13, 0, 1))
    ),
    # 44,687 lines, ~34,000 AIS sentences of which ~6,000 are types 4/20/21/17/6/9 and ~320
    # type 1 without a position; a few dozen genuinely corrupt or cut lines. 851 lines carry a
    # trailing unix time; the rest take the $GPRMC clock, which starts after 56 positions.
    # 26 $PGHP of a satellite source (`1AIS_S`, which pyais refuses) stamp the message after
    # them with its satellite receive time, 09:57-09:59: delivered two hours late.
    "amsa_terrestrial_ais.txt.gz": Expect(
        25_000,
        2_000,
        (day(2012, 1, 27, 9, 57), day(2012, 1, 27, 11, 54)),
        gnss_clock=True,
        max_corrupt=60,
        max_fallback=60,
    ),
    # 8,551 lines: 4,051 $PGHP, each followed by one message (449 of them two-part);
    # ~560 types 4/6/8/15/20/21, 23 type 1 without a position.
    "dma_aislib_stream_example_pghp.nmea": Expect(
        2_900,
        450,
        (day(2010, 6, 11, 11, 46, 10), day(2010, 6, 11, 11, 46, 39)),
        exact={"metadata": 4051, "fragment": 449},
    ),
    # 1,487 lines, no clock: ~800 positions, ~190 statics (many type 5 two-part), ~325 of
    # types 4/6/8/17/20/21, 7 comment lines.
    "gpsd_ais-nmea-type6-fid55.log": Expect(780, 180, None, exact={"not_ais": 7}),
    # 1,500 lines, mostly GNSS sentences; 164 $GPRMC at 1 Hz from 21:39:50. Its first
    # message (a type 5) comes before the first $GPRMC, so it keeps received_at.
    "gpsd_ais-nmea_NL_2020_with_gnss.log": Expect(
        135,
        20,
        (day(2020, 4, 7, 21, 39, 50), day(2020, 4, 7, 21, 43)),
        gnss_clock=True,
        max_fallback=1,
        exact={"metadata": 164},
    ),
    # 155 lines: 33 own-ship !AIVDO type 18, 42 !AIVDM, 34 $GPRMC (1 Aug 2009, 19:49).
    "gpsd_ait250_enkhuizen_2009.log": Expect(
        60,
        3,
        (day(2009, 8, 1, 19, 49, 7), day(2009, 8, 1, 19, 49, 40)),
        gnss_clock=True,
        exact={"metadata": 34},
    ),
}
CAPTURES = sorted(p.name for p in AIS_DIR.iterdir()) if AIS_DIR.is_dir() else []


def test_every_capture_has_expectations() -> None:
    if not AIS_DIR.is_dir():
        pytest.fail(f"real AIS captures missing: expected {AIS_DIR} (../shared beside the repo)")
    assert sorted(EXPECT) == CAPTURES, "a capture was added or removed: state its floors here"


@pytest.mark.parametrize("name", CAPTURES)
def test_real_capture(name: str) -> None:
    expect = EXPECT[name]
    lines = read_lines(AIS_DIR / name)
    out, decoder, _ = run(list(lines), gnss_clock=expect.gnss_clock)
    stats = decoder.stats
    positions = [m for m in out if isinstance(m, Observation)]
    statics = [m for m in out if isinstance(m, VesselStatic)]
    assert stats["position"] == len(positions)  # one observation per position line
    assert len(positions) >= expect.min_positions, dict(stats)
    assert len(statics) >= expect.min_statics, dict(stats)
    assert stats["checksum"] + stats["malformed"] + stats["garbage"] <= expect.max_corrupt
    for key, count in expect.exact.items():
        assert stats[key] == count, (key, dict(stats))
    if expect.window is not None:
        start, end = expect.window
        stamped = [m for m in out if m.time != RECEIVED]
        assert len(out) - len(stamped) <= expect.max_fallback
        assert all(start <= m.time <= end for m in stamped), (
            min(m.time for m in stamped),
            max(m.time for m in stamped),
        )
    assert all(m.time.tzinfo is UTC for m in out)


def test_captures_decode_the_same_from_str_as_from_bytes() -> None:
    lines = read_lines(AIS_DIR / "dma_aislib_stream_example_pghp.nmea")[:400]
    as_bytes, bytes_decoder, _ = run(list(lines))
    as_text, text_decoder, _ = run([line.decode("ascii") + "\r\n" for line in lines])
    assert as_bytes == as_text
    assert bytes_decoder.stats == text_decoder.stats


def test_mutated_real_lines_never_raise_and_stay_accounted() -> None:
    rng = random.Random(20260101)
    source = read_lines(AIS_DIR / "gpsd_ais-nmea-type6-fid55.log")
    mutated: list[bytes | str] = []
    for line in rng.sample(source, 400):
        cut = rng.randrange(len(line) + 1)
        mutated += [
            line[:cut],
            line[:cut] + bytes([rng.randrange(256)]) + line[cut + 1 :],
            line[cut:] + line[:cut],
            line * 3,
        ]
    _, decoder, _ = run(mutated, max_pending_groups=8)
    assert decoder.stats["position"] < len(mutated) // 2  # the mutations did break lines


# ---------------------------------------------------------------- single sentences

DMA_PGHP = "$PGHP,1,2010,6,11,11,46,12,470,219,,2190064,1,5D*57"
DMA_TYPE1 = "!BSVDM,1,1,,A,13:WB@0vC2PmgjpP`WO=DbdF0<0U,0*5D"
NL_TYPE5 = [
    "!AIVDM,2,1,9,B,55R3Vn82=ILTQ3KKS>1<D60Dq@E918U<F222221J1`?164vc03S1CCAD,0*2A",
    "!AIVDM,2,2,9,B,`88888888888880,2*76",
]


def test_single_part_position_report() -> None:
    (obs,), _, calls = run([DMA_TYPE1])
    assert obs == Observation(
        source=Source.AIS,
        sensor_id="rx-1",
        target_ref="212456000",
        time=RECEIVED,
        lat=57.033167,
        lon=11.741167,
        sog_kn=19.4,
        cog_deg=341.0,
        heading_deg=342.0,
    )
    assert calls == [(LineOutcome.POSITION, 1, "")]


def test_two_part_type5_is_one_static_and_one_fragment() -> None:
    decoder = AisDecoder("rx-1")
    assert decoder.feed(NL_TYPE5[0], RECEIVED) == ()
    assert sum(decoder.stats.values()) == 0  # waiting: not counted yet
    (static,) = decoder.feed(NL_TYPE5[1], RECEIVED)
    assert static == VesselStatic(
        sensor_id="rx-1",
        time=RECEIVED,
        mmsi=371255000,
        imo=9266633,
        name="SEA ENTERPRISE",
        callsign="HP6683",
        ship_type=90,
        length_m=28.0,
        beam_m=7.0,
    )
    assert decoder.stats == {"fragment": 1, "static": 1}


def test_tag_block_time_seconds_and_milliseconds() -> None:
    line = "\\c:1420030798*00\\!ABVDM,1,1,4,B,17P;HV?P008F98Il;EC1mOwL0@KP,0*22"
    obs = position([line])
    assert (obs.target_ref, obs.time) == (
        "503503000",
        datetime(2014, 12, 31, 12, 59, 58, tzinfo=UTC),
    )
    assert (obs.lat, obs.lon, obs.sog_kn, obs.cog_deg, obs.heading_deg) == (
        -20.66206,
        116.685247,
        0.0,
        46.9,
        None,
    )
    obs = position([tag("s:x,c:1420030798123") + DMA_TYPE1])
    assert obs.time == datetime(2014, 12, 31, 12, 59, 58, 123000, tzinfo=UTC)


def test_tag_block_with_a_wrong_checksum_is_refused() -> None:
    assert outcome_of("\\c:1420030798*01\\" + DMA_TYPE1) == Rejection.CHECKSUM
    assert outcome_of("\\c:1420030798\\" + DMA_TYPE1) == Rejection.MALFORMED
    assert outcome_of("\\c:1420030798*00" + DMA_TYPE1) == Rejection.MALFORMED  # unterminated


def test_pghp_stamps_only_the_next_line() -> None:
    out, decoder, _ = run([DMA_PGHP, DMA_TYPE1, DMA_TYPE1])
    assert [m.time for m in out] == [
        datetime(2010, 6, 11, 11, 46, 12, 470000, tzinfo=UTC),
        RECEIVED,
    ]
    assert decoder.stats == {"metadata": 1, "position": 2}


def test_pghp_with_a_non_numeric_source_field_still_stamps_the_next_line() -> None:
    """AMSA's satellite source writes `1AIS_S` where pyais wants a number (issue 13)."""
    amsa = "$PGHP,1,2012,1,27,9,58,26,36,316,2,316000002,1AIS_S,0F*32"
    out, decoder, _ = run([amsa, DMA_TYPE1])
    assert [m.time for m in out] == [datetime(2012, 1, 27, 9, 58, 26, 36000, tzinfo=UTC)]
    assert decoder.stats == {"metadata": 1, "position": 1}


def test_trailing_unix_time_after_the_checksum() -> None:
    line = "!AIVDM,1,1,,B,15@:Ip002k3Dr;`78KwapWp@0H5b,0*0F,1276256770"
    obs = position([line])
    assert (obs.target_ref, obs.time, obs.sog_kn) == (
        "352492000",
        datetime(2010, 6, 11, 11, 46, 10, tzinfo=UTC),
        17.9,
    )


def test_rmc_clock_only_with_gnss_clock() -> None:
    rmc = "$GPRMC,213950.00,A,5250.53669,N,00542.34920,E,0.020,,070420,,,A*7D"
    void = nmea("$GPRMC,213951.00,V,,,,,,,070420,,,N")
    (obs,), decoder, _ = run([rmc, void, DMA_TYPE1], gnss_clock=True)
    assert obs.time == datetime(2020, 4, 7, 21, 39, 50, tzinfo=UTC)  # the void fix is skipped
    assert decoder.stats == {"metadata": 2, "position": 1}
    (obs,), decoder, _ = run([rmc, DMA_TYPE1])
    assert obs.time == RECEIVED
    assert decoder.stats == {"not_ais": 1, "position": 1}


def test_zda_clock_with_gnss_clock() -> None:
    zda = nmea("$GPZDA,213950.00,07,04,2020,00,00")
    (obs,), decoder, _ = run([zda, DMA_TYPE1], gnss_clock=True)
    assert obs.time == datetime(2020, 4, 7, 21, 39, 50, tzinfo=UTC)
    assert decoder.stats == {"metadata": 1, "position": 1}


def test_received_at_is_normalised_to_utc() -> None:
    local = datetime(2030, 1, 1, 4, tzinfo=timezone(timedelta(hours=2)))
    (obs,), _, _ = run([DMA_TYPE1], received_at=local)
    assert obs.time == datetime(2030, 1, 1, 2, tzinfo=UTC)
    assert obs.time.tzinfo is UTC


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (DMA_TYPE1[:-2] + "00", Rejection.CHECKSUM),
        (DMA_TYPE1[:30], Rejection.MALFORMED),  # cut in transit: no checksum
        (nmea("!AIVDM,1,1,,A,13:WB@0vC2PmgjpP,0"), Rejection.MALFORMED),  # 96 of 137 bits
        (nmea("!AIVDM,1,1,,A,,0"), Rejection.MALFORMED),
        (DMA_TYPE1 + DMA_TYPE1, Rejection.MALFORMED),  # two sentences glued by a lost newline
        (nmea("!AIVDM,3,4,,A,13:WB@0vC2PmgjpP`WO=DbdF0<0U,0"), Rejection.MALFORMED),
        (nmea("!AIVDM,1,1,,A,w3:WB@0vC2PmgjpP`WO=DbdF0<0U,0"), Rejection.MALFORMED),  # type 63
        ("AIVDM,1,1,,B,13aDp<PP000IwSlN?Wm@0?wN2<1T,0*29", Rejection.MALFORMED),
        (b"\xff\xfe!AIVDM,1,1,,B,13aDp<PP000IwSlN?Wm@0?wN2<1T,0*29", Rejection.GARBAGE),
        (b"!AIVDM,1,1,,B,13aDp<PP\x00\x01", Rejection.GARBAGE),
        ("!AIVDM,1,1,,B,13aDp<PP000IwSlN?Wm@0?wN2<1T,0*29\u00e9", Rejection.GARBAGE),
        (b"!AIVDM,1,1,,B," + b"1" * MAX_LINE_BYTES, Rejection.OVERSIZED),
        (
            "$GPGGA,213950.00,5250.53669,N,00542.34920,E,1,09,1.03,-6.0,M,45.8,M,,*7B",
            Rejection.NOT_AIS,
        ),
        ("# a comment", Rejection.NOT_AIS),
        (b"  \r\n", Rejection.NOT_AIS),
        ("!AIVDM,1,1,,B,402=481uaUcf;OQ55JS9ITi025Jp,0*2B", Rejection.UNSUPPORTED_TYPE),  # type 4
        (
            encoded({"msg_type": 1, "mmsi": 244123456, "lat": 91, "lon": 181})[0],
            Rejection.NO_POSITION,
        ),
    ],
)
def test_rejections(line: bytes | str, expected: Rejection) -> None:
    assert outcome_of(line) == expected


def test_a_line_of_exactly_the_limit_is_not_oversized() -> None:
    line = b"!AIVDM,1,1,,B," + b"1" * (MAX_LINE_BYTES - 14)
    assert len(line) == MAX_LINE_BYTES
    assert outcome_of(line) != Rejection.OVERSIZED


def test_not_available_speed_course_heading_map_to_none() -> None:
    (line,) = encoded(
        {
            "msg_type": 1,
            "mmsi": 244123456,
            "lat": 52.5,
            "lon": 5.25,
            "speed": 102.3,
            "course": 360,
            "heading": 511,
        }
    )
    obs = position([line])
    assert (obs.lat, obs.lon, obs.sog_kn, obs.cog_deg, obs.heading_deg) == (
        52.5,
        5.25,
        None,
        None,
        None,
    )
    (line,) = encoded(
        {
            "msg_type": 1,
            "mmsi": 244123456,
            "lat": 52.5,
            "lon": 5.25,
            "speed": 102.2,
            "course": 359.9,
            "heading": 359,
        }
    )
    obs = position([line])
    assert (obs.sog_kn, obs.cog_deg, obs.heading_deg) == (102.2, 359.9, 359.0)
    (line,) = encoded(
        {"msg_type": 27, "mmsi": 244123456, "lat": 52.5, "lon": 5.25, "speed": 63, "course": 511}
    )
    obs = position([line])
    assert (obs.lat, obs.lon, obs.sog_kn, obs.cog_deg, obs.heading_deg) == (
        52.5,
        5.25,
        None,
        None,
        None,
    )


def test_type24_part_a_and_b() -> None:
    part_a = "!AIVDM,1,1,,B,H39sGlPhT8E9@5<000000000000,2*5C"
    part_b = "!AIVDM,1,1,,B,H39sGlTU7B=40054;omlo0103314,0*4D"
    (a, b), decoder, _ = run([part_a, part_b])
    assert a == VesselStatic(sensor_id="rx-1", time=RECEIVED, mmsi=211736530, name="LIBERTAS")
    assert b == VesselStatic(
        sensor_id="rx-1",
        time=RECEIVED,
        mmsi=211736530,
        callsign="DK7547",
        ship_type=37,
        length_m=11.0,
        beam_m=4.0,
    )
    assert decoder.stats == {"static": 2}


def test_type19_gives_position_with_length_and_static() -> None:
    (line,) = encoded(
        {
            "msg_type": 19,
            "mmsi": 244123456,
            "lat": 52.5,
            "lon": 5.25,
            "speed": 7.5,
            "course": 123.4,
            "heading": 120,
            "shipname": "NORTH STAR",
            "ship_type": 37,
            "to_bow": 10,
            "to_stern": 5,
            "to_port": 2,
            "to_starboard": 3,
        }
    )
    (obs, static), decoder, _ = run([line])
    assert isinstance(obs, Observation)
    assert (obs.sog_kn, obs.cog_deg, obs.heading_deg, obs.length_m) == (7.5, 123.4, 120.0, 15.0)
    assert static == VesselStatic(
        sensor_id="rx-1",
        time=RECEIVED,
        mmsi=244123456,
        name="NORTH STAR",
        ship_type=37,
        length_m=15.0,
        beam_m=5.0,
    )
    assert decoder.stats == {"position": 1}


def test_static_not_available_values_map_to_none() -> None:
    for imo in (0, 123_456_789):  # 0 is "none"; more than 7 digits is no IMO number
        lines = encoded(
            {"msg_type": 5, "mmsi": 244123456, "imo": imo, "shipname": "X", "ship_type": 0}
        )
        (static,), decoder, _ = run(lines)
        assert static == VesselStatic(sensor_id="rx-1", time=RECEIVED, mmsi=244123456, name="X")
        assert decoder.stats == {"fragment": 1, "static": 1}
    (blank_name,) = encoded({"msg_type": 24, "mmsi": 211736530, "partno": 0, "shipname": " "})
    (static,), _, _ = run([blank_name])
    assert static == VesselStatic(sensor_id="rx-1", time=RECEIVED, mmsi=211736530)


def test_type19_without_position_still_gives_its_static() -> None:
    (line,) = encoded(
        {
            "msg_type": 19,
            "mmsi": 244123456,
            "lat": 91,
            "lon": 181,
            "shipname": "NORTH STAR",
            "to_bow": 10,
            "to_stern": 5,
        }
    )
    (static,), decoder, _ = run([line])
    assert static == VesselStatic(
        sensor_id="rx-1", time=RECEIVED, mmsi=244123456, name="NORTH STAR", length_m=15.0
    )
    assert decoder.stats == {"static": 1}


def test_schema_refusal_is_invalid_value() -> None:
    (line,) = encoded(
        {
            "msg_type": 19,
            "mmsi": 244123456,
            "lat": 52.5,
            "lon": 5.25,
            "shipname": "BIG",
            "to_bow": 511,
            "to_stern": 511,
        }
    )  # 1,022 m > 600
    out, decoder, calls = run([line])
    assert out == []
    assert decoder.stats == {"invalid_value": 1}
    assert "length_m" in calls[0][2]


# ---------------------------------------------------------------- multi-part assembly


def three_parts() -> list[str]:
    """NL_TYPE5's payload re-cut into three sentences, as a receiver may send it."""
    payload = NL_TYPE5[0].split(",")[5] + NL_TYPE5[1].split(",")[5]
    cuts = [payload[:25], payload[25:50], payload[50:]]
    return [
        nmea(f"!AIVDM,3,{n},4,A,{part},{2 if n == 3 else 0}")
        for n, part in enumerate(cuts, start=1)
    ]


def test_three_part_message_counts_two_fragments() -> None:
    out, decoder, calls = run(three_parts())
    assert [(m.mmsi, m.name) for m in out if isinstance(m, VesselStatic)] == [
        (371255000, "SEA ENTERPRISE")
    ]
    assert calls == [(LineOutcome.FRAGMENT, 2, ""), (LineOutcome.STATIC, 1, "")]
    out, decoder, calls = run(three_parts()[:2])
    assert out == []
    assert calls == [(Rejection.INCOMPLETE_MULTIPART, 2, "flushed before the message completed")]
    first, second, third = three_parts()
    out, decoder, _ = run([first, third, second])  # out of order: taken as lost, not guessed
    assert out == []
    assert decoder.stats == {"incomplete_multipart": 3}


def test_lone_first_fragment_is_incomplete_at_flush() -> None:
    out, _, calls = run([NL_TYPE5[0]])
    assert out == []
    assert calls == [(Rejection.INCOMPLETE_MULTIPART, 1, "flushed before the message completed")]


def test_second_part_without_first_is_incomplete() -> None:
    out, decoder, _ = run([NL_TYPE5[1], NL_TYPE5[0]])
    assert out == []
    assert decoder.stats == {"incomplete_multipart": 2}


def test_repeated_first_part_replaces_the_stale_one() -> None:
    out, decoder, _ = run([NL_TYPE5[0], NL_TYPE5[0], NL_TYPE5[1]])
    assert [m.mmsi for m in out if isinstance(m, VesselStatic)] == [371255000]
    assert decoder.stats == {"incomplete_multipart": 1, "fragment": 1, "static": 1}


def test_pending_groups_age_out_by_arrival_time() -> None:
    decoder = AisDecoder("rx-1", multipart_max_age_s=60)
    decoder.feed(NL_TYPE5[0], RECEIVED)
    assert decoder.feed(NL_TYPE5[1], RECEIVED + timedelta(seconds=61)) == ()
    assert decoder.stats == {"incomplete_multipart": 2}
    decoder.feed(NL_TYPE5[0], RECEIVED)
    assert len(decoder.feed(NL_TYPE5[1], RECEIVED + timedelta(seconds=59))) == 1


def test_too_many_pending_groups_evicts_the_oldest() -> None:
    first_parts = [NL_TYPE5[0].replace(",9,B,", f",{seq},B,", 1) for seq in range(3)]
    first_parts = [nmea(line.rsplit("*", 1)[0]) for line in first_parts]
    _, decoder, calls = run(first_parts, max_pending_groups=2)
    assert calls[0] == (Rejection.INCOMPLETE_MULTIPART, 1, "too many pending messages")
    assert decoder.stats == {"incomplete_multipart": 3}


def test_tag_block_groups_key_interleaved_parts_and_carry_the_first_time() -> None:
    body1 = "!AIVDM,2,1,9,B,58KvN<42ACikUKW77F1H4hF0<PTp622222222216`0`cF5BF0RT13H0T,0*70"
    body2 = "!AIVDM,2,2,9,B,PFRC88888888880,2*29"
    lines = [
        tag("g:1-2-3985,s:rEV02,c:1334337317") + body1,
        tag("g:1-2-3986,c:1334337400") + body1,
        tag("g:2-2-3985") + body2,
        tag("g:2-2-3986,c:1334337999") + body2,
    ]  # the first part's time wins
    out, decoder, _ = run(lines)
    assert [
        (m.mmsi, m.name, m.length_m, m.beam_m, m.time) for m in out if isinstance(m, VesselStatic)
    ] == [
        (566206000, "VALE CHINA", 360.0, 65.0, datetime(2012, 4, 13, 17, 15, 17, tzinfo=UTC)),
        (566206000, "VALE CHINA", 360.0, 65.0, datetime(2012, 4, 13, 17, 16, 40, tzinfo=UTC)),
    ]
    assert decoder.stats == {"fragment": 2, "static": 2}


def test_pghp_before_a_two_part_message_stamps_it() -> None:
    out, _, _ = run([DMA_PGHP, *NL_TYPE5])
    assert [m.time for m in out] == [datetime(2010, 6, 11, 11, 46, 12, 470000, tzinfo=UTC)]


def test_a_failing_callback_does_not_stop_the_feed() -> None:
    def explode(outcome: LineOutcome | Rejection, lines: int, detail: str) -> None:
        raise RuntimeError("metrics down")

    decoder = AisDecoder("rx-1", on_outcome=explode)
    assert len(decoder.feed(DMA_TYPE1, RECEIVED)) == 1
    assert decoder.stats == {"position": 1}


def test_bad_constructor_arguments_fail_fast() -> None:
    with pytest.raises(ValueError, match="sensor_id"):
        AisDecoder("")
    with pytest.raises(ValueError, match="positive"):
        AisDecoder("rx-1", max_pending_groups=0)
