"""An alert's jurisdictions follow its target (issue 15, defect 9): it is seen in every area its
target has been in while it was open, and its detail shows a caller only the events that
`/events` would show them. Real PostgreSQL and API; the alert service is fed directly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from shorewatch.events import EventKind, FactValue
from tests.alerting import IN_A, IN_B, IN_C, NOON, Rig, event, running, site, user_headers

DARK: dict[str, FactValue] = {"source": "radar", "dark_for_s": 130.0, "sog_kn": 25.0}


@pytest.fixture
def rig(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Rig]:
    with running(site(), dsn, mqtt_url, topic_root) as rig:
        yield rig


def test_alert_is_seen_in_every_area_its_target_crossed(rig: Rig) -> None:
    town_a = user_headers(rig, "op-a", "operator", "town-a")
    town_b = user_headers(rig, "op-b", "operator", "town-b")
    town_c = user_headers(rig, "op-c", "operator", "town-c")
    first = rig.alerts.handle(event(EventKind.DARK_TARGET, "radar:runner", DARK, where=IN_A))
    assert first is not None
    later = NOON + timedelta(minutes=3)
    moved = rig.alerts.handle(
        event(EventKind.DARK_TARGET, "radar:runner", DARK, at=later, where=IN_B)
    )
    assert moved is not None
    assert moved.id == first.id, "one alert follows the boat"
    # An alert that stayed in town A, for contrast.
    stayed = rig.alerts.handle(event(EventKind.DARK_TARGET, "radar:moored", DARK, where=IN_A))
    assert stayed is not None

    def listed(headers: dict[str, str]) -> set[str]:
        response = rig.api.get("/api/v1/alerts", headers=headers)
        assert response.status_code == 200
        return {a["id"] for a in response.json()}

    assert listed(town_a) == {str(first.id), str(stayed.id)}
    assert listed(town_b) == {str(first.id)}, "town B sees the boat that came in"
    assert listed(town_c) == set(), "an area it never entered sees nothing"
    detail = f"/api/v1/alerts/{first.id}"
    assert rig.api.get(detail, headers=town_a).status_code == 200
    assert rig.api.get(detail, headers=town_b).status_code == 200
    assert rig.api.get(detail, headers=town_c).status_code == 404
    assert (first.jurisdiction, first.jurisdictions) == ("town-a", ("town-a",))
    assert moved.jurisdiction == "town-b", "the latest area"
    assert set(moved.jurisdictions) == {"town-a", "town-b"}
    stored = rig.api.get(detail).json()["alert"]
    assert (stored["jurisdiction"], sorted(stored["jurisdictions"])) == (
        "town-b",
        ["town-a", "town-b"],
    )


def test_alert_detail_shows_only_the_events_the_caller_may_see(rig: Rig) -> None:
    town_a = user_headers(rig, "op-a", "operator", "town-a")
    town_b = user_headers(rig, "op-b", "operator", "town-b")
    county = user_headers(rig, "op-county", "operator", "county")
    in_a = event(EventKind.DARK_TARGET, "radar:runner", DARK, where=IN_A)
    in_b = event(EventKind.DARK_TARGET, "radar:runner", DARK, at=NOON + timedelta(minutes=2))
    in_b = in_b.model_copy(update={"lat": IN_B[0], "lon": IN_B[1]})
    alert = rig.alerts.handle(in_a)
    assert alert is not None
    assert rig.alerts.handle(in_b) is not None

    def events_seen(headers: dict[str, str] | None) -> set[str]:
        response = rig.api.get(f"/api/v1/alerts/{alert.id}", headers=headers or {})
        assert response.status_code == 200, response.text
        return {e["id"] for e in response.json()["events"]}

    assert events_seen(town_a) == {str(in_a.id)}
    assert events_seen(town_b) == {str(in_b.id)}
    assert events_seen(county) == {str(in_a.id), str(in_b.id)}
    assert events_seen(None) == {str(in_a.id), str(in_b.id)}, "the service token sees all"
    # The same rule as /events: what the detail shows, the event list shows too.
    for headers, expected in ((town_a, in_a), (town_b, in_b)):
        listed = {e["id"] for e in rig.api.get("/api/v1/events", headers=headers).json()}
        assert listed == {str(expected.id)}


def test_an_event_outside_every_area_is_for_unrestricted_callers_only(rig: Rig) -> None:
    town_c = user_headers(rig, "op-c", "operator", "town-c")
    alert = rig.alerts.handle(event(EventKind.DARK_TARGET, "radar:far", DARK, where=IN_C))
    assert alert is not None
    outside = event(EventKind.DARK_TARGET, "radar:far", DARK, at=NOON + timedelta(minutes=5))
    outside = outside.model_copy(update={"lat": 57.5, "lon": 10.5})
    moved = rig.alerts.handle(outside)
    assert moved is not None
    detail = rig.api.get(f"/api/v1/alerts/{alert.id}", headers=town_c)
    assert detail.status_code == 200, "town C still sees the alert it raised"
    assert [e["lat"] for e in detail.json()["events"]] == [IN_C[0]]
    assert (moved.jurisdiction, moved.jurisdictions) == (None, ("town-c",))
