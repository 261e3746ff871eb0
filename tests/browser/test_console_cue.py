"""Issue 14 (slew-to-cue, operator override "from the console"): a dispatcher points a PTZ
camera at an alert's target from the alert's detail, and gives it back; the cue is in the
alert's audit; an operator is offered no such control. The camera's ONVIF service does not
answer here (a closed port): what is under test is the console and the API's cue, which go on
the bus whether or not the camera then moves (the ONVIF side: tests/integration/test_ptz_*).
"""

from __future__ import annotations

import socket

import pytest
from playwright.sync_api import expect

from app.demo import _with_ephemeral_udp
from shorewatch.config.ptz import PtzCamera, PtzConfig
from shorewatch.config.site import SiteConfig, load_config
from shorewatch.events import EventKind
from tests.browser.conftest import ROOT, Scene, SignIn, shot
from tests.browser.test_console import open_alerts, open_row
from tests.waiting import wait_for

TARGET = "radar:cue-test-7"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def scene_site() -> SiteConfig:
    """The demo site with two PTZ cameras on the coast (the nearer one offered first)."""
    site = _with_ephemeral_udp(load_config(ROOT / "configs" / "demo.yaml"))
    onvif = {"host": "127.0.0.1", "port": _closed_port(), "timeout_s": 1, "connect_timeout_s": 1}
    cameras = [
        PtzCamera.model_validate(
            {
                "id": camera_id,
                "lat": lat,
                "lon": lon,
                "height_m": 30,
                "pan_zero_deg": 0,
                "zoom_steps": [{"zoom": 0.0, "hfov_deg": 58}, {"zoom": 1.0, "hfov_deg": 2}],
                "onvif": onvif,
            }
        )
        for camera_id, lat, lon in [("far-ptz", 58.3540, 11.2260), ("cove-ptz", 58.2050, 11.4460)]
    ]
    return site.model_copy(update={"ptz": PtzConfig(cameras=cameras, cue=site.ptz.cue)})


def test_a_dispatcher_points_a_ptz_at_the_target_and_gives_it_back(
    scene: Scene, sign_in: SignIn
) -> None:
    scene.publish_event(EventKind.LOITERING, TARGET, 58.2001, 11.4402, {"duration_s": 900})
    alert = wait_for(lambda: open_alerts(scene, TARGET), timeout_s=30)[0]

    page = sign_in("dora")
    open_row(page, TARGET, alert["id"])
    controls = page.locator("[data-testid=cue-controls]")
    expect(controls).to_be_visible()
    options = page.locator("[data-testid=cue-camera] option").all()
    assert [o.get_attribute("value") for o in options] == ["cove-ptz", "far-ptz"]
    page.click("[data-testid=cue]")
    expect(page.locator("[data-testid=action-message]")).to_contain_text(
        "cove-ptz is turning to the target"
    )
    shot(page, "cue")
    page.click("[data-testid=cue-release]")
    expect(page.locator("[data-testid=action-message]")).to_contain_text(
        "cove-ptz is back under automatic cueing"
    )

    def by_hand() -> list[tuple[str, str, str]]:
        history = scene.get(f"/alerts/{alert['id']}")["history"]
        return [
            (e["action"], e["actor"], e["note"])
            for e in history
            if e["action"] == "cue" and "by hand" in (e["note"] or "")
        ]

    assert wait_for(lambda: len(by_hand()) == 2 and by_hand(), timeout_s=10) == [
        ("cue", "dora", "cued cove-ptz by hand"),
        ("cue", "dora", "released cove-ptz by hand"),
    ]
    expect(page.locator("[data-testid=audit] li[data-action=cue]").first).to_contain_text(
        "camera cue"
    )
    sensors = {s["id"]: s for s in scene.get("/sensors")}
    assert [sensors["cove-ptz"]["ptz"], sensors["far-ptz"]["ptz"]] == [True, True]
    assert not sensors["ais-udp-1"]["ptz"]

    operator = sign_in("tina")  # the operator of the town the target is in
    open_row(operator, TARGET, alert["id"])
    expect(operator.locator("[data-testid=ack]")).to_be_visible()
    assert operator.locator("[data-testid=cue-controls]").count() == 0
    scene.assert_quiet()
