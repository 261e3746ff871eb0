"""The traffic simulator: deterministic, decodable NMEA with true tag-block times, a demo that
really crosses the restricted zone, and a real UDP round trip."""

from __future__ import annotations

import itertools
import math
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pyais import decode
from pyais.messages import NMEASentenceFactory
from shapely.geometry import Point, Polygon

from shorewatch.simulator import (
    Scenario,
    SimVessel,
    UdpSender,
    demo_scenario,
    position_at,
    sentences_between,
)

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
