"""The traffic simulator: deterministic, decodable NMEA with true tag-block times, a demo that
really crosses the restricted zone, radar ARPA sentences that decode back onto the vessels,
each planted behaviour as sent on the air, and a real UDP round trip."""

from __future__ import annotations

import itertools
import math
import socket
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pyais import decode
from pyais.messages import NMEASentenceFactory
from shapely.geometry import Point, Polygon

from app.replay.timed_lines import split_prefix
from app.simulator import (
    Channel,
    Scenario,
    SimRadar,
    SimVessel,
    UdpSender,
    demo_scenario,
    lines_between,
    mixed_scenario,
    position_at,
    radar_sentences_between,
    scenario_lines,
    sentences_between,
    target_number,
)
from app.simulator.motion import range_bearing
from app.simulator.scenarios import (
    AIS_GAP,
    DARK_SPEEDBOAT,
    DEMO_RADAR,
    RENDEZVOUS,
    SPOOFED,
)
from ingest.nmea_radar import RadarDecoder, RadarSite
from shorewatch.events import Observation

START = datetime(2026, 11, 20, 12, tzinfo=UTC)
ZONE = Polygon([(11.40, 58.24), (11.44, 58.24), (11.44, 58.26), (11.40, 58.26), (11.40, 58.24)])
SHADOW = 265123456


def inside(scenario: Scenario, mmsi: int, t: float) -> bool:
    vessel = next(v for v in scenario.vessels if v.mmsi == mmsi)
    fix = position_at(vessel, t)
    return bool(ZONE.contains(Point(fix.lon, fix.lat)))


def tag_time(line: str) -> int:
    tag = NMEASentenceFactory.produce(line.encode()).tag_block
    assert tag is not None
    tag.init()
    assert tag.is_valid
    assert tag.receiver_timestamp is not None
    return int(tag.receiver_timestamp)


def nmea_fields(line: str) -> list[str]:
    """The sentence's comma fields, after the tag block: ['!AIVDM', count, number, id, ...]."""
    return line.split("\\")[2].split(",")


def decode_all(lines: list[str]) -> list[dict[str, Any]]:
    """Decode a stream, assembling each two-part type 5 from consecutive lines."""
    out: list[dict[str, Any]] = []
    pending: list[str] = []
    for line in lines:
        frag_cnt = int(nmea_fields(line)[1])
        pending.append(line)
        if len(pending) == frag_cnt:
            out.append(decode(*pending).asdict())
            pending = []
    assert not pending
    return out


def test_same_arguments_give_same_lines_and_windows_partition() -> None:
    scenario = demo_scenario(START)
    whole = sentences_between(scenario, -1.0, 300.0)
    assert whole == sentences_between(demo_scenario(START), -1.0, 300.0)
    cuts = [-1.0, 0.0, 0.3, 17.25, 60.0, 61.1, 150.0, 300.0]
    pieces = [sentences_between(scenario, a, b) for a, b in itertools.pairwise(cuts)]
    assert list(itertools.chain.from_iterable(pieces)) == whole
    assert [t for t, _ in whole] == sorted(t for t, _ in whole)


def test_every_line_decodes_to_its_vessel_at_its_position_and_time() -> None:
    scenario = demo_scenario(START)
    by_mmsi = {v.mmsi: v for v in scenario.vessels}
    lines = sentences_between(scenario, -1.0, 180.0)
    messages = decode_all([line for _, line in lines])
    report_times = iter(t for t, line in lines if nmea_fields(line)[2] == "1")
    statics = {mmsi: 0 for mmsi in by_mmsi}
    for message in messages:
        t = next(report_times)
        vessel = by_mmsi[int(message["mmsi"])]
        if message["msg_type"] == 5:
            statics[vessel.mmsi] += 1
            assert message["shipname"] == vessel.name
            assert message["callsign"] == vessel.callsign
            assert int(message["ship_type"]) == vessel.ship_type
            continue
        assert message["msg_type"] == (18 if vessel.class_b else 1)
        fix = position_at(vessel, t)
        assert message["lat"] == pytest.approx(fix.lat, abs=1e-5)
        assert message["lon"] == pytest.approx(fix.lon, abs=1e-5)
        assert message["speed"] == pytest.approx(fix.sog_kn, abs=0.06)
        course = float(message["course"])
        assert abs((course - fix.cog_deg + 180.0) % 360.0 - 180.0) < 0.11
    # At the first report and every 60 s after: offset, +60, +120, and +180 only when due.
    for mmsi, count in statics.items():
        assert count == (4 if by_mmsi[mmsi].start_offset_s == 0.0 else 3)


