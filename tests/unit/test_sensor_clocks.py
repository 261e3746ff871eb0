"""Per-sensor clocks and the detector's watermark (issue 15, defect 1), worker fed in arrival
order: one wrong clock cannot move event time, a silent receiver is a `sensor_offline`, not an
`ais_gap` for every vessel it was hearing, and the target cap holds on insert."""

from __future__ import annotations

from datetime import timedelta

from shorewatch.events import Observation, Source
from tests.detection import T0, Harness, obs, offset, run_straight

LAT, LON = 58.10, 11.20
SITE = """
version: v
detectors: {max_targets: 50}
zones:
  - id: cover
    name: Receiver coverage
    kind: coverage
    polygon: [[11.0, 58.0], [11.5, 58.0], [11.5, 58.3], [11.0, 58.3], [11.0, 58.0]]
"""


def ahead_by_years(h: Harness) -> None:
    """A vessel reports for 5 minutes; then receiver `rx` sends one report stamped four years
    ahead (a wrong clock) and carries on with its right time."""
    h.arrive(run_straight(265000010, T0, LAT, LON, sog=10, cog=0, every_s=10, count=31))
    at = T0 + timedelta(seconds=300)
    h.arrive([obs(265000011, at.replace(year=at.year + 4), LAT + 0.01, LON, sog=5)])


def refused(h: Harness, reason: str, sensor: str = "rx") -> float | None:
    labels = {"source": "ais", "sensor": sensor, "reason": reason}
    return h.metrics.registry.get_sample_value("shorewatch_detector_refused_total", labels)


def test_one_stamp_years_ahead_does_not_stop_the_sweeps() -> None:
    """The vessel that falls silent after the bad stamp is reported while it is silent."""
    h = Harness(SITE)
    ahead_by_years(h)
    for k in range(1, 200):  # 33 minutes of other traffic on the same receiver
        at = T0 + timedelta(seconds=300 + 10 * k)
        h.arrive([obs(266000000 + k % 5, at, LAT - 0.05, LON + 0.01 * (k % 5), sog=0)])
    gaps = h.of_kind("ais_gap")
    assert [g.targets for g in gaps] == [("ais:265000010",)]
    assert gaps[0].end is None  # raised by a sweep while the vessel is still silent
    assert refused(h, "ahead") == 1
    assert h.worker.fusion.get("ais:265000011") is None


def test_track_count_stays_within_max_targets_on_insert() -> None:
    """After the bad stamp, a new vessel every 10 s: never more than `max_targets` tracks, the
    stalest evicted first."""
    h = Harness(SITE)
    ahead_by_years(h)
    sizes = []
    for k in range(1, 200):
        at = T0 + timedelta(seconds=300 + 10 * k)
        la, lo = offset(LAT - 0.05, LON, 0, 30.0 * k)
        h.arrive([obs(266000000 + k, at, la, lo, sog=6, cog=90)])
        sizes.append(len(h.worker.fusion))
    assert max(sizes) == 50
    assert h.worker.fusion.get("ais:266000199") is not None
    assert h.worker.fusion.get("ais:266000149") is None


def receiver_outage() -> list[Observation]:
    """40 vessels heard by receiver `rx-a` every 10 s; a shore radar reports two targets every
    3 s throughout. `rx-a` goes silent from minute 5 to minute 35, then hears them all again."""
    out: list[Observation] = []
    for i in range(40):
        la, lo = offset(LAT, LON, 400.0 * i, 0)
        for o in run_straight(
            265100000 + i, T0, la, lo, sog=8, cog=90, every_s=10, count=300, sensor="rx-a"
        ):
            if not T0 + timedelta(minutes=5) <= o.time < T0 + timedelta(minutes=35):
                out.append(o)
    for n in (1, 2):
        la, lo = offset(LAT - 0.08, LON, 0, 2000.0 * n)
        out += run_straight(
            f"site-{n}",
            T0,
            la,
            lo,
            sog=1,
            cog=0,
            every_s=3,
            count=1000,
            source=Source.RADAR,
            sensor="site",
        )
    return sorted(out, key=lambda o: o.time)  # as they arrive: both feeds live, in step


def test_silent_receiver_is_one_sensor_offline_not_an_ais_gap_storm() -> None:
    h = Harness(SITE.replace("max_targets: 50", "max_targets: 1000"))
    h.arrive(receiver_outage())
    assert h.of_kind("ais_gap") == []
    offline = h.of_kind("sensor_offline")
    assert [e.targets for e in offline] == [("sensor:rx-a",), ("sensor:rx-a",)]
    opened, closing = offline
    assert opened.id == closing.id
    assert opened.end is None
    assert closing.end is not None
    assert opened.start == T0 + timedelta(minutes=5) - timedelta(seconds=10)
    assert closing.end == T0 + timedelta(minutes=35)


def test_a_clock_that_really_stepped_is_followed_after_one_report() -> None:
    """The only receiver is off for two hours (beyond `max_lead_s`): its first report after is
    refused as a lone jump, the second agrees with it and is taken; so is every later one."""
    h = Harness(SITE)
    h.arrive(run_straight(265000010, T0, LAT, LON, sog=10, cog=0, every_s=10, count=10))
    back = T0 + timedelta(hours=2)
    h.arrive(run_straight(265000010, back, LAT + 0.05, LON, sog=10, cog=0, every_s=10, count=5))
    assert refused(h, "ahead") == 1
    track = h.worker.fusion.get("ais:265000010")
    assert track is not None
    assert track.last_seen == back + timedelta(seconds=40)
    assert h.worker.clocks.low() == back + timedelta(seconds=40)


def test_late_and_ahead_of_arrival_are_refused() -> None:
    """A report 10 minutes behind its receiver's clock is late; with a receive clock (live),
    one stamped 20 minutes ahead of its arrival is refused, 5 minutes ahead is taken."""
    arrival = T0 + timedelta(minutes=10)
    h = Harness(SITE, receive_clock=lambda: arrival)
    h.arrive(run_straight(265000010, T0, LAT, LON, sog=10, cog=0, every_s=60, count=11))
    h.arrive([obs(265000011, T0, LAT, LON + 0.01, sog=3)])  # 10 min behind rx's clock
    h.arrive([obs(265000012, arrival + timedelta(minutes=20), LAT, LON + 0.02, sog=3)])
    h.arrive([obs(265000013, arrival + timedelta(minutes=5), LAT, LON + 0.03, sog=3)])
    assert refused(h, "late") == 1
    assert refused(h, "ahead_of_receive") == 1
    assert h.worker.fusion.get("ais:265000011") is None
    assert h.worker.fusion.get("ais:265000012") is None
    assert h.worker.fusion.get("ais:265000013") is not None
