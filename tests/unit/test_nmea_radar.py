"""The radar ARPA decoder: TTM geometry and units, target status, accounting, and a real capture."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime
from functools import reduce
from pathlib import Path

import pytest

from ingest.nmea_radar import RadarDecoder, RadarOutcome, RadarSite
from shorewatch.events import Observation, Source

RADAR_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "radar"
CAPTURE = RADAR_DATA / "navico_broadband4g_RadarLogs_2015-07-27.nmea"
T0 = datetime(2026, 3, 4, 12, 0, 0, tzinfo=UTC)
SITE = RadarSite(lat=58.0, lon=11.0)
NM_DEG_LAT = 1852.0 / (6_371_008.8 * math.pi / 180.0)  # one nautical mile north, in degrees
# 1 nm due east of SITE: 1852 / (111,195 m * cos 58°) = 0.031430° of longitude.
EAST_1NM = (58.0, 11.031430)
Capture = tuple[RadarDecoder, int, dict[str, dict[tuple[str, datetime], Observation]]]


def nmea(body: str) -> str:
    """A sentence with a correct checksum, computed here independently of pynmeagps."""
    return f"${body}*{reduce(lambda acc, ch: acc ^ ord(ch), body, 0):02X}\r\n"


def ttm(
    num: int = 1,
    dist: str = "1.00",
    brg: str = "90.0",
    brg_u: str = "T",
    spd: str = "10.0",
    crs: str = "45.0",
    crs_u: str = "T",
    units: str = "N",
    status: str = "T",
    tod: str = "120000",
) -> str:
    return nmea(
        f"RATTM,{num:02d},{dist},{brg},{brg_u},{spd},{crs},{crs_u},0.10,-2.0,{units},"
        f"BOAT{num},{status},,{tod},M"
    )


def one(decoder: RadarDecoder, line: str | bytes, outcome: RadarOutcome) -> tuple[Observation, ...]:
    before = decoder.stats[outcome.value]
    out = decoder.feed(line, T0)
    assert decoder.stats[outcome.value] == before + 1, dict(decoder.stats)
    return out


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2, dl = math.radians(a[0]), math.radians(b[0]), math.radians(b[1] - a[1])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def test_ttm_true_bearing_from_fixed_site() -> None:
    (obs,) = one(RadarDecoder("ra", site=SITE), ttm(), RadarOutcome.TARGET)
    assert obs.lat == pytest.approx(58.0, abs=1e-3)
    assert obs.lon == pytest.approx(11.0316, abs=1e-3)
    assert haversine_m((58.0, 11.0), (obs.lat, obs.lon)) == pytest.approx(1852.0, abs=0.5)
    assert (obs.source, obs.sensor_id, obs.target_ref, obs.label) == (
        Source.RADAR,
        "ra",
        "ra-1",
        "BOAT1",
    )
    assert (obs.sog_kn, obs.cog_deg) == (10.0, 45.0)
    assert obs.time == datetime(2026, 3, 4, 12, 0, 0, tzinfo=UTC)  # date of received_at


def test_ttm_from_own_ship_fix_with_rmc_date() -> None:
    decoder = RadarDecoder("ra")
    one(decoder, ttm(brg="0.0"), RadarOutcome.NO_POSITION)  # no fix yet
    one(
        decoder,
        nmea("GPRMC,115959,A,5800.0000,N,01100.0000,E,0.0,0.0,270715,2.9,E,A"),
        RadarOutcome.OWN_SHIP,
    )
    (obs,) = one(decoder, ttm(brg="0.0"), RadarOutcome.TARGET)
    assert obs.lat == pytest.approx(58.0 + NM_DEG_LAT, abs=1e-6)
    assert obs.lon == pytest.approx(11.0, abs=1e-9)
    assert obs.time == datetime(2015, 7, 27, 12, 0, 0, tzinfo=UTC)  # RMC date, TTM time


def test_own_ship_fix_ignored_when_disabled() -> None:
    decoder = RadarDecoder("ra", use_own_ship_fix=False)
    decoder.feed(nmea("GPGGA,115959,5800.0000,N,01100.0000,E,1,08,1.0,5,M,40,M,,"), T0)
    one(decoder, ttm(), RadarOutcome.NO_POSITION)


def test_relative_bearing_uses_site_heading() -> None:
    site = RadarSite(lat=58.0, lon=11.0, heading_deg=90.0)
    (obs,) = one(
        RadarDecoder("ra", site=site),
        ttm(brg="0.0", brg_u="R", crs="10.0", crs_u="R"),
        RadarOutcome.TARGET,
    )
    assert (obs.lat, obs.lon) == pytest.approx(EAST_1NM, abs=1e-5)
    assert obs.cog_deg == pytest.approx(100.0)


def test_relative_bearing_uses_hdg_corrected_for_variation() -> None:
    decoder = RadarDecoder("ra", site=SITE)
    one(decoder, ttm(brg="0.0", brg_u="R"), RadarOutcome.NO_POSITION)  # no heading known yet
    one(decoder, nmea("SDHDG,80.0,4.0,E,6.0,E"), RadarOutcome.OWN_SHIP)  # 80 + 4 + 6 = 90 true
    (obs,) = one(decoder, ttm(brg="0.0", brg_u="R"), RadarOutcome.TARGET)
    assert (obs.lat, obs.lon) == pytest.approx(EAST_1NM, abs=1e-5)
    # An HDG without variation borrows the RMC's: 95 - 5 = 90 true.
    decoder.feed(nmea("GPRMC,115959,A,5800.0000,N,01100.0000,E,0.0,0.0,270715,5.0,W,A"), T0)
    decoder.feed(nmea("SDHDG,95.0,,,,"), T0)
    (obs,) = one(decoder, ttm(brg="0.0", brg_u="R"), RadarOutcome.TARGET)
    assert (obs.lat, obs.lon) == pytest.approx(EAST_1NM, abs=1e-5)


@pytest.mark.parametrize(
    ("units", "dist", "spd"),
    [("N", "1.00", "10.0"), ("K", "1.852", "18.52"), ("S", "1.150779", "11.50779")],
)
def test_distance_and_speed_units(units: str, dist: str, spd: str) -> None:
    (obs,) = one(
        RadarDecoder("ra", site=SITE),
        ttm(dist=dist, brg="0.0", spd=spd, units=units),
        RadarOutcome.TARGET,
    )
    assert obs.lat == pytest.approx(58.0 + NM_DEG_LAT, abs=1e-6)  # all three are 1 nm
    assert obs.sog_kn == pytest.approx(10.0, abs=1e-4)


def test_lost_and_query_status() -> None:
    decoder = RadarDecoder("ra", site=SITE)
    assert one(decoder, ttm(num=3, status="L"), RadarOutcome.LOST) == ()
    assert decoder.lost_targets == ["ra-3"]
    tll_lost = nmea("RATLL,04,5812.0000,N,01130.0000,E,BOAT4,120000,L,")
    assert one(decoder, tll_lost, RadarOutcome.LOST) == ()
    assert decoder.lost_targets == ["ra-4"]  # only the latest feed's
    assert one(decoder, ttm(num=5, status="Q"), RadarOutcome.QUERY) == ()
    assert decoder.lost_targets == []
    assert len(one(decoder, ttm(status=""), RadarOutcome.TARGET)) == 1  # empty status: tracking


def test_tll_signs_hemispheres() -> None:
    line = nmea("RATLL,07,3345.0000,S,07030.0000,W,,,T,")
    (obs,) = one(RadarDecoder("ra"), line, RadarOutcome.TARGET)
    assert (obs.lat, obs.lon) == pytest.approx((-33.75, -70.5))
    assert (obs.target_ref, obs.label, obs.time) == ("ra-7", None, T0)  # no time: received_at


def test_time_of_day_after_midnight_rolls_the_date() -> None:
    decoder = RadarDecoder("ra", site=SITE)
    decoder.feed(nmea("GPZDA,235959,27,07,2015,00,00"), T0)
    (obs,) = one(decoder, ttm(tod="000001"), RadarOutcome.TARGET)
    assert obs.time == datetime(2015, 7, 28, 0, 0, 1, tzinfo=UTC)


def test_bad_lines_are_classified_never_raised() -> None:
    seen: list[RadarOutcome] = []

    def broken_logger(outcome: RadarOutcome, line: str) -> None:
        seen.append(outcome)
        raise RuntimeError("logger down")

    decoder = RadarDecoder("ra", site=SITE, on_outcome=broken_logger)
    good = ttm()
    bad_checksum = good[:-4] + ("00" if good[-4:-2] != "00" else "01") + "\r\n"
    one(decoder, bad_checksum, RadarOutcome.CHECKSUM)
    for garbage in (
        b"\xff\xfe\x00\x81garbage",
        b"",
        "hello",
        "$RATTM",
        nmea("RATTM,xx,1.0"),
        ttm(dist="abc"),
        ttm(units=""),
        ttm(status="X"),
        nmea("RATLL,01,9912.0000,N,01130.0000,E,,,T,"),
    ):
        one(decoder, garbage, RadarOutcome.MALFORMED)
    one(decoder, nmea("SDDPT,3.5,0.-6,"), RadarOutcome.NOT_RADAR)  # odd, but not ours to judge
    one(decoder, "!AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0*26", RadarOutcome.NOT_RADAR)
    assert sum(decoder.stats.values()) == len(seen) == 12
    assert seen[0] is RadarOutcome.CHECKSUM


def test_sensor_id_must_fit_target_ref() -> None:
    with pytest.raises(ValueError, match="sensor_id"):
        RadarDecoder("x" * 61)


@pytest.fixture(scope="module")
def capture() -> Capture:
    if not CAPTURE.is_file():
        pytest.fail(f"real test data missing: expected {CAPTURE} (../shared beside the repo)")
    lines = CAPTURE.read_bytes().splitlines()
    decoder = RadarDecoder("navico")
    by_kind: dict[str, dict[tuple[str, datetime], Observation]] = {"TTM": {}, "TLL": {}}
    for line in lines:
        for obs in decoder.feed(line, T0):
            by_kind[line[3:6].decode()][(obs.target_ref, obs.time)] = obs
    return decoder, len(lines), by_kind


def test_capture_every_line_counted_once(capture: Capture) -> None:
    decoder, n_lines, by_kind = capture
    # wc -l says 56,578: the last line (a GLL cut off mid-sentence) has no line ending.
    assert n_lines == 56_579
    assert sum(decoder.stats.values()) == n_lines
    # 1,466 TTM + 1,466 TLL: per sentence kind 1,376 tracking, 73 Q (acquiring), 17 L (lost),
    # counted from the status fields with grep. Own ship: 16,236 HDG + 1,627 each of RMC, GGA,
    # ZDA, VTG + 1,626 GLL; the one malformed line is that truncated GLL. The rest (GSV, XDR...)
    # is not radar.
    assert dict(decoder.stats) == {
        "target": 2 * 1376,
        "query": 2 * 73,
        "lost": 2 * 17,
        "own_ship": 24_370,
        "malformed": 1,
        "not_radar": 29_276,
    }
    assert (len(by_kind["TTM"]), len(by_kind["TLL"])) == (1376, 1376)  # no duplicate keys
    times = [key[1] for key in by_kind["TLL"]]
    assert min(times) == datetime(2015, 7, 27, 13, 46, 1, tzinfo=UTC)
    assert max(times) < datetime(2015, 7, 27, 14, 27, tzinfo=UTC)


def test_capture_ttm_agrees_with_tll(capture: Capture) -> None:
    _, _, by_kind = capture
    common = by_kind["TTM"].keys() & by_kind["TLL"].keys()
    # One target-3 pair straddles a second (TLL 13:58:52, TTM 13:58:53): 1,375 pairs.
    assert len(common) >= 1370
    gaps = sorted(
        haversine_m(
            (by_kind["TTM"][k].lat, by_kind["TTM"][k].lon),
            (by_kind["TLL"][k].lat, by_kind["TLL"][k].lon),
        )
        for k in common
    )
    # Measured: median 4.8 m, 95th percentile 9.0 m, worst 59.9 m (target 2 at 13 kn, 14:02:14).
    assert statistics.median(gaps) < 10.0
    assert gaps[-1] < 100.0


# Issue 13, item 1: every time source on the radar feed, in the formats real feeds write.
NAVICO_TLL = "$RATLL,01,5812.6870,N,01131.9502,E,1 (Broadband 4G - 2782 B),134601,T,*5F"
NAVICO_TTM = "$RATTM,01,0.48,263.6,T,0.0,2.9,T,0.48,,N,1 (Broadband 4G - 2782 B),T,,134601,M*51"


def tagged(sentence: str, stamp: datetime, source: str = "mux1") -> str:
    """An NMEA 4 tag block as a multiplexer that stamps every sentence writes it."""
    body = f"s:{source},c:{int(stamp.timestamp())}"
    return f"\\{body}*{reduce(lambda acc, ch: acc ^ ord(ch), body, 0):02X}\\{sentence}"


def test_tag_block_dates_tll_and_ttm_without_own_ship_date() -> None:
    decoder = RadarDecoder("ra", site=RadarSite(lat=58.2123, lon=11.5475))
    stamp = datetime(2015, 7, 27, 13, 46, 2, tzinfo=UTC)  # the multiplexer, 1 s after the radar
    (tll,) = one(decoder, tagged(NAVICO_TLL, stamp), RadarOutcome.TARGET)
    (ttm_obs,) = one(decoder, tagged(NAVICO_TTM, stamp), RadarOutcome.TARGET)
    radar_time = datetime(2015, 7, 27, 13, 46, 1, tzinfo=UTC)  # the radar's own time of day
    assert tll.time == ttm_obs.time == radar_time  # dated by the tag block, not by T0 (2026)
    assert (tll.lat, tll.lon) == pytest.approx((58.21145, 11.532503), abs=1e-5)


def test_tag_block_date_rolls_over_midnight_and_beats_a_stale_own_ship_date() -> None:
    decoder = RadarDecoder("ra", site=SITE)
    decoder.feed(nmea("GPZDA,120000,01,01,2015,00,00"), T0)  # an old own-ship date
    stamp = datetime(2015, 7, 28, 0, 0, 2, tzinfo=UTC)
    (obs,) = one(decoder, tagged(ttm(tod="235959"), stamp), RadarOutcome.TARGET)
    assert obs.time == datetime(2015, 7, 27, 23, 59, 59, tzinfo=UTC)


def test_tag_block_time_when_the_sentence_has_no_time_of_day() -> None:
    decoder = RadarDecoder("ra", site=SITE)
    stamp = datetime(2015, 7, 27, 13, 46, 2, tzinfo=UTC)
    (obs,) = one(decoder, tagged(ttm(tod=""), stamp), RadarOutcome.TARGET)
    assert obs.time == stamp


def test_own_ship_rmc_or_zda_date_without_tag_block() -> None:
    for clock in (
        nmea("GPZDA,134600,27,07,2015,-01,00"),
        nmea("GPRMC,134600,A,5812.7405,N,01132.8508,E,0.0,67.0,270715,2.9,E,A"),
    ):
        decoder = RadarDecoder("ra", site=SITE)
        decoder.feed(clock, T0)
        (obs,) = one(decoder, NAVICO_TLL, RadarOutcome.TARGET)
        assert obs.time == datetime(2015, 7, 27, 13, 46, 1, tzinfo=UTC)


def test_no_date_anywhere_takes_the_receive_date() -> None:
    decoder = RadarDecoder("ra", site=SITE)
    received = datetime(2026, 3, 4, 13, 50, tzinfo=UTC)
    (obs,) = decoder.feed(NAVICO_TLL, received)
    assert obs.time == datetime(2026, 3, 4, 13, 46, 1, tzinfo=UTC)


def test_broken_tag_blocks_are_counted() -> None:
    decoder = RadarDecoder("ra", site=SITE)
    good = tagged(NAVICO_TLL, datetime(2015, 7, 27, 13, 46, 2, tzinfo=UTC))
    end = good.index("\\", 1)
    wrong = good[: end - 2] + ("00" if good[end - 2 : end] == "FF" else "FF") + good[end:]
    one(decoder, wrong, RadarOutcome.CHECKSUM)
    one(decoder, good[:end] + good[end + 1 :], RadarOutcome.MALFORMED)  # unterminated
    one(decoder, good.replace(good[good.index("*") : end], ""), RadarOutcome.MALFORMED)