def test_tag_block_time_is_scenario_start_plus_sim_time() -> None:
    scenario = demo_scenario(START)
    lines = sentences_between(scenario, -1.0, 120.0)
    for t, line in lines:
        assert line.startswith("\\c:")
        assert tag_time(line) == math.floor((START + timedelta(seconds=t)).timestamp())
    assert lines[0][0] == 0.0
    assert tag_time(lines[0][1]) == int(START.timestamp())


def test_type5_parts_share_a_sequential_message_id() -> None:
    lines = [line for _, line in sentences_between(demo_scenario(START), -1.0, 200.0)]
    firsts = [i for i, line in enumerate(lines) if nmea_fields(line)[1:3] == ["2", "1"]]
    ids = [int(nmea_fields(lines[i])[3]) for i in firsts]
    assert len(ids) > 10
    assert ids == [n % 10 for n in range(len(ids))]
    for i in firsts:
        first, second = nmea_fields(lines[i]), nmea_fields(lines[i + 1])
        assert second[1:4] == ["2", "2", first[3]]


def test_silver_shadow_starts_outside_and_enters_within_20_to_40_s() -> None:
    scenario = demo_scenario(START)
    assert not inside(scenario, SHADOW, 0.0)
    entered = [t for t in range(0, 41) if inside(scenario, SHADOW, t)]
    assert entered
    assert 20 <= entered[0] <= 40
    states = [inside(scenario, SHADOW, t) for t in range(0, 900, 2)]
    changes = sum(a != b for a, b in itertools.pairwise(states))
    assert changes >= 3  # in, out, back in: the loop brings it back


def test_ordinary_vessels_never_enter_the_zone_in_30_minutes() -> None:
    scenario = demo_scenario(START)
    others = [v.mmsi for v in scenario.vessels if v.mmsi != SHADOW]
    assert len(others) == 5
    assert {v.ship_type for v in scenario.vessels if v.mmsi in others} == {60, 70, 30, 37}
    for mmsi in others:
        assert not any(inside(scenario, mmsi, t) for t in range(0, 1801, 5)), mmsi


def test_route_ping_pongs_or_stops() -> None:
    base = {
        "mmsi": 265000001,
        "name": "TEST",
        "callsign": "SABC",
        "ship_type": 70,
        "length_m": 50.0,
        "beam_m": 10.0,
        "waypoints": [(58.0, 11.0), (58.01, 11.0)],
        "speed_kn": 10.0,
        "report_every_s": 5.0,
    }
    leg_s = 0.01 * 111_195.0 / (10.0 * 1852.0 / 3600.0)
    looping = SimVessel.model_validate(base)
    back = position_at(looping, leg_s * 1.5)
    assert back.lat == pytest.approx(58.005, abs=1e-6)
    assert back.cog_deg == pytest.approx(180.0)
    assert position_at(looping, leg_s * 0.5).cog_deg == pytest.approx(0.0)
    once = SimVessel.model_validate({**base, "loop": False, "start_offset_s": 10.0})
    assert position_at(once, 5.0).sog_kn == 0.0
    end = position_at(once, 10.0 + leg_s * 3)
    assert end.lat == pytest.approx(58.01)
    assert end.sog_kn == 0.0


