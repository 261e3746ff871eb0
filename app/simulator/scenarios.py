"""Scenes for the demo and the scenario tests: ordinary traffic, and every rule's behaviour.

`demo_scenario` is the original Lysekil demo (SILVER SHADOW enters the restricted zone about
30 s in). `mixed_scenario` is the coast of `configs/demo.yaml` seen by AIS and a shore radar:
the same ordinary traffic, a ferry, moored and anchored ships, and one planted vessel (or pair)
per detection rule, each acting within the first ten simulated minutes:

- t≈9 s    GRAY HERON reports: on the watch list by name and call sign, not by MMSI;
- t≈30 s   SILVER SHADOW enters the restricted zone (once, then leaves the scene westwards);
- t≈84 s   a dark speedboat (no AIS at all) comes into radar range at 40 kn, running for the
           southern shore; within 1.5 km of it at t≈438 s, beached at t≈508 s (radar: lost);
- t=150 s  NORRSKEN's transponder falls silent for 360 s, then reappears 2.2 km on;
- t=180 s  MARE ALBA and BRISINGR meet 150 m apart, drift at 0.5 kn until t=600 s, then part;
- t=240 s  POLARIS's reported position jumps 9 km north and its type 5 names another ship;
- t≈5 s    VINGA drifts at 1 kn off the unofficial landing point (5 min there is loitering),
           reporting every 3 min as class B does below 2 kn;
- t≈20 s   SJOFAGEL, declared a 9 m fishing boat, runs at 28 kn (under high_speed's 30 kn),
           stops, and runs again: it moves as a speedboat (type_mismatch), beyond the radar.

Zones (restricted area, shore, landing point, port, anchorage, coverage) and the radar site
live in `configs/demo.yaml`; positions here are chosen against them.
"""

from __future__ import annotations

import math
from datetime import datetime

from app.simulator.model import Scenario, SimRadar, SimVessel, Spoof, Waypoint
from app.simulator.motion import KN_TO_MPS, offset

SILVER_SHADOW = 265123456
DARK_SPEEDBOAT = 265990001
RENDEZVOUS = (636019825, 257341200)  # MARE ALBA, BRISINGR
AIS_GAP = 265604010  # NORRSKEN
SPOOFED = 230987650  # POLARIS
WATCHLISTED = 212345678  # GRAY HERON
LOITERER = 265777333  # VINGA
FALSE_FISHER = 265440099  # SJOFAGEL
PLANTED = frozenset(
    {SILVER_SHADOW, DARK_SPEEDBOAT, *RENDEZVOUS, AIS_GAP, SPOOFED, WATCHLISTED, LOITERER,
     FALSE_FISHER}
)  # fmt: skip
# The radar of configs/demo.yaml (radar-south): a shore site on the southern headland.
DEMO_RADAR = SimRadar(lat=58.2050, lon=11.4460, range_m=11_000.0, scan_every_s=3.0)


def _inbound(point: Waypoint, course_deg: float, speed_kn: float, seconds: float) -> Waypoint:
    """Where a vessel steering `course_deg` at `speed_kn` starts to reach `point` in `seconds`."""
    return _ahead(point, (course_deg + 180.0) % 360.0, speed_kn * KN_TO_MPS * seconds)


def _ahead(point: Waypoint, course_deg: float, metres: float) -> Waypoint:
    course = math.radians(course_deg)
    return offset(point, metres * math.cos(course), metres * math.sin(course))


def _lysekil_traffic() -> list[SimVessel]:
    """Five lawful vessels that keep clear of the restricted zone (lon 11.40-11.44, lat
    58.24-58.26): the Gullmarn ferry, two coasters, a fishing boat, a class B yacht."""
    return [
        SimVessel(
            mmsi=265547230,
            name="GULLMARN EXPRESS",
            callsign="SFKB",
            ship_type=60,
            length_m=35.0,
            beam_m=9.0,
            speed_kn=11.0,
            report_every_s=6.0,
            start_offset_s=0.3,
            waypoints=[(58.2738, 11.4372), (58.2722, 11.4520), (58.2690, 11.4660)],
        ),
        SimVessel(
            mmsi=266232610,
            name="NORDIC TRADER",
            callsign="SKPQ",
            ship_type=70,
            length_m=118.0,
            beam_m=17.0,
            speed_kn=12.5,
            report_every_s=10.0,
            start_offset_s=1.1,
            waypoints=[(58.1200, 11.3050), (58.2500, 11.3000), (58.4000, 11.2800)],
        ),
        SimVessel(
            mmsi=265874120,
            name="BALTIC STAR",
            callsign="SLRX",
            ship_type=70,
            length_m=89.0,
            beam_m=13.5,
            speed_kn=10.5,
            report_every_s=10.0,
            start_offset_s=2.7,
            waypoints=[(58.4200, 11.2400), (58.2700, 11.2550), (58.1200, 11.2600)],
        ),
        SimVessel(
            mmsi=265619840,
            name="LYSEKIL FISK",
            callsign="SGTF",
            ship_type=30,
            length_m=18.0,
            beam_m=6.0,
            speed_kn=5.0,
            report_every_s=10.0,
            start_offset_s=4.2,
            waypoints=[
                (58.2200, 11.3300),
                (58.2300, 11.3500),
                (58.2100, 11.3600),
                (58.2000, 11.3400),
            ],
        ),
        SimVessel(
            mmsi=265903170,
            name="SJOSTJARNAN",
            callsign="SH2837",
            ship_type=37,
            length_m=10.0,
            beam_m=3.5,
            speed_kn=6.5,
            report_every_s=10.0,
            start_offset_s=5.6,
            class_b=True,
            waypoints=[(58.2850, 11.4000), (58.3000, 11.3800), (58.3200, 11.3900)],
        ),
    ]


