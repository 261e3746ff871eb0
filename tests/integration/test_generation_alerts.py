"""A radar number reused for another boat (issue 15, defect 2) through the alert service on
PostgreSQL: the new boat's events open their own alert instead of joining the old boat's."""

from __future__ import annotations

from shorewatch.events import Alert, EventKind
from tests.alerting import running, site
from tests.detection import T0, Harness
from tests.unit.test_track_generations import OLD, lost, new_boat, old_boat


def test_new_boat_under_a_reused_number_gets_its_own_alert(
    dsn: str, mqtt_url: str, topic_root: str
) -> None:
    h = Harness()
    boat = old_boat()
    h.arrive(boat)
    end_s = (boat[-1].time - T0).total_seconds()
    h.arrive([lost(end_s + 30)])
    h.arrive(new_boat(end_s + 3600))
    new_ids = {e.id for e in h.events if e.targets != (OLD,)}
    assert new_ids, "the new boat's events carry a key of their own, not the old boat's"
    with running(site(), dsn, mqtt_url, topic_root) as rig:
        for event in h.events:
            rig.clock.advance(1)
            rig.alerts.handle(event)
        latest: dict[object, Alert] = {a.id: a for a in rig.published}
    dark = [a for a in latest.values() if a.kind is EventKind.DARK_TARGET]
    assert sorted(a.target for a in dark) == [OLD, f"{OLD}~2"]
    old_alert = next(a for a in dark if a.target == OLD)
    new_alert = next(a for a in dark if a.target != OLD)
    assert old_alert.id != new_alert.id
    assert not set(old_alert.event_ids) & new_ids, "nothing of the new boat in the old alert"
    assert set(new_alert.event_ids) <= new_ids