def test_udp_round_trip_on_loopback() -> None:
    scenario = demo_scenario(START)
    ticks = itertools.count()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(5.0)
        sender = UdpSender(
            scenario,
            "127.0.0.1",
            rx.getsockname()[1],
            clock=lambda: next(ticks) * 2.0,
            step_s=0.005,
        )
        stop = threading.Event()
        thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
        thread.start()
        try:
            received = [rx.recv(65536) for _ in range(60)]
        finally:
            stop.set()
            thread.join(5.0)
    assert not thread.is_alive()
    assert sender.sent >= len(received)
    assert sender.failed == 0
    lines = [datagram.decode("ascii").strip() for datagram in received]
    assert all("\n" not in line for line in lines)  # one sentence per datagram
    expected = [line for _, line in sentences_between(scenario, -1.0, 3600.0)]
    assert lines == expected[: len(lines)]
    complete = lines[:-1] if nmea_fields(lines[-1])[1:3] == ["2", "1"] else lines
    mmsis = {int(m["mmsi"]) for m in decode_all(complete)}
    assert SHADOW in mmsis
    assert mmsis <= {v.mmsi for v in scenario.vessels}


def test_invalid_vessels_are_refused() -> None:
    with pytest.raises(ValueError, match="waypoints"):
        SimVessel(
            mmsi=265000001,
            name="X",
            callsign="SABC",
            ship_type=70,
            length_m=10.0,
            beam_m=3.0,
            waypoints=[(58.0, 11.0)],
            speed_kn=5.0,
            report_every_s=5.0,
        )
    with pytest.raises(ValueError, match="name"):
        SimVessel(
            mmsi=265000001,
            name="lower case",
            callsign="SABC",
            ship_type=70,
            length_m=10.0,
            beam_m=3.0,
            waypoints=[(58.0, 11.0), (58.1, 11.0)],
            speed_kn=5.0,
            report_every_s=5.0,
        )


# Radar output, the planted behaviours and the merged feed (mixed_scenario).


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return range_bearing(a, b)[0]


def radar_decoder(radar: SimRadar) -> RadarDecoder:
    return RadarDecoder("ra", site=RadarSite(radar.lat, radar.lon))


def decode_radar(scenario: Scenario, t0: float, t1: float) -> list[tuple[float, Observation]]:
    assert scenario.radar is not None
    decoder = radar_decoder(scenario.radar)
    out = []
    for t, line in radar_sentences_between(scenario, t0, t1):
        out += [(t, obs) for obs in decoder.feed(line, START + timedelta(seconds=t))]
    return out


def ais_reports(scenario: Scenario, mmsi: int, t1: float) -> list[tuple[float, dict[str, Any]]]:
    """(sim time, decoded message) of every message one vessel sent in (-1, t1]."""
    lines = sentences_between(scenario, -1.0, t1)
    times = [t for t, line in lines if nmea_fields(line)[2] == "1"]
    decoded = decode_all([line for _, line in lines])
    return [(t, m) for t, m in zip(times, decoded, strict=True) if int(m["mmsi"]) == mmsi]


def vessel(scenario: Scenario, mmsi: int) -> SimVessel:
    return next(v for v in scenario.vessels if v.mmsi == mmsi)


@pytest.mark.parametrize("sentence", ["TTM", "TLL"])
def test_radar_targets_decode_onto_their_vessels_at_scan_time(sentence: str) -> None:
    radar = DEMO_RADAR.model_copy(update={"sentence": sentence})
    scenario = mixed_scenario(START, radar=radar)
    seen = decode_radar(scenario, -1.0, 120.0)
    assert {t for t, _ in seen} == {3.0 * k for k in range(41)}
    numbers = set()
    for t, obs in seen:
        number = int(obs.target_ref.removeprefix("ra-"))
        numbers.add(number)
        fix = position_at(scenario.vessels[number - 1], t)
        assert obs.time == START + timedelta(seconds=t)
        assert metres((obs.lat, obs.lon), (fix.lat, fix.lon)) < (15.0 if sentence == "TTM" else 1.0)
        if sentence == "TTM":  # TLL carries no motion: the tracker derives it
            assert obs.sog_kn == pytest.approx(fix.sog_kn, abs=0.05)
            assert obs.cog_deg is not None
            assert abs((obs.cog_deg - fix.cog_deg + 180.0) % 360.0 - 180.0) < 0.06
    in_range = {
        n
        for n, v in enumerate(scenario.vessels, 1)
        if metres((radar.lat, radar.lon), (position_at(v, 0.0).lat, position_at(v, 0.0).lon))
        <= radar.range_m
    }
    assert numbers >= in_range
    assert target_number(scenario, DARK_SPEEDBOAT) not in in_range  # it runs in from outside