def demo_scenario(start: datetime) -> Scenario:
    """Traffic off Lysekil for `shorewatch demo`: five lawful vessels that keep clear of the
    restricted zone (lon 11.40-11.44, lat 58.24-58.26) and SILVER SHADOW, which runs into it
    from the west about 30 s after start (from ~380 m outside), leaves and returns."""
    shadow = SimVessel(
        mmsi=SILVER_SHADOW,
        name="SILVER SHADOW",
        callsign="SD4711",
        ship_type=37,
        length_m=12.0,
        beam_m=3.5,
        speed_kn=25.0,
        report_every_s=2.0,
        waypoints=[(58.2500, 11.3935), (58.2500, 11.4300), (58.2620, 11.3720)],
    )
    return Scenario(name="lysekil-demo", start=start, vessels=[*_lysekil_traffic(), shadow])


def _still(
    mmsi: int,
    name: str,
    callsign: str,
    size: tuple[float, float],
    status: int,
    at: Waypoint,
    start_offset_s: float,
) -> SimVessel:
    """A ship alongside or at anchor: no way on, a report every 3 min (ITU class A rule)."""
    return SimVessel(
        mmsi=mmsi,
        name=name,
        callsign=callsign,
        ship_type=70,
        length_m=size[0],
        beam_m=size[1],
        nav_status=status,
        speed_kn=0.0,
        report_every_s=180.0,
        start_offset_s=start_offset_s,
        waypoints=[at, at],
    )


def _harbour_traffic() -> list[SimVessel]:
    """One ship alongside in Lysekil port and two at anchor 450 m apart in the anchorage: slow
    and close, they are what encounter and loitering must leave alone in harbour."""
    return [
        _still(265321000, "VADERO", "SBVD", (62.0, 11.0), 5, (58.2755, 11.4330), 9.2),
        _still(211234560, "ELBE CARRIER", "DCEC", (99.0, 15.0), 1, (58.2745, 11.3420), 12.5),
        _still(257998800, "FJORD PIONEER", "LAFP", (88.0, 14.0), 1, (58.2770, 11.3480), 14.8),
    ]


def _silver_shadow_once() -> SimVessel:
    """The demo's fast craft on the demo's track into the restricted zone, but only once: out
    of it again, it heads away west instead of returning."""
    return SimVessel(
        mmsi=SILVER_SHADOW,
        name="SILVER SHADOW",
        callsign="SD4711",
        ship_type=37,
        length_m=12.0,
        beam_m=3.5,
        speed_kn=25.0,
        report_every_s=2.0,
        loop=False,
        waypoints=[(58.2500, 11.3935), (58.2500, 11.4300), (58.2620, 11.3720), (58.2700, 11.1500)],
    )


def _dark_speedboat() -> SimVessel:
    """No transponder; from outside radar range at 40 kn to the southern shore, beached there."""
    return SimVessel(
        mmsi=DARK_SPEEDBOAT,
        name="NIGHT RUNNER",
        callsign="NONE",
        ship_type=37,
        length_m=9.0,
        beam_m=2.8,
        speed_kn=40.0,
        report_every_s=2.0,
        ais=False,
        loop=False,
        ashore_at_end=True,
        waypoints=[(58.1450, 11.2650), (58.1600, 11.4410)],
    )


