"""Grouping, re-scoring, inhibition, silences and escalation on a real PostgreSQL and API.

The alert service is fed events directly and runs on an injected clock, so deadlines and
silence windows are crossed by moving the clock, never by sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from alerts.escalation import Escalator
from shorewatch.config.alerts import EscalationConfig
from shorewatch.events import Alert, Event, EventKind, FactValue, Level
from shorewatch.store.alerts_repo import AlertsRepo
from shorewatch.store.auth_repo import AuthRepo, NewUser
from tests.alerting import IN_A, IN_B, NOON, Rig, event, running, site

MIN = timedelta(minutes=1)
DARK: dict[str, FactValue] = {"source": "radar", "dark_for_s": 130.0, "sog_kn": 12.0}
FAST_TO_SHORE: dict[str, FactValue] = {
    "sog_kn": 41.0,
    "source": "radar",
    "identified": False,
    "heading_to_shore": True,
    "distance_to_shore_m": 1800.0,
}


@pytest.fixture
def rig(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Rig]:
    with running(site(), dsn, mqtt_url, topic_root) as rig:
        yield rig


def stored(rig: Rig, alert: Alert) -> dict[str, object]:
    body: dict[str, object] = rig.api.get(f"/api/v1/alerts/{alert.id}").json()["alert"]
    return body


def actions_of(rig: Rig, alert: Alert) -> list[str]:
    history = rig.api.get(f"/api/v1/alerts/{alert.id}").json()["history"]
    return [h["action"] for h in history]


def handled(rig: Rig, new: Event) -> Alert:
    alert = rig.alerts.handle(new)
    assert alert is not None
    return alert


# --- grouping and re-scoring ----------------------------------------------------------------


def test_target_evidence_rescores_its_other_alerts(rig: Rig) -> None:
    dark = handled(rig, event(EventKind.DARK_TARGET, "radar:boat", DARK))
    assert (dark.score, dark.level) == (40.0, Level.YELLOW)
    fast = handled(rig, event(EventKind.HIGH_SPEED, "radar:boat", FAST_TO_SHORE, at=NOON + MIN))
    assert fast.id != dark.id, "one open alert per target and kind"
    assert (fast.score, fast.level) == (90.0, Level.RED)
    assert {f.name for f in fast.factors} == {"no_ais", "speed", "heading_to_shore"}
    # The dark-target alert learnt the same: re-scored, audited and re-published.
    assert (stored(rig, dark)["score"], stored(rig, dark)["level"]) == (90.0, "red")
    assert actions_of(rig, dark) == ["created", "rescored"]
    assert [(a.id, a.level) for a in rig.published] == [
        (dark.id, Level.YELLOW),
        (fast.id, Level.RED),
        (dark.id, Level.RED),
    ]
    # A repeat of one kind updates that alert; the other's factors do not change, so it is
    # neither re-written nor re-published.
    again = handled(rig, event(EventKind.DARK_TARGET, "radar:boat", DARK, at=NOON + 2 * MIN))
    assert (again.id, again.event_count) == (dark.id, 2)
    assert "repeated" in {f.name for f in again.factors}
    assert actions_of(rig, fast) == ["created"]
    assert len(rig.published) == 4


def test_other_targets_are_not_grouped(rig: Rig) -> None:
    handled(rig, event(EventKind.HIGH_SPEED, "radar:boat-1", FAST_TO_SHORE))
    other = handled(rig, event(EventKind.DARK_TARGET, "radar:boat-2", DARK))
    assert {f.name for f in other.factors} == {"no_ais"}


# --- inhibition ---------------------------------------------------------------------------


def test_camera_sighting_folds_into_the_open_dark_target_alert(rig: Rig) -> None:
    dark = handled(rig, event(EventKind.DARK_TARGET, "radar:boat", DARK))
    camera = {"source": "camera", "associated_with": "radar:boat", "label": "rib"}
    folded = handled(rig, event(EventKind.CAMERA_TARGET, "camera:cam-1-7", camera))
    assert folded.id == dark.id
    assert folded.event_count == 2
    assert {f.name: f.points for f in folded.factors} == {
        "no_ais": 40.0,
        "camera_confirmation": 15.0,
        "repeated": 5.0,
    }
    assert rig.api.get("/api/v1/alerts", params={"kind": "camera_target"}).json() == []
    assert actions_of(rig, dark) == ["created", "inhibited"]
    kinds = [e["kind"] for e in rig.api.get(f"/api/v1/alerts/{dark.id}").json()["events"]]
    assert kinds == ["dark_target", "camera_target"]
    # Without an open dark-target alert, a camera sighting raises its own.
    alone = handled(rig, event(EventKind.CAMERA_TARGET, "camera:cam-1-8", {"source": "camera"}))
    assert alone.kind is EventKind.CAMERA_TARGET


# --- silences -----------------------------------------------------------------------------


def test_silence_mutes_notification_but_keeps_the_alert(rig: Rig) -> None:
    now = rig.clock.now
    created = rig.api.post(
        "/api/v1/silences",
        json={
            "kind": "loitering",
            "reason": "fishing fleet working the bank tonight",
            "ends_at": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    silence = created.json()
    assert silence["created_by"] == "service-token"
    assert datetime.fromisoformat(silence["starts_at"]) == now
    assert [s["id"] for s in rig.api.get("/api/v1/silences").json()] == [silence["id"]]
    assert rig.api.get(f"/api/v1/silences/{silence['id']}").json() == silence

    muted = handled(rig, event(EventKind.LOITERING, "ais:257000001", {"sog_kn": 0.3}))
    assert muted.silenced
    assert rig.published == [], "a silenced alert is not pushed"
    listed = rig.api.get("/api/v1/alerts").json()
    assert [(a["id"], a["silenced"]) for a in listed] == [(str(muted.id), True)]
    assert "silenced by" in rig.api.get(f"/api/v1/alerts/{muted.id}").json()["history"][0]["note"]
    assert 'shorewatch_alerts_total{action="silenced"} 1.0' in rig.api.get("/metrics").text
    loud = handled(rig, event(EventKind.DARK_TARGET, "ais:257000001", DARK))
    assert not loud.silenced
    assert [a.id for a in rig.published] == [loud.id]

    rig.clock.advance(60)
    assert rig.api.delete(f"/api/v1/silences/{silence['id']}").status_code == 204
    assert rig.api.get("/api/v1/silences").json() == []
    (over,) = rig.api.get("/api/v1/silences", params={"include_over": True}).json()
    assert over["expired_by"] == "service-token"
    assert rig.api.delete(f"/api/v1/silences/{silence['id']}").status_code == 404

    woken = handled(rig, event(EventKind.LOITERING, "ais:257000001", {"sog_kn": 0.2}))
    assert (woken.id, woken.silenced, woken.event_count) == (muted.id, False, 2)
    assert rig.published[-1].id == muted.id


def test_silence_ends_with_its_window(rig: Rig) -> None:
    ends = rig.clock.now + timedelta(minutes=10)
    body = {"target": "ais:257000002", "reason": "trials", "ends_at": ends.isoformat()}
    assert rig.api.post("/api/v1/silences", json=body).status_code == 201
    assert handled(rig, event(EventKind.SPOOFING, "ais:257000002", {})).silenced
    rig.clock.advance(601)
    assert not handled(rig, event(EventKind.SPOOFING, "ais:257000002", {})).silenced


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "loitering", "reason": "x", "ends_at": "2026-11-20T11:00:00Z"}, "future"),
        ({"kind": "loitering", "reason": "x", "ends_at": "2027-01-20T11:00:00Z"}, "30 days"),
        ({"reason": "x", "ends_at": "2026-11-20T13:00:00Z"}, "at least one of"),
        ({"kind": "loitering", "ends_at": "2026-11-20T13:00:00Z"}, "reason"),
    ],
)
def test_bad_silences_are_422(rig: Rig, body: dict[str, object], message: str) -> None:
    response = rig.api.post("/api/v1/silences", json=body)
    assert response.status_code == 422
    assert message in response.text


def test_silences_are_limited_to_the_setters_areas(rig: Rig) -> None:
    repo = AuthRepo()
    keys: dict[str, str] = {}
    with rig.service.pool.connection() as conn, conn.transaction():
        for name, role, area in (
            ("dispatcher-a", "dispatcher", "town-a"),
            ("engineer-b", "engineer", "town-b"),
            ("operator-a", "operator", "town-a"),
        ):
            repo.add_user(conn, NewUser(name=name, role=role, jurisdiction=area))
            keys[name] = repo.create_key(conn, name).token

    def as_(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys[name]}"}

    body = {
        "kind": "dark_target",
        "reason": "radar clutter on the reef",
        "ends_at": (rig.clock.now + timedelta(hours=2)).isoformat(),
    }
    refused = rig.api.post("/api/v1/silences", json=body, headers=as_("operator-a"))
    assert refused.status_code == 403
    created = rig.api.post("/api/v1/silences", json=body, headers=as_("dispatcher-a"))
    assert created.status_code == 201
    silence = created.json()
    assert silence["areas"] == ["town-a"]

    assert handled(rig, event(EventKind.DARK_TARGET, "radar:a-1", DARK, where=IN_A)).silenced
    assert not handled(rig, event(EventKind.DARK_TARGET, "radar:b-1", DARK, where=IN_B)).silenced

    assert rig.api.get("/api/v1/silences", headers=as_("engineer-b")).json() == []
    path = f"/api/v1/silences/{silence['id']}"
    assert rig.api.get(path, headers=as_("engineer-b")).status_code == 404
    assert rig.api.delete(path, headers=as_("engineer-b")).status_code == 404
    assert rig.api.get(path, headers=as_("operator-a")).status_code == 200
    assert rig.api.delete(path, headers=as_("operator-a")).status_code == 403
    assert rig.api.delete(path, headers=as_("dispatcher-a")).status_code == 204


# --- escalation ---------------------------------------------------------------------------


def escalator(rig: Rig, **config: object) -> Escalator:
    settings = EscalationConfig.model_validate(config)
    return Escalator(
        rig.service.pool, settings, rig.published.append, rig.service.metrics, rig.clock
    )


def test_unacknowledged_alert_escalates_by_its_levels_deadline(rig: Rig) -> None:
    sweep = escalator(rig)  # orange 600 s, red 120 s
    entry: dict[str, FactValue] = {"zone_name": "Restricted A", "sog_kn": 12.0}
    alert = handled(rig, event(EventKind.ZONE_ENTRY, "ais:257000003", entry, zone="restricted-a"))
    assert (alert.score, alert.level) == (70.0, Level.ORANGE)
    rig.published.clear()

    rig.clock.advance(599)
    assert sweep.run_once() == []
    rig.clock.advance(2)
    (first,) = sweep.run_once()
    assert (first.id, first.level, first.escalations) == (alert.id, Level.RED, 1)
    assert rig.published == [first], "re-notified"
    assert (stored(rig, alert)["level"], stored(rig, alert)["escalations"]) == ("red", 1)
    history = rig.api.get(f"/api/v1/alerts/{alert.id}").json()["history"]
    assert history[-1]["action"] == "escalated"
    assert history[-1]["actor"] == "system"
    assert "level orange -> red" in history[-1]["note"]

    rig.clock.advance(119)  # the clock restarted with red's 120 s
    assert sweep.run_once() == []
    rig.clock.advance(2)
    (second,) = sweep.run_once()
    assert (second.level, second.escalations) == (Level.RED, 2)

    # A new event re-scores the alert but keeps the escalated level.
    rescored = handled(
        rig, event(EventKind.ZONE_ENTRY, "ais:257000003", entry, zone="restricted-a")
    )
    assert (rescored.score, rescored.level, rescored.escalations) == (75.0, Level.RED, 2)

    assert rig.api.post(f"/api/v1/alerts/{alert.id}/ack", json={}).status_code == 200
    rig.clock.advance(10_000)
    assert sweep.run_once() == [], "acknowledged alerts do not escalate"
    assert actions_of(rig, alert).count("escalated") == 2


def test_the_sweep_reads_only_alerts_that_may_be_due(rig: Rig) -> None:
    """A backlog of fresh unacknowledged alerts costs the sweep nothing: the store returns
    only those that have waited their level's deadline."""
    entry: dict[str, FactValue] = {"zone_name": "Restricted A", "sog_kn": 12.0}
    alert = handled(rig, event(EventKind.ZONE_ENTRY, "ais:257000009", entry, zone="restricted-a"))
    assert alert.level == Level.ORANGE
    repo = AlertsRepo()
    with rig.service.pool.connection() as conn, conn.transaction():
        assert repo.awaiting_ack(conn, {Level.ORANGE: alert.created_at - MIN}) == []
        assert repo.awaiting_ack(conn, {Level.RED: alert.created_at}) == []
        (due,) = repo.awaiting_ack(conn, {Level.ORANGE: alert.created_at})
    assert due.id == alert.id


def test_silenced_and_blue_alerts_do_not_escalate(rig: Rig) -> None:
    sweep = escalator(rig)
    ends = (rig.clock.now + timedelta(hours=5)).isoformat()
    body = {"target": "radar:quiet", "reason": "known wreck echo", "ends_at": ends}
    assert rig.api.post("/api/v1/silences", json=body).status_code == 201
    assert handled(rig, event(EventKind.DARK_TARGET, "radar:quiet", DARK)).silenced
    blue = handled(rig, event(EventKind.AIS_GAP, "ais:257000004", {}))
    assert blue.level is Level.BLUE
    rig.clock.advance(4 * 3600)
    assert sweep.run_once() == []


def test_escalation_thread_sweeps_on_its_own(rig: Rig) -> None:
    alert = handled(rig, event(EventKind.HIGH_SPEED, "radar:runner", FAST_TO_SHORE))
    assert alert.level is Level.RED
    rig.published.clear()
    rig.clock.advance(121)
    sweep = escalator(rig, interval_s=0.05)
    sweep.start()
    try:
        deadline = time.monotonic() + 10
        while not rig.published and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sweep.stop()
    assert [(a.id, a.escalations) for a in rig.published] == [(alert.id, 1)]