def test_radar_time_field_shares_the_tag_block_clock() -> None:
    start = START + timedelta(seconds=0.4567)
    scenario = mixed_scenario(start)
    (t, line), *_ = radar_sentences_between(scenario, 29.0, 30.0)
    assert t == 30.0
    assert line.startswith("$RATTM,")
    assert line.split(",")[14] == "120030.45"  # hundredths of start + t, floored
    elsewhere = mixed_scenario(start.astimezone(timezone(timedelta(hours=1))))
    assert radar_sentences_between(elsewhere, 29.0, 30.0)[0][1] == line  # UTC, whatever the tz
    ais = [tag_time(text) for t_ais, text in sentences_between(scenario, 29.0, 31.0)]
    assert int((start + timedelta(seconds=30.0)).timestamp()) in ais


def test_dark_speedboat_is_radar_only_and_lost_once_beached() -> None:
    scenario = mixed_scenario(START)
    assert not ais_reports(scenario, DARK_SPEEDBOAT, 900.0)
    number = target_number(scenario, DARK_SPEEDBOAT)
    mine = [
        (t, line.split(",")[12])
        for t, line in radar_sentences_between(scenario, -1.0, 900.0)
        if int(line.split(",")[1]) == number
    ]
    statuses = [status for _, status in mine]
    assert statuses == ["T"] * (len(mine) - 1) + ["L"]
    first, last = mine[0][0], mine[-1][0]
    assert 60.0 < first < 120.0  # enters radar range from outside
    assert 500.0 < last < 520.0  # beached at ~507 s
    boat = vessel(scenario, DARK_SPEEDBOAT)
    assert position_at(boat, first).sog_kn == 40.0
    assert (
        radar_decoder(DEMO_RADAR).feed(
            next(
                line
                for t, line in radar_sentences_between(scenario, last - 1, last)
                if int(line.split(",")[1]) == number
            ),
            START,
        )
        == ()
    )


def test_ais_gap_vessel_is_silent_then_reappears_further_on() -> None:
    scenario = mixed_scenario(START)
    reports = [(t, m) for t, m in ais_reports(scenario, AIS_GAP, 700.0) if m["msg_type"] == 1]
    times = [t for t, _ in reports]
    assert not [t for t in times if 150.0 <= t < 510.0]
    before = max(i for i, t in enumerate(times) if t < 150.0)
    (t0, a), (t1, b) = reports[before], reports[before + 1]
    assert t1 - t0 > 360.0
    assert 2000.0 < metres((a["lat"], a["lon"]), (b["lat"], b["lon"])) < 2500.0


def test_spoofed_vessel_jumps_and_renames_itself_from_240_s() -> None:
    scenario = mixed_scenario(START)
    polaris = vessel(scenario, SPOOFED)
    reports = ais_reports(scenario, SPOOFED, 400.0)
    for t, message in reports:
        if message["msg_type"] == 5:
            assert message["shipname"] == ("ATLANTIC ROSE" if t >= 240.0 else "POLARIS")
            assert message["callsign"] == ("V7AB2" if t >= 240.0 else "OJPQ")
            continue
        fix = position_at(polaris, t)
        off = metres((message["lat"], message["lon"]), (fix.lat, fix.lon))
        assert off == (pytest.approx(9000.0, abs=5.0) if t >= 240.0 else pytest.approx(0, abs=2))
    assert {t >= 240.0 for t, m in reports if m["msg_type"] == 5} == {False, True}


def test_rendezvous_pair_drifts_together_then_parts() -> None:
    scenario = mixed_scenario(START)
    alba, brisingr = (vessel(scenario, m) for m in RENDEZVOUS)
    for t in range(182, 599, 7):
        a, b = position_at(alba, t), position_at(brisingr, t)
        assert metres((a.lat, a.lon), (b.lat, b.lon)) == pytest.approx(150.0, abs=2.0)
        assert (a.sog_kn, b.sog_kn) == (0.5, 0.5)
    assert (position_at(alba, 170.0).sog_kn, position_at(brisingr, 170.0).sog_kn) == (10.0, 9.0)
    a, b = position_at(alba, 720.0), position_at(brisingr, 720.0)
    assert metres((a.lat, a.lon), (b.lat, b.lon)) > 1000.0


