"""Scoring and lifecycle: pure logic, every transition allowed or refused as designed."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from alerts.lifecycle import TRANSITIONS, Action, InvalidTransition, allowed_actions, apply
from alerts.scoring import grade, score_factors
from shorewatch.config.site import load_config
from shorewatch.events import AlertState, Event, EventKind, Level
from shorewatch.zones import build_zones


def test_zone_entry_score_is_explained() -> None:
    site = load_config()
    zones = {z.id: z for z in build_zones(site)}
    entry = Event(
        id=uuid.uuid4(),
        kind=EventKind.ZONE_ENTRY,
        start=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
        lat=58.25,
        lon=11.42,
        targets=("ais:265123456",),
        zone="lysekil-restricted",
        facts={"zone_name": "Lysekil approach", "sog_kn": 24.0},
        config_version="test",
    )
    factors = score_factors([entry], 1, site.alerts, zones)
    assert [(f.name, f.points) for f in factors] == [
        ("zone_entry", 40.0),
        ("restricted_zone", 30.0),
    ]
    assert grade(factors, site.alerts) == (70.0, Level.ORANGE)
    repeated = score_factors([entry], 3, site.alerts, zones)
    assert grade(repeated, site.alerts) == (80.0, Level.RED)
    capped = score_factors([entry], 50, site.alerts, zones)
    assert grade(capped, site.alerts)[0] == 90.0  # repeat points stop at repeat_points_max


@pytest.mark.parametrize(("state", "action"), list(itertools.product(AlertState, Action)))
def test_every_transition_is_allowed_or_refused(state: AlertState, action: Action) -> None:
    if (state, action) in TRANSITIONS:
        assert apply(state, action) == TRANSITIONS[(state, action)]
    else:
        with pytest.raises(InvalidTransition) as caught:
            apply(state, action)
        assert caught.value.allowed == allowed_actions(state)
        assert f"cannot {action.value}" in str(caught.value)


def test_reviewed_is_final() -> None:
    assert allowed_actions(AlertState.REVIEWED) == ()
