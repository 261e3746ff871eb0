"""Scoring: the factor table for each kind of case, the level bands, and the re-score when a
target's evidence grows. Pure: events in, factors out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from alerts.scoring import grade, raise_level, score_factors
from alerts.sun import elevation_deg
from shorewatch.config.alerts import AlertConfig, LevelBands
from shorewatch.config.site import DEMO_CONFIG, load_config
from shorewatch.events import Event, EventKind, FactValue, Level
from shorewatch.zones import Zone, build_zones

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # sun ~11° up off Lysekil
NIGHT = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)  # sun ~-50°
CONFIG = AlertConfig()


@pytest.fixture(scope="module")
def zones() -> dict[str, Zone]:
    return {z.id: z for z in build_zones(load_config(packaged=DEMO_CONFIG))}


def event(
    kind: EventKind,
    facts: dict[str, FactValue] | None = None,
    *,
    zone: str | None = None,
    at: datetime = NOON,
    target: str = "radar:radar-south-7",
) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=kind,
        start=at,
        lat=58.20,
        lon=11.40,
        targets=(target,),
        zone=zone,
        facts=facts or {},
        config_version="test",
    )


DARK_SLOW = event(EventKind.DARK_TARGET, {"source": "radar", "dark_for_s": 130, "sog_kn": 3.0})
DARK_FAST = event(EventKind.DARK_TARGET, {"source": "radar", "dark_for_s": 130, "sog_kn": 40.0})
FAST_TO_SHORE = event(
    EventKind.HIGH_SPEED,
    {"sog_kn": 41.0, "source": "radar", "identified": False, "heading_to_shore": True,
     "distance_to_shore_m": 1800.0},
)  # fmt: skip
APPROACH = event(
    EventKind.ZONE_ENTRY,
    {"zone_name": "Southern shore", "distance_to_shore_m": 1400.0, "approach": True,
     "source": "radar", "sog_kn": 40.0},
    zone="southern-shore",
)  # fmt: skip

CASES: list[tuple[str, list[Event], dict[str, float], Level]] = [
    (
        "restricted zone entry",
        [
            event(
                EventKind.ZONE_ENTRY,
                {"zone_name": "Lysekil", "sog_kn": 24.0},
                zone="lysekil-restricted",
            )
        ],
        {"zone_entry": 40, "restricted_zone": 30},
        Level.ORANGE,
    ),
    ("dark, slow", [DARK_SLOW], {"no_ais": 40}, Level.YELLOW),
    ("dark, fast", [DARK_FAST], {"no_ais": 40, "speed": 30}, Level.ORANGE),
    (
        "dark, fast, to shore",
        [DARK_FAST, FAST_TO_SHORE],
        {"no_ais": 40, "heading_to_shore": 20, "speed": 30},
        Level.RED,
    ),
    (
        "dark, fast, to shore, approach alert too (capped at 100)",
        [DARK_FAST, FAST_TO_SHORE, APPROACH],
        {"no_ais": 40, "heading_to_shore": 20, "zone_coastline": 15, "speed": 30},
        Level.RED,
    ),
    (
        "identified fast craft",
        [event(EventKind.HIGH_SPEED, {"sog_kn": 35.0, "source": "ais", "identified": True})],
        {"speed": 30},
        Level.BLUE,
    ),
    (
        "identified fast craft heading to shore",
        [
            event(
                EventKind.HIGH_SPEED,
                {"sog_kn": 35.0, "identified": True, "heading_to_shore": True},
            )
        ],
        {"speed": 30, "heading_to_shore": 20},
        Level.YELLOW,
    ),
    (
        "watch-listed with the entry's points",
        [event(EventKind.WATCHLIST_SIGHTING, {"points": 45.0, "reason": "intel 114"})],
        {"watch_list": 45},
        Level.YELLOW,
    ),
    (
        "watch-listed without points",
        [event(EventKind.WATCHLIST_SIGHTING, {"reason": "intel 114"})],
        {"watch_list": 30},
        Level.BLUE,
    ),
    (
        "encounter",
        [event(EventKind.ENCOUNTER, {"distance_m": 150.0, "sog_kn_a": 0.5})],
        {"encounter": 45},
        Level.YELLOW,
    ),
    (
        "loitering off the landing cove",
        [event(EventKind.LOITERING, {"sog_kn": 0.4}, zone="cove-landing")],
        {"loitering": 30, "zone_landing": 20},
        Level.YELLOW,
    ),
    (
        "spoofing",
        [event(EventKind.SPOOFING, {"category": "deception", "impossible_move_m": 5000.0})],
        {"spoofing": 40},
        Level.YELLOW,
    ),
    (
        "identity fault",
        [event(EventKind.SPOOFING, {"category": "identity_fault", "invalid_mmsi": "zero"})],
        {"identity_fault": 10},
        Level.BLUE,
    ),
    ("ais gap", [event(EventKind.AIS_GAP, {"last_sog_kn": 8.0})], {"ais_gap": 30}, Level.BLUE),
    (
        "dark target confirmed by a camera",
        [DARK_SLOW, event(EventKind.CAMERA_TARGET, {"source": "camera", "label": "boat"})],
        {"no_ais": 40, "camera_confirmation": 15},
        Level.YELLOW,
    ),
    (
        "dark target at night",
        [event(EventKind.DARK_TARGET, {"source": "radar", "sog_kn": 3.0}, at=NIGHT)],
        {"no_ais": 40, "night": 10},
        Level.YELLOW,
    ),
    (
        "field report",
        [event(EventKind.FIELD_REPORT, {"text": "boat"})],
        {"field_report": 30},
        Level.BLUE,
    ),
    ("sensor offline", [event(EventKind.SENSOR_OFFLINE)], {"sensor_offline": 20}, Level.BLUE),
]


@pytest.mark.parametrize(
    ("events", "expected", "level"),
    [pytest.param(e, f, lv, id=name) for name, e, f, lv in CASES],
)
def test_factor_table(
    events: list[Event], expected: dict[str, float], level: Level, zones: dict[str, Zone]
) -> None:
    factors = score_factors(events, 1, CONFIG, zones)
    assert {f.name: f.points for f in factors} == expected
    assert all(f.detail for f in factors), "every factor says why"
    score, got = grade(factors, CONFIG)
    assert score == min(100.0, sum(expected.values()))
    assert got is level


def test_dark_fast_to_shore_is_red_from_the_three_factors_alone(zones: dict[str, Zone]) -> None:
    w = CONFIG.weights
    assert w.no_ais + w.speed + w.heading_to_shore >= CONFIG.levels.red
    score, level = grade(score_factors([DARK_FAST, FAST_TO_SHORE], 1, CONFIG, zones), CONFIG)
    assert (score, level) == (90.0, Level.RED)


def test_new_evidence_for_the_target_recomputes_score_and_level(zones: dict[str, Zone]) -> None:
    before = grade(score_factors([DARK_SLOW], 1, CONFIG, zones), CONFIG)
    after = grade(score_factors([DARK_SLOW, FAST_TO_SHORE], 1, CONFIG, zones), CONFIG)
    assert before == (40.0, Level.YELLOW)
    assert after == (90.0, Level.RED)


def test_each_factor_counts_once_with_its_strongest_evidence(zones: dict[str, Zone]) -> None:
    slower = event(EventKind.HIGH_SPEED, {"sog_kn": 31.0, "identified": False})
    factors = score_factors([DARK_FAST, slower], 1, CONFIG, zones)
    assert [f.name for f in factors].count("no_ais") == 1
    (speed,) = [f for f in factors if f.name == "speed"]
    assert speed.detail.startswith("40.0 kn (dark_target)")


def test_repeats_add_points_up_to_the_cap(zones: dict[str, Zone]) -> None:
    entry = [event(EventKind.ZONE_ENTRY, {"zone_name": "L"}, zone="lysekil-restricted")]
    assert grade(score_factors(entry, 3, CONFIG, zones), CONFIG) == (80.0, Level.RED)
    assert grade(score_factors(entry, 50, CONFIG, zones), CONFIG)[0] == 90.0


def test_weights_and_bands_come_from_the_yaml(zones: dict[str, Zone]) -> None:
    config = AlertConfig.model_validate(
        {"weights": {"no_ais": 70}, "levels": {"red": 90, "orange": 70, "yellow": 50}}
    )
    factors = score_factors([DARK_SLOW], 1, config, zones)
    assert [(f.name, f.points) for f in factors] == [("no_ais", 70.0)]
    assert grade(factors, config) == (70.0, Level.ORANGE)


@pytest.mark.parametrize(
    ("score", "level"),
    [(100, Level.RED), (80, Level.RED), (79.9, Level.ORANGE), (60, Level.ORANGE),
     (59.9, Level.YELLOW), (40, Level.YELLOW), (39.9, Level.BLUE), (0, Level.BLUE)],
)  # fmt: skip
def test_level_bands(score: float, level: Level) -> None:
    assert LevelBands().level_for(score) is level


def test_escalations_raise_the_band_level_and_stop_at_red() -> None:
    assert raise_level(Level.BLUE, 1) is Level.YELLOW
    assert raise_level(Level.YELLOW, 2) is Level.RED
    assert raise_level(Level.RED, 1) is Level.RED
    assert raise_level(Level.ORANGE, 0) is Level.ORANGE


@pytest.mark.parametrize(
    ("at", "lat", "expected"),
    [
        (datetime(2026, 6, 21, 11, 14, tzinfo=UTC), 58.3, 90 - 58.3 + 23.44),  # summer noon
        (datetime(2026, 12, 21, 11, 14, tzinfo=UTC), 58.3, 90 - 58.3 - 23.44),  # winter noon
        (datetime(2026, 12, 21, 23, 14, tzinfo=UTC), 58.3, -(90 - 58.3 + 23.44)),  # midnight
    ],
)
def test_sun_elevation_at_solar_noon_and_midnight(
    at: datetime, lat: float, expected: float
) -> None:
    assert elevation_deg(at, lat, 11.4) == pytest.approx(expected, abs=0.3)


def test_night_follows_the_sun_not_the_clock(zones: dict[str, Zone]) -> None:
    """21:00 UTC is deep night in a Lysekil November but still civil twilight at midsummer."""

    def names(at: datetime) -> set[str]:
        dark = event(EventKind.DARK_TARGET, {"source": "radar"}, at=at)
        return {f.name for f in score_factors([dark], 1, CONFIG, zones)}

    assert "night" in names(datetime(2026, 11, 20, 21, 0, tzinfo=UTC))
    assert "night" in names(datetime(2026, 11, 20, 16, 0, tzinfo=UTC))  # sun -9°
    assert "night" not in names(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))  # sun -2°: dusk
    assert "night" not in names(datetime(2026, 6, 21, 21, 0, tzinfo=UTC))  # sun -3.6°


def test_same_evidence_in_any_order_gives_the_same_factors(zones: dict[str, Zone]) -> None:
    """Re-scoring must not see a change where there is none (it would re-publish)."""
    evidence = [DARK_SLOW, DARK_FAST, FAST_TO_SHORE, APPROACH, event(EventKind.SPOOFING)]
    forward = score_factors(evidence, 2, CONFIG, zones)
    assert score_factors(list(reversed(evidence)), 2, CONFIG, zones) == forward
    assert [f.points for f in forward] == sorted((f.points for f in forward), reverse=True)


# Issue 13: a misconfigured transponder is graded low, deception as before.
INVALID_MMSI = event(
    EventKind.SPOOFING,
    {"category": "identity_fault", "invalid_mmsi": "no maritime identity starts with 1"},
    target="ais:123456789",
)
JUMP = event(
    EventKind.SPOOFING,
    {"category": "deception", "impossible_move_m": 5000.0, "implied_speed_kn": 162.0},
    target="ais:123456789",
)


def test_an_invalid_mmsi_alone_is_blue_and_deception_is_not() -> None:
    factors = score_factors([INVALID_MMSI], 1, CONFIG, {})
    assert [f.name for f in factors] == ["identity_fault"]
    assert grade(factors, CONFIG)[1] is Level.BLUE
    assert "no maritime identity" in factors[0].detail
    deceit = score_factors([JUMP], 1, CONFIG, {})
    assert [f.name for f in deceit] == ["spoofing"]
    assert grade(deceit, CONFIG)[1] is Level.YELLOW


def test_an_identity_fault_with_other_factors_rises() -> None:
    fast = event(EventKind.HIGH_SPEED, {"sog_kn": 38.0, "source": "ais"}, target="ais:123456789")
    factors = score_factors([INVALID_MMSI, fast], 2, CONFIG, {})
    assert {f.name for f in factors} == {"identity_fault", "speed", "repeated"}
    assert grade(factors, CONFIG)[1] is Level.YELLOW


def test_an_old_spoofing_event_without_category_is_graded_by_its_facts() -> None:
    legacy = event(EventKind.SPOOFING, {"invalid_mmsi": "zero"})
    assert [f.name for f in score_factors([legacy], 1, CONFIG, {})] == ["identity_fault"]
    legacy_jump = event(EventKind.SPOOFING, {"impossible_move_m": 5000.0})
    assert [f.name for f in score_factors([legacy_jump], 1, CONFIG, {})] == ["spoofing"]


def test_type_mismatch_and_a_judged_speedboat_score() -> None:
    mismatch = event(
        EventKind.TYPE_MISMATCH,
        {"declared_class": "fishing", "judged_type": "speedboat", "judged_confidence": 0.8,
         "sog_kn": 28.0},
        target="ais:265000090",
    )  # fmt: skip
    factors = {f.name: f.points for f in score_factors([mismatch], 1, CONFIG, {})}
    assert factors == {"type_mismatch": 30}  # not also judged_speedboat: one contradiction
    bigger = event(
        EventKind.TYPE_MISMATCH,
        {"category": "size", "declared_length_m": 12.0, "seen_length_m": 40.2,
         "evidence": "declared 12 m but seen 40 m by radar"},
        target="ais:265000091",
    )  # fmt: skip
    (why,) = score_factors([bigger], 1, CONFIG, {})
    assert (why.name, why.detail) == ("type_mismatch", "declared 12 m but seen 40 m by radar")
    (plain,) = score_factors([mismatch], 1, CONFIG, {})
    assert plain.detail == "type_mismatch event"  # a fact-less event still says what it is
    dark_fast = event(
        EventKind.HIGH_SPEED,
        {"sog_kn": 41.0, "source": "radar", "identified": False, "judged_type": "speedboat",
         "judged_confidence": 0.9},
    )  # fmt: skip
    names = {f.name for f in score_factors([dark_fast], 1, CONFIG, {})}
    assert names == {"no_ais", "speed", "judged_speedboat"}
    weak = event(EventKind.HIGH_SPEED, {"sog_kn": 31.0, "judged_type": "speedboat",
                                        "judged_confidence": 0.4})  # fmt: skip
    assert "judged_speedboat" not in {f.name for f in score_factors([weak], 1, CONFIG, {})}