def _rendezvous() -> list[SimVessel]:
    """Two vessels meet 150 m apart at t=180 s, drift together at 0.5 kn (a current setting
    060) for 7 min, then part: one south-west, one north-west."""
    meet_s, drift_s, drift_kn, drift_course = 180.0, 420.0, 0.5, 60.0
    drift_m = drift_kn * KN_TO_MPS * drift_s
    alba_meet = (58.1850, 11.3800)
    brisingr_meet = offset(alba_meet, 150.0, 0.0)
    alba_offset, brisingr_offset = 6.4, 7.9
    alba_end = _ahead(alba_meet, drift_course, drift_m)
    brisingr_end = _ahead(brisingr_meet, drift_course, drift_m)
    alba = SimVessel(
        mmsi=RENDEZVOUS[0],
        name="MARE ALBA",
        callsign="A8QX3",
        ship_type=70,
        length_m=72.0,
        beam_m=12.0,
        speed_kn=10.0,
        leg_speeds_kn=[10.0, drift_kn, 10.0],
        report_every_s=10.0,
        start_offset_s=alba_offset,
        loop=False,
        waypoints=[
            _inbound(alba_meet, 90.0, 10.0, meet_s - alba_offset),
            alba_meet,
            alba_end,
            _ahead(alba_end, 225.0, 17_000.0),
        ],
    )
    brisingr = SimVessel(
        mmsi=RENDEZVOUS[1],
        name="BRISINGR",
        callsign="LJBR",
        ship_type=30,
        length_m=24.0,
        beam_m=7.0,
        speed_kn=9.0,
        leg_speeds_kn=[9.0, drift_kn, 9.0],
        report_every_s=10.0,
        start_offset_s=brisingr_offset,
        loop=False,
        waypoints=[
            _inbound(brisingr_meet, 180.0, 9.0, meet_s - brisingr_offset),
            brisingr_meet,
            brisingr_end,
            _ahead(brisingr_end, 332.0, 17_000.0),
        ],
    )
    return [alba, brisingr]


def _ais_gap() -> SimVessel:
    """A coaster inside receiver coverage, beyond the radar, silent from t=150 s to t=510 s."""
    return SimVessel(
        mmsi=AIS_GAP,
        name="NORRSKEN",
        callsign="SJNS",
        ship_type=70,
        length_m=81.0,
        beam_m=13.0,
        speed_kn=12.0,
        report_every_s=10.0,
        start_offset_s=3.7,
        loop=False,
        ais_silent=[(150.0, 510.0)],
        waypoints=[(58.4000, 11.2200), (58.2500, 11.2000), (58.1000, 11.1600)],
    )


def _spoofed() -> SimVessel:
    """Beyond the radar; from t=240 s its reports jump 9 km north and its type 5 claims to be
    another ship (one spoofing episode with two anomalies)."""
    return SimVessel(
        mmsi=SPOOFED,
        name="POLARIS",
        callsign="OJPQ",
        ship_type=70,
        length_m=90.0,
        beam_m=14.0,
        speed_kn=11.0,
        report_every_s=10.0,
        start_offset_s=2.9,
        loop=False,
        spoof=Spoof(from_s=240.0, north_m=9_000.0, name="ATLANTIC ROSE", callsign="V7AB2"),
        waypoints=[(58.0800, 11.1500), (58.3000, 11.1000)],
    )


def _watchlisted() -> SimVessel:
    """On the demo watch list by name and call sign under another MMSI; an ordinary transit."""
    return SimVessel(
        mmsi=WATCHLISTED,
        name="GRAY HERON",
        callsign="5BHX4",
        ship_type=70,
        length_m=45.0,
        beam_m=9.0,
        speed_kn=9.0,
        report_every_s=10.0,
        start_offset_s=8.6,
        loop=False,
        waypoints=[(58.2900, 11.1500), (58.2300, 11.3400), (58.1000, 11.3800)],
    )


def _loiterer() -> SimVessel:
    """A class B boat drifting to and fro at 1 kn just off the unofficial landing point."""
    return SimVessel(
        mmsi=LOITERER,
        name="VINGA",
        callsign="SF9931",
        ship_type=37,
        length_m=11.0,
        beam_m=3.6,
        speed_kn=1.0,
        report_every_s=180.0,  # ITU class B below 2 kn
        start_offset_s=5.3,
        class_b=True,
        waypoints=[(58.1735, 11.4310), (58.1765, 11.4360)],
    )


def _false_fisher() -> SimVessel:
    """Declared fishing (type 30, 9 m) but sprinting at 28 kn with a stop between runs; north of
    the radar's range, clear of the lanes, the zones and the shore."""
    return SimVessel(
        mmsi=FALSE_FISHER,
        name="SJOFAGEL",
        callsign="SFJG",
        ship_type=30,
        length_m=9.0,
        beam_m=3.0,
        speed_kn=28.0,
        leg_speeds_kn=[28.0, 1.0, 28.0],
        report_every_s=2.0,
        start_offset_s=20.0,
        loop=False,
        waypoints=[(58.3400, 11.3400), (58.3550, 11.3800), (58.3555, 11.3805), (58.3800, 11.4800)],
    )


def mixed_scenario(start: datetime, radar: SimRadar = DEMO_RADAR) -> Scenario:
    """Ordinary traffic plus one planted vessel (or pair) per rule, on the demo.yaml coast."""
    vessels = [
        *_lysekil_traffic(),
        *_harbour_traffic(),
        _silver_shadow_once(),
        _dark_speedboat(),
        *_rendezvous(),
        _ais_gap(),
        _spoofed(),
        _watchlisted(),
        _loiterer(),
        _false_fisher(),
    ]
    return Scenario(name="coast-mixed", start=start, vessels=vessels, radar=radar)
