"""Silences (matching, windows, validation), inhibition and the escalation deadlines: pure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from alerts.escalation import deadline, escalate
from alerts.silences import inhibiting, linked_targets, silencing
from shorewatch.config.alerts import AlertConfig, EscalationConfig, InhibitRule
from shorewatch.events import Alert, AlertState, Event, EventKind, FactValue, Level
from shorewatch.store.silences_repo import NewSilence, Silence

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def alert(
    kind: EventKind = EventKind.DARK_TARGET,
    target: str = "radar:r-1",
    *,
    level: Level = Level.RED,
    state: AlertState = AlertState.NEW,
    jurisdiction: str | None = "north",
    **extra: object,
) -> Alert:
    return Alert.model_validate(
        {
            "id": uuid.uuid4(),
            "kind": kind,
            "target": target,
            "score": 85.0,
            "level": level,
            "state": state,
            "lat": 58.2,
            "lon": 11.4,
            "jurisdiction": jurisdiction,
            "event_ids": (uuid.uuid4(),),
            "event_count": 1,
            "created_at": T0,
            "updated_at": T0,
            **extra,
        }
    )


def silence(**fields: object) -> Silence:
    base: dict[str, object] = {
        "id": uuid.uuid4(),
        "kind": None,
        "target": None,
        "zone": None,
        "starts_at": T0,
        "ends_at": T0 + timedelta(hours=1),
        "reason": "buoy tender",
        "created_by": "kim",
        "created_at": T0,
    }
    return Silence.model_validate(base | fields)


def event(kind: EventKind, targets: tuple[str, ...], facts: dict[str, FactValue]) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=kind,
        start=T0,
        lat=58.2,
        lon=11.4,
        targets=targets,
        facts=facts,
        config_version="t",
    )


@pytest.mark.parametrize(
    ("fields", "zone", "matches"),
    [
        ({"kind": "dark_target"}, None, True),
        ({"kind": "high_speed"}, None, False),
        ({"target": "radar:r-1"}, None, True),
        ({"target": "radar:r-2"}, None, False),
        ({"zone": "cove"}, "cove", True),
        ({"zone": "cove"}, None, False),
        ({"kind": "dark_target", "target": "radar:r-1", "zone": "cove"}, "cove", True),
        ({"kind": "dark_target", "target": "radar:r-2", "zone": "cove"}, "cove", False),
        ({"kind": "dark_target", "areas": ["north", "north-town"]}, None, True),
        ({"kind": "dark_target", "areas": ["south"]}, None, False),
    ],
)
def test_silence_matchers(fields: dict[str, object], zone: str | None, matches: bool) -> None:
    found = silencing([silence(**fields)], alert(), zone, T0 + timedelta(minutes=1))
    assert (found is not None) is matches


@pytest.mark.parametrize(
    ("at", "fields", "active"),
    [
        (T0, {}, True),  # from starts_at inclusive
        (T0 - timedelta(seconds=1), {}, False),
        (T0 + timedelta(hours=1), {}, False),  # to ends_at exclusive
        (T0 + timedelta(minutes=5), {"expired_at": T0, "expired_by": "lee"}, False),
    ],
)
def test_silence_window(at: datetime, fields: dict[str, object], active: bool) -> None:
    s = silence(kind="dark_target", **fields)
    assert s.active(at) is active
    assert (silencing([s], alert(), None, at) is not None) is active


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"reason": "x"}, "give at least one of kind, target, zone"),
        ({"kind": "dark_target"}, "Field required"),  # no reason
        ({"kind": "dark_target", "reason": ""}, "at least 1 character"),
        ({"kind": "dark_target", "reason": "a\x00b"}, "NUL"),
        ({"kind": "dark_target", "reason": "x", "starts_at": "2026-11-20T14:00:00Z"}, "after"),
        ({"kind": "dark_target", "reason": "x", "starts_at": "2026-10-01T00:00:00Z"}, "30 days"),
        ({"kind": "dark_target", "reason": "x", "severity": 3}, "Extra inputs"),
        ({"zone": "Has Spaces", "reason": "x"}, "pattern"),
        ({"kind": "no_such_kind", "reason": "x"}, "Input should be"),
    ],
)
def test_new_silence_validation(payload: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        NewSilence.model_validate({"ends_at": "2026-11-20T13:00:00Z", **payload})


RULES = [InhibitRule(event=EventKind.CAMERA_TARGET, into=EventKind.DARK_TARGET)]


def test_camera_sighting_folds_into_the_dark_target_alert() -> None:
    dark = alert(EventKind.DARK_TARGET, "radar:r-1")
    other = alert(EventKind.HIGH_SPEED, "radar:r-1")
    cam = event(EventKind.CAMERA_TARGET, ("radar:r-1",), {"source": "camera"})
    assert inhibiting(cam, RULES, [other, dark]) is dark


def test_camera_track_names_the_fused_radar_track() -> None:
    dark = alert(EventKind.DARK_TARGET, "radar:r-1")
    cam = event(EventKind.CAMERA_TARGET, ("camera:c-9",), {"associated_with": "radar:r-1"})
    assert linked_targets(cam) == {"camera:c-9", "radar:r-1"}
    assert inhibiting(cam, RULES, [dark]) is dark


@pytest.mark.parametrize(
    ("kind", "targets", "open_kind"),
    [
        (EventKind.CAMERA_TARGET, ("radar:r-2",), EventKind.DARK_TARGET),  # another target
        (EventKind.HIGH_SPEED, ("radar:r-1",), EventKind.DARK_TARGET),  # no rule for it
        (EventKind.CAMERA_TARGET, ("radar:r-1",), EventKind.HIGH_SPEED),  # no dark alert
    ],
)
def test_no_inhibition(kind: EventKind, targets: tuple[str, ...], open_kind: EventKind) -> None:
    assert inhibiting(event(kind, targets, {}), RULES, [alert(open_kind, "radar:r-1")]) is None


def test_inhibit_rule_must_join_two_kinds() -> None:
    with pytest.raises(ValidationError, match="different kinds"):
        AlertConfig.model_validate({"inhibit": [{"event": "dark_target", "into": "dark_target"}]})


ESC = EscalationConfig()  # red 120 s, orange 600 s, yellow 1800 s, blue never; at most 5


@pytest.mark.parametrize(
    ("level", "after_s"), [(Level.RED, 120), (Level.ORANGE, 600), (Level.YELLOW, 1800)]
)
def test_deadline_per_level(level: Level, after_s: int) -> None:
    assert deadline(alert(level=level), ESC) == T0 + timedelta(seconds=after_s)


@pytest.mark.parametrize(
    "never",
    [
        alert(level=Level.BLUE),
        alert(state=AlertState.ACKNOWLEDGED),
        alert(state=AlertState.RESOLVED),
        alert(silenced=True),
        alert(escalations=5),
    ],
    ids=["blue", "acknowledged", "resolved", "silenced", "max_escalations"],
)
def test_no_deadline(never: Alert) -> None:
    assert deadline(never, ESC) is None


def test_escalation_raises_one_level_and_restarts_the_clock() -> None:
    now = T0 + timedelta(seconds=700)
    raised = escalate(alert(level=Level.ORANGE), now)
    assert (raised.level, raised.escalations, raised.escalated_at) == (Level.RED, 1, now)
    assert deadline(raised, ESC) == now + timedelta(seconds=120)
