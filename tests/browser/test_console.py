"""Acceptance (issue 11, 1 a-f): the operator console in Debian's Chromium against the real
service (PostgreSQL, Mosquitto, every role) running the demo site and its simulated traffic.

The tests run in file order on one service: the zone-entry alert the first test finds is the
one the second works from new to reviewed.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from shorewatch.events import EventKind
from shorewatch.store.auth_repo import AuthRepo, NewUser
from tests.browser.conftest import Scene, SignIn, shot
from tests.waiting import wait_for

SILVER_SHADOW = "ais:265123456"  # the demo's fast craft into the restricted area
XSS_NAME = "<img src=x onerror=alert(1)>"
LEVELS = {"red": "RED", "orange": "ORANGE", "yellow": "YELLOW", "blue": "BLUE"}


def open_alerts(scene: Scene, target: str, user: str | None = None) -> list[dict[str, Any]]:
    alerts = scene.get("/alerts", user, state=["new", "acknowledged", "dispatched"], limit=500)
    return [a for a in alerts if a["target"] == target]


def zone_alert(scene: Scene) -> dict[str, Any]:
    found = wait_for(
        lambda: [a for a in open_alerts(scene, SILVER_SHADOW) if a["kind"] == "zone_entry"],
        timeout_s=120,
    )
    alert: dict[str, Any] = found[0]
    return alert


def actions(scene: Scene, alert_id: str) -> list[tuple[str, str]]:
    history = scene.get(f"/alerts/{alert_id}")["history"]
    return [(entry["action"], entry["actor"]) for entry in history]


def open_row(page: Page, target: str, alert_id: str | None = None) -> None:
    row = page.locator(f".desk-row[data-target='{target}']")
    row.wait_for(timeout=30_000)
    row.click()
    page.locator("[data-testid=detail] [data-testid=factors]").wait_for()
    chip = page.locator(f"[data-testid=detail] .chip[data-alert='{alert_id}']")
    if alert_id and chip.count():
        chip.click()
        page.locator(f"[data-testid=detail] .chip.active[data-alert='{alert_id}']").wait_for()


def state_is(page: Page, state: str) -> None:
    try:
        expect(page.locator("[data-testid=alert-state]")).to_have_text(state, timeout=15_000)
    except AssertionError as exc:  # say what the console told the user
        told = page.locator("[data-testid=action-message]").all_inner_texts()
        raise AssertionError(f"{exc}\nthe console said: {told}") from None


def targets_drawn(page: Page, at_least: int, timeout_ms: float = 60_000) -> None:
    page.wait_for_function(
        f"() => Number(document.body.dataset.targets || 0) >= {at_least}", timeout=timeout_ms
    )


# (a) ----------------------------------------------------------------------------------------


def test_demo_scene_on_the_map_and_the_zone_alert_in_the_desk(
    scene: Scene, sign_in: SignIn
) -> None:
    page = sign_in("dora")
    expect(page.locator("[data-testid=role]")).to_have_text("dispatcher")
    targets_drawn(page, 5)  # the simulated coast's traffic, from the live picture
    alert = zone_alert(scene)
    row = page.locator(f".desk-row[data-target='{SILVER_SHADOW}']")
    row.wait_for(timeout=30_000)
    expect(row.locator(".row-name")).to_have_text("SILVER SHADOW")  # its name, from the picture
    expect(row).to_contain_text("zone entry")
    level = row.get_attribute("data-level")
    assert level == alert["level"]
    expect(row.locator(".badge")).to_have_text(LEVELS[alert["level"]])  # a text, not only colour
    page.wait_for_function("() => document.body.dataset.land > 0")  # the shipped coastline
    shot(page, "map")

    open_row(page, SILVER_SHADOW, alert["id"])
    factors = page.locator("[data-testid=factors] tr[data-factor]")
    shown = {f.get_attribute("data-factor") for f in factors.all()}
    assert shown == {f["name"] for f in alert["factors"]}
    assert {"zone_entry", "restricted_zone"} <= shown
    zone = page.locator("[data-testid=factors] tr[data-factor=zone_entry]")
    points = next(f["points"] for f in alert["factors"] if f["name"] == "zone_entry")
    expect(zone).to_contain_text(f"{round(points)} pts")
    expect(page.locator("[data-testid=events] li[data-kind=zone_entry]").first).to_be_visible()
    shot(page, "detail")
    scene.assert_quiet()


# (b) ----------------------------------------------------------------------------------------


def test_an_alert_worked_from_ack_to_review_each_step_audited(
    scene: Scene, sign_in: SignIn
) -> None:
    alert = zone_alert(scene)
    alert_id = alert["id"]

    operator = sign_in("olle")
    open_row(operator, SILVER_SHADOW, alert_id)
    operator.click("[data-testid=ack]")
    state_is(operator, "acknowledged")
    assert actions(scene, alert_id) == [("created", "system"), ("acknowledge", "olle")]
    # Acknowledging again is refused by the service; the 409 names what is allowed now.
    operator.click("[data-testid=ack]")
    expect(operator.locator("[data-testid=action-message]")).to_have_text(
        "Not allowed now: the alert is acknowledged. Allowed: Dispatch, Resolve."
    )

    dispatcher = sign_in("dora")
    open_row(dispatcher, SILVER_SHADOW, alert_id)
    first = dispatcher.locator("[data-testid=suggestions] li").first
    first.wait_for()
    unit = first.get_attribute("data-unit")
    expect(first).to_contain_text("ETA")
    assert dispatcher.locator("[data-testid=dispatch-unit]").input_value() == unit
    dispatcher.click("[data-testid=dispatch]")
    state_is(dispatcher, "dispatched")
    assert actions(scene, alert_id)[-1] == ("dispatch", "dora")
    assignments = scene.get(f"/alerts/{alert_id}/assignments")
    assert [a["unit_id"] for a in assignments] == [unit]

    dispatcher.select_option("[data-testid=outcome]", "confirmed")
    dispatcher.fill("[data-testid=resolve-note]", "RIB intercepted off the approach")
    dispatcher.click("[data-testid=resolve]")
    state_is(dispatcher, "resolved")

    engineer = sign_in("erik")
    engineer.select_option("[data-filter=state]", "resolved")
    open_row(engineer, SILVER_SHADOW, alert_id)
    engineer.click("[data-testid=review]")
    state_is(engineer, "reviewed")
    expect(engineer.locator("[data-testid=audit] li")).to_have_count(5)

    assert actions(scene, alert_id) == [
        ("created", "system"),
        ("acknowledge", "olle"),
        ("dispatch", "dora"),
        ("resolve", "dora"),
        ("review", "erik"),
    ]
    final = scene.get(f"/alerts/{alert_id}")["alert"]
    assert (final["state"], final["outcome"]) == ("reviewed", "confirmed")
    scene.assert_quiet()


# (c) ----------------------------------------------------------------------------------------


def test_a_town_user_sees_only_their_town_and_an_operator_has_no_dispatch_control(
    scene: Scene, sign_in: SignIn
) -> None:
    south = "ais:266000111"
    scene.publish_vessel(266000111, "COVE DRIFTER", [(58.2000, 11.4400), (58.2001, 11.4402)], 1.0)
    scene.publish_event(EventKind.LOITERING, south, 58.2001, 11.4402, {"duration_s": 600})
    wait_for(lambda: open_alerts(scene, south, "tina"), timeout_s=30)
    north = [a for a in scene.get("/alerts", limit=500) if a["jurisdiction"] == "lysekil-north"]
    assert north, "the scene has alerts in the other town"

    page = sign_in("tina")
    expect(page.locator("[data-testid=role]")).to_have_text("operator")
    expect(page.locator("[data-testid=jurisdiction]")).to_contain_text("Skaftö south")
    page.locator(f".desk-row[data-target='{south}']").wait_for(timeout=30_000)
    areas = {r.get_attribute("data-jurisdiction") for r in page.locator(".desk-row").all()}
    assert areas == {"skafto-south"}
    for alert in north:
        assert page.locator(f".desk-row[data-alerts*='{alert['id']}']").count() == 0
    targets_drawn(page, 1)
    assert set(page.evaluate("shorewatch.jurisdictions()")) == {"skafto-south"}
    options = page.locator("[data-filter=jurisdiction] option").all()
    assert [o.get_attribute("value") for o in options] == ["", "skafto-south"]

    open_row(page, south)
    expect(page.locator("[data-testid=ack]")).to_be_visible()
    assert page.locator("[data-testid=dispatch-controls]").count() == 0
    assert page.locator("[data-testid=dispatch]").count() == 0
    assert page.locator("[data-testid=resolve]").count() == 0
    scene.assert_quiet()


# (d) ----------------------------------------------------------------------------------------


def test_an_ais_name_with_markup_is_shown_as_text_and_runs_nothing(
    scene: Scene, sign_in: SignIn
) -> None:
    mmsi, where = 538009999, (58.2900, 11.3800)
    scene.publish_vessel(mmsi, XSS_NAME, [where, (where[0], where[1] + 0.0003)])
    scene.publish_event(EventKind.WATCHLIST_SIGHTING, f"ais:{mmsi}", *where, {"name": XSS_NAME})
    page = sign_in(None)
    row_name = page.locator(f".desk-row[data-target='ais:{mmsi}'] .row-name")
    expect(row_name).to_have_text(XSS_NAME, timeout=30_000)

    page.evaluate(f"shorewatch.jumpTo({where[1]}, {where[0]}, 13)")
    page.wait_for_timeout(1500)  # the next draw of the picture
    point = page.evaluate(f"shorewatch.project({where[1] + 0.0003}, {where[0]})")
    page.mouse.click(point["x"], point["y"])
    card = page.locator("[data-testid=target-card]")
    expect(card.locator("[data-testid=card-name]")).to_have_text(XSS_NAME)
    shot(page, "card")
    assert page.locator("img[src='x']").count() == 0
    assert card.locator("img").count() == 0
    page.wait_for_timeout(500)
    assert scene.dialogs == [], "a dialog opened: the name ran as script"
    assert not scene.errors


# (e) ----------------------------------------------------------------------------------------


def test_the_console_works_with_everything_but_the_service_blocked(
    scene: Scene, sign_in: SignIn
) -> None:
    page = sign_in("dora", block_outside=True)
    targets_drawn(page, 5)
    page.wait_for_function("() => document.body.dataset.land > 0")
    page.wait_for_function("() => Number(document.body.dataset.deskRows || 0) >= 1")
    expect(page.locator("[data-testid=live-status] .dot.on")).to_be_visible()
    page.click("[data-tab=units]")
    page.locator("[data-testid=units] tr[data-unit]").first.wait_for()
    assert scene.blocked == [], f"the console asked outside the service: {scene.blocked}"
    assert not scene.errors


# (f) ----------------------------------------------------------------------------------------


def test_one_dark_speedboat_with_two_alert_kinds_is_one_row(scene: Scene, sign_in: SignIn) -> None:
    boat = "radar:radar-south-77"
    where = (58.1600, 11.4000)
    scene.publish_event(EventKind.DARK_TARGET, boat, *where, {"sog_kn": 40.0, "fixes": 12})
    scene.publish_event(
        EventKind.HIGH_SPEED, boat, *where, {"sog_kn": 40.0, "heading_to_shore": True}
    )
    alerts = wait_for(lambda: len(open_alerts(scene, boat)) == 2 and open_alerts(scene, boat))
    assert {a["kind"] for a in alerts} == {"dark_target", "high_speed"}

    page = sign_in("dora")
    rows = page.locator(f".desk-row[data-target='{boat}']")
    rows.first.wait_for(timeout=30_000)
    expect(rows.first).to_contain_text("dark target")
    expect(rows.first).to_contain_text("high speed")
    assert rows.count() == 1
    assert set((rows.first.get_attribute("data-alerts") or "").split()) == {a["id"] for a in alerts}
    expect(rows.first).to_contain_text("2 alerts")
    shot(page, "desk")
    scene.assert_quiet()


# views for the documentation ----------------------------------------------------------------


def test_history_plays_back_the_stored_tracks(scene: Scene, sign_in: SignIn) -> None:
    page = sign_in(None)
    page.click("[data-tab=history]")
    page.click("[data-testid=history-load]")
    expect(page.locator("[data-testid=history-info]")).to_contain_text("tracks", timeout=20_000)
    slider = page.locator("[data-testid=playhead]")
    page.evaluate(
        """() => { const s = document.querySelector('[data-testid=playhead]');
                   s.value = String(Number(s.max) - 20000);
                   s.dispatchEvent(new Event('input')); }"""
    )
    assert slider.input_value()
    page.wait_for_function("() => Number(document.body.dataset.historyTargets || 0) >= 3")
    shot(page, "history")


def test_statistics_and_chinese(scene: Scene, sign_in: SignIn) -> None:
    page = sign_in(None)
    page.click("[data-tab=stats]")
    page.locator("[data-testid=stats] svg.chart").first.wait_for(timeout=20_000)
    shot(page, "stats")

    zh = sign_in("dora", locale="zh-CN")
    expect(zh.locator("[data-tab=picture]")).to_have_text("态势")
    expect(zh.locator("[data-testid=role]")).to_have_text("调度员")
    zh.locator(".desk-row").first.wait_for(timeout=30_000)
    shot(zh, "zh")
    scene.assert_quiet()


def test_an_offline_sensor_is_marked_on_the_map(scene: Scene, sign_in: SignIn) -> None:
    page = sign_in("dora")
    page.wait_for_function("() => document.body.dataset.sensorsOffline === '0'", timeout=30_000)
    scene.publish_event(
        EventKind.SENSOR_OFFLINE,
        "sensor:radar-south",
        58.2050,
        11.4460,
        {"sensor": "radar-south", "reason": "no sweep for 30 s"},
    )
    wait_for(lambda: not {s["id"]: s for s in scene.get("/sensors")}["radar-south"]["online"])
    page.wait_for_function("() => document.body.dataset.sensorsOffline === '1'", timeout=30_000)
    scene.assert_quiet()


def test_a_disabled_user_is_signed_out_at_once(scene: Scene, sign_in: SignIn) -> None:
    repo = AuthRepo()
    with scene.service.pool.connection() as conn, conn.transaction():
        repo.add_user(conn, NewUser(name="temp", role="operator", jurisdiction="lysekil-north"))
        scene.keys["temp"] = repo.create_key(conn, "temp").token
    page = sign_in("temp")
    assert page.evaluate("sessionStorage.length") == 1  # the key, for this tab only
    with scene.service.pool.connection() as conn, conn.transaction():
        assert repo.disable_user(conn, "temp")
    expect(page.locator("[data-testid=signin-error]")).to_have_text(
        "Your session ended: the key was revoked or the user disabled.", timeout=20_000
    )
    assert page.evaluate("sessionStorage.getItem('shorewatch.key')") is None
    scene.assert_quiet()
