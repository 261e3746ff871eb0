"""Dispatch suggestions and the unit state machine: pure, no store."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from alerts.dispatch import great_circle_m, reach, suggest, suitable_kinds
from alerts.unit_states import InvalidUnitTransition, allowed_reports, check
from shorewatch.config.units import KMH_TO_MPS, KN_TO_MPS, UnitSpec
from shorewatch.events import EventKind, UnitKind, UnitState
from shorewatch.store.units_repo import Unit, UnitFix

NOW = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
TARGET = (58.15, 11.34)


def unit(
    unit_id: str,
    lat: float,
    lon: float,
    *,
    kind: UnitKind = UnitKind.SEA,
    speed: float = 30.0,
    state: UnitState = UnitState.AVAILABLE,
    fix: tuple[float, float] | None = None,
) -> Unit:
    speeds = {"max_speed_kn": speed} if kind is UnitKind.SEA else {"max_speed_kmh": speed}
    return Unit(
        id=unit_id,
        name=unit_id.upper(),
        kind=kind,
        unit_type="patrol_boat" if kind is UnitKind.SEA else "vehicle",
        home_lat=lat,
        home_lon=lon,
        state=state,
        current_alert=None,
        updated_at=NOW,
        position=None if fix is None else UnitFix(time=NOW, lat=fix[0], lon=fix[1]),
        **speeds,
    )


def test_great_circle_matches_a_known_distance() -> None:
    # One minute of latitude is one nautical mile, to within the earth model's rounding.
    assert great_circle_m((58.0, 11.0), (58.0 + 1 / 60, 11.0)) == pytest.approx(1853, abs=3)
    assert great_circle_m(TARGET, TARGET) == 0.0


def test_eta_is_distance_over_top_speed() -> None:
    boat = unit("pb", 58.16, 11.34, speed=36.0)
    distance, eta = reach(boat, TARGET)
    assert eta == pytest.approx(distance / (36.0 * KN_TO_MPS))
    car = unit("car", 58.16, 11.34, kind=UnitKind.LAND, speed=72.0)
    assert reach(car, TARGET)[1] == pytest.approx(distance / (72.0 * KMH_TO_MPS))


def test_ranked_by_eta_not_distance() -> None:
    slow_near = unit("slow-near", 58.20, 11.34, speed=10.0)  # ~5.6 km at 10 kn
    fast_far = unit("fast-far", 58.25, 11.34, speed=45.0)  # ~11 km at 45 kn
    ranked = suggest([slow_near, fast_far], TARGET, (UnitKind.SEA,))
    assert [s.unit_id for s in ranked] == ["fast-far", "slow-near"]
    assert ranked[0].distance_m > ranked[1].distance_m
    assert ranked[0].eta_s < ranked[1].eta_s


@pytest.mark.parametrize(
    ("state", "offered"),
    [
        (UnitState.AVAILABLE, True),
        (UnitState.RETURNING, True),
        (UnitState.EN_ROUTE, False),
        (UnitState.ON_SCENE, False),
        (UnitState.OUT_OF_SERVICE, False),
    ],
)
def test_only_free_units_are_offered(state: UnitState, offered: bool) -> None:
    ranked = suggest([unit("u1", 58.2, 11.3, state=state)], TARGET, (UnitKind.SEA,))
    assert bool(ranked) is offered


def test_kind_preference_comes_before_eta() -> None:
    car = unit("car", 58.151, 11.341, kind=UnitKind.LAND, speed=100.0)  # next to the target
    boat = unit("boat", 58.27, 11.43, speed=35.0)
    both = suggest([car, boat], TARGET, (UnitKind.SEA, UnitKind.LAND))
    assert [s.unit_id for s in both] == ["boat", "car"]
    assert both[1].straight_line
    assert not both[0].straight_line
    assert [s.unit_id for s in suggest([car, boat], TARGET, (UnitKind.SEA,))] == ["boat"]
    assert [s.unit_id for s in suggest([car, boat], TARGET, (UnitKind.LAND,))] == ["car"]


def test_last_fix_beats_home_base_and_ties_break_by_id() -> None:
    at_home_far = unit("a", 58.30, 11.34)
    out_near = unit("b", 58.30, 11.34, fix=(58.16, 11.34))
    ranked = suggest([at_home_far, out_near], TARGET, (UnitKind.SEA,))
    assert [s.unit_id for s in ranked] == ["b", "a"]
    assert ranked[0].from_fix
    assert not ranked[1].from_fix
    twins = suggest([unit("y", 58.2, 11.3), unit("x", 58.2, 11.3)], TARGET, (UnitKind.SEA,))
    assert [s.unit_id for s in twins] == ["x", "y"]
    assert (
        len(suggest([unit(f"u{i}", 58.2, 11.3) for i in range(5)], TARGET, [UnitKind.SEA], 2)) == 2
    )


@pytest.mark.parametrize(
    ("kind", "zone_kind", "expected"),
    [
        (EventKind.DARK_TARGET, None, (UnitKind.SEA,)),
        (EventKind.DARK_TARGET, "restricted", (UnitKind.SEA,)),
        (EventKind.HIGH_SPEED, "landing", (UnitKind.SEA, UnitKind.LAND)),
        (EventKind.ZONE_ENTRY, "coastline", (UnitKind.SEA, UnitKind.LAND)),
        (EventKind.FIELD_REPORT, None, (UnitKind.SEA, UnitKind.LAND)),
    ],
)
def test_suitable_kinds(
    kind: EventKind, zone_kind: str | None, expected: tuple[UnitKind, ...]
) -> None:
    assert suitable_kinds(kind, zone_kind) == expected


S = UnitState
ALLOWED = {
    (S.EN_ROUTE, S.ON_SCENE),
    (S.EN_ROUTE, S.RETURNING),
    (S.ON_SCENE, S.RETURNING),
    (S.RETURNING, S.AVAILABLE),
    (S.OUT_OF_SERVICE, S.AVAILABLE),
    (S.EN_ROUTE, S.AVAILABLE),
    (S.ON_SCENE, S.AVAILABLE),
    (S.AVAILABLE, S.OUT_OF_SERVICE),
    (S.RETURNING, S.OUT_OF_SERVICE),
    (S.EN_ROUTE, S.OUT_OF_SERVICE),
    (S.ON_SCENE, S.OUT_OF_SERVICE),
}


@pytest.mark.parametrize("current", list(UnitState))
@pytest.mark.parametrize("wanted", list(UnitState))
def test_unit_state_reports(current: UnitState, wanted: UnitState) -> None:
    if current is wanted:
        assert check(current, wanted) is False
    elif (current, wanted) in ALLOWED:
        assert check(current, wanted) is True
        assert wanted in allowed_reports(current)
    else:
        with pytest.raises(InvalidUnitTransition) as refused:
            check(current, wanted)
        assert f"allowed from {current.value}" in str(refused.value)
        if wanted is S.EN_ROUTE:
            assert "dispatching" in str(refused.value)


def test_unit_spec_speed_matches_kind() -> None:
    base = {"id": "u1", "name": "U1", "home_lat": 58.0, "home_lon": 11.0}
    with pytest.raises(ValidationError, match="sea unit gives max_speed_kn"):
        UnitSpec.model_validate({**base, "kind": "sea", "unit_type": "rib", "max_speed_kmh": 50})
    with pytest.raises(ValidationError, match="land unit gives max_speed_kmh"):
        UnitSpec.model_validate({**base, "kind": "land", "unit_type": "car", "max_speed_kn": 30})
    with pytest.raises(ValidationError, match="http"):
        UnitSpec.model_validate(
            {**base, "kind": "sea", "unit_type": "rib", "max_speed_kn": 30, "webhook_url": "x"}
        )
    with pytest.raises(ValidationError):
        UnitSpec.model_validate({**base, "id": "a/b", "kind": "sea", "unit_type": "rib"})
    spec = UnitSpec.model_validate(
        {**base, "kind": "land", "unit_type": "vehicle", "max_speed_kmh": 90}
    )
    assert math.isclose(spec.speed_mps, 25.0)