def test_feed_merges_sensors_in_time_order_deterministically() -> None:
    scenario = mixed_scenario(START)
    whole = lines_between(scenario, -1.0, 240.0)
    assert whole == lines_between(mixed_scenario(START), -1.0, 240.0)
    assert scenario_lines(scenario, 240.0) == whole  # t=0 is included
    cuts = [-1.0, 0.0, 2.9, 3.0, 59.5, 150.0, 240.0]
    pieces = [lines_between(scenario, a, b) for a, b in itertools.pairwise(cuts)]
    assert list(itertools.chain.from_iterable(pieces)) == whole
    assert [line.t_s for line in whole] == sorted(line.t_s for line in whole)
    assert {line.channel for line in whole} == {Channel.AIS, Channel.RADAR}
    assert [line.text for line in whole if line.channel is Channel.AIS] == [
        text for _, text in sentences_between(scenario, -1.0, 240.0)
    ]
    for line in whole[:50]:
        assert line.time == START + timedelta(seconds=line.t_s)
        stamp, rest = split_prefix(line.recorded().encode("ascii"))
        assert stamp == line.time.replace(microsecond=line.time.microsecond // 1000 * 1000)
        assert rest == line.text.encode("ascii")


def test_demo_scenario_has_no_radar_and_an_unchanged_feed() -> None:
    scenario = demo_scenario(START)
    assert scenario.radar is None
    assert radar_sentences_between(scenario, -1.0, 600.0) == []
    assert [line.text for line in lines_between(scenario, -1.0, 60.0)] == [
        text for _, text in sentences_between(scenario, -1.0, 60.0)
    ]


def test_udp_sender_sends_radar_to_its_own_port() -> None:
    scenario = mixed_scenario(START)
    ticks = itertools.count()
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ais_rx,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as radar_rx,
    ):
        for rx in (ais_rx, radar_rx):
            rx.bind(("127.0.0.1", 0))
            rx.settimeout(5.0)
        sender = UdpSender(
            scenario,
            "127.0.0.1",
            ais_rx.getsockname()[1],
            radar_port=radar_rx.getsockname()[1],
            clock=lambda: next(ticks) * 2.0,
            step_s=0.005,
        )
        stop = threading.Event()
        thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
        thread.start()
        try:
            ais = [ais_rx.recv(65536).decode("ascii").strip() for _ in range(20)]
            radar = [radar_rx.recv(65536).decode("ascii").strip() for _ in range(20)]
        finally:
            stop.set()
            thread.join(5.0)
    assert not thread.is_alive()
    expected = lines_between(scenario, -1.0, 3600.0)
    assert ais == [x.text for x in expected if x.channel is Channel.AIS][:20]
    assert radar == [x.text for x in expected if x.channel is Channel.RADAR][:20]


def test_inconsistent_plans_are_refused() -> None:
    base: dict[str, Any] = {
        "mmsi": 265000001,
        "name": "TEST",
        "callsign": "SABC",
        "ship_type": 70,
        "length_m": 50.0,
        "beam_m": 10.0,
        "waypoints": [(58.0, 11.0), (58.01, 11.0), (58.02, 11.0)],
        "speed_kn": 10.0,
        "report_every_s": 5.0,
    }
    with pytest.raises(ValueError, match="one speed per leg"):
        SimVessel.model_validate({**base, "leg_speeds_kn": [10.0]})
    with pytest.raises(ValueError, match="end after they start"):
        SimVessel.model_validate({**base, "ais_silent": [(50.0, 40.0)]})
    with pytest.raises(ValueError, match="loop: false"):
        SimVessel.model_validate({**base, "ashore_at_end": True})
    legs = SimVessel.model_validate({**base, "leg_speeds_kn": [10.0, 5.0], "loop": False})
    leg_s = 0.01 * 111_195.0 / (10.0 * 1852.0 / 3600.0)
    assert position_at(legs, leg_s * 0.5).sog_kn == 10.0
    assert position_at(legs, leg_s * 1.5).sog_kn == 5.0
    assert position_at(legs, leg_s * 1.5).lat == pytest.approx(58.0125, abs=1e-6)
