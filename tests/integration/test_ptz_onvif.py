"""Issue 14, acceptance 2: slew-to-cue over ONVIF with the real `onvif-zeep-async` client
against ONVIF cameras the test runs on 127.0.0.1 (tests/onvif_device.py: device, media and PTZ
services over SOAP, WS-Security digest checked).

The end-to-end cases run the real service (ingest with a JSON radar over MQTT, detector,
alerts with the cue desk, Postgres, Mosquitto): a 40-kn radar track with no AIS becomes a
`dark_target` alert, the cue desk picks the nearer PTZ, the driver moves it with AbsoluteMove to
where the boat will be; a camera that hangs fails the cue over to the other one, and the alert's
history says so. The driver cases check limits, credentials and the RelativeMove fallback.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from geographiclib.geodesic import Geodesic

from app.composition import Service
from ingest.ptz_onvif import PtzDriver
from shorewatch.config.ptz import PtzCamera, PtzConfig
from shorewatch.config.site import SiteConfig, parse_config
from shorewatch.events import EventKind, PtzCue, PtzReport
from shorewatch.metrics import Metrics
from shorewatch.ptz_geometry import from_onvif
from shorewatch.store.alerts_repo import AlertsRepo
from tests.onvif_device import OnvifDevice, onvif_devices  # noqa: F401 (fixture)
from tests.waiting import wait_for

WGS84 = Geodesic.WGS84
CAMERA_A = (58.2500, 11.4000)  # the nearer mast
CAMERA_B = (58.2300, 11.4300)
BOAT_START = (58.2500, 11.3500)  # 2.9 km west of mast A
KN = 1852.0 / 3600.0


def ptz_yaml(devices: list[OnvifDevice], timeout_s: float = 1.5) -> str:
    cams = []
    for (lat, lon), name, device in zip(
        (CAMERA_A, CAMERA_B), ("ptz-a", "ptz-b"), devices, strict=True
    ):
        cams.append(
            f"""
    - id: {name}
      lat: {lat}
      lon: {lon}
      height_m: 30
      pan_zero_deg: 270
      pan_min_deg: -170
      pan_max_deg: 170
      tilt_min_deg: -60
      tilt_max_deg: 30
      zoom_steps: [{{zoom: 0.0, hfov_deg: 55.0}}, {{zoom: 1.0, hfov_deg: 1.5}}]
      max_range_m: 10000
      pan_speed_dps: 30
      onvif: {{host: 127.0.0.1, port: {device.port}, username_env: PTZ_TEST_USER,
               password_env: PTZ_TEST_PASSWORD, timeout_s: {timeout_s},
               connect_timeout_s: 4}}"""
        )
    return f"""
ptz:
  cue: {{levels: [red, orange, yellow, blue], kinds: [dark_target], reaim_s: 1.0,
        confirm_within_s: 30}}
  cameras:{"".join(cams)}
"""


SITE = """
version: test-ptz
thresholds: {dark_target: {after_s: 2, min_fixes: 3}}
store: {flush_interval_s: 0.1}
ingest:
  radar:
    - {id: shore-json, transport: mqtt, format: json}
"""


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTZ_TEST_USER", "operator")
    monkeypatch.setenv("PTZ_TEST_PASSWORD", "s3cret-pass")


def site(devices: list[OnvifDevice], timeout_s: float = 1.5) -> SiteConfig:
    return parse_config(SITE + ptz_yaml(devices, timeout_s), "ptz.yaml", Path())


@pytest.fixture
def service(
    onvif_devices: list[OnvifDevice],  # noqa: F811
    credentials: None,
    dsn: str,
    mqtt_url: str,
    topic_root: str,
) -> Iterator[Service]:
    svc = Service(
        site(onvif_devices),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("ingest", "detector", "alerts"),
        topic_root=topic_root,
    )
    svc.start()
    yield svc
    svc.stop()


def run_boat(svc: Service, seconds: float = 5.0) -> tuple[float, float, datetime]:
    """A 40-kn dark boat heading north on the radar, one report every 0.5 s of wall time;
    returns its last reported fix."""
    start = datetime.now(UTC)
    lat, lon = BOAT_START
    at = start
    for step in range(int(seconds / 0.5) + 1):
        at = start + timedelta(seconds=step * 0.5)
        out = WGS84.Direct(*BOAT_START, 0.0, 40.0 * KN * step * 0.5)
        lat, lon = out["lat2"], out["lon2"]
        report = {"track": "7", "time": at.isoformat(), "lat": lat, "lon": lon,
                  "sog_kn": 40.0, "cog_deg": 0.0}  # fmt: skip
        svc.bus.publish_raw(svc.topics.raw_radar("shore-json"), json.dumps(report).encode())
        time.sleep(max(0.0, (at + timedelta(seconds=0.5) - datetime.now(UTC)).total_seconds()))
    return lat, lon, at


def history(svc: Service, alert_id: uuid.UUID) -> list[str]:
    with svc.pool.connection() as conn:
        return [e.note for e in AlertsRepo().history(conn, alert_id) if e.action == "cue"]


def dark_alert_id(svc: Service) -> uuid.UUID:
    with svc.pool.connection() as conn:
        row = conn.execute(
            "SELECT id FROM alerts WHERE kind = %s AND target = 'radar:shore-json-7'",
            (EventKind.DARK_TARGET.value,),
        ).fetchone()
    return uuid.UUID(str(row[0])) if row else uuid.UUID(int=0)


def test_a_radar_dark_target_turns_the_nearest_ptz_onto_where_the_boat_will_be(
    service: Service,
    onvif_devices: list[OnvifDevice],  # noqa: F811
) -> None:
    reports: list[PtzReport] = []
    service.bus.subscribe(
        service.topics.all_camera_ptz,
        lambda m: reports.append(m) if isinstance(m, PtzReport) else None,
    )
    lat, lon, last = run_boat(service)
    near, far = onvif_devices
    move = wait_for(lambda: near.state.moves, 20)[0]
    assert move.operation == "AbsoluteMove"
    assert move.profile == "mainstream"  # the camera's first profile, from GetProfiles
    assert far.state.moves == []  # the farther camera stays free
    report = wait_for(lambda: [r for r in reports if r.ok and r.camera == "ptz-a"], 10)[0]
    camera = service.site.ptz.camera("ptz-a")
    assert camera is not None
    pan, tilt = from_onvif(camera, move.x, move.y)

    # Independent: the pan is the geodesic azimuth from the mast to the aimed point, which is
    # the boat dead-reckoned north along its track, ahead of its last report.
    assert report.aim_lat is not None
    assert report.aim_lon is not None
    to_aim = WGS84.Inverse(*CAMERA_A, report.aim_lat, report.aim_lon)
    assert abs((pan - to_aim["azi1"] + 270.0 + 180.0) % 360.0 - 180.0) <= 0.2
    dip = math.degrees(30.0 / to_aim["s12"] + to_aim["s12"] / (2 * 6_371_008.8))
    assert tilt == pytest.approx(-dip, abs=0.05)
    ahead = WGS84.Inverse(*BOAT_START, report.aim_lat, report.aim_lon)
    assert abs(ahead["azi1"]) < 1.0  # north of where the boat started
    assert ahead["s12"] > 40.0 * KN * 1.0  # led by at least a second's run past its first fix
    # Zoom: a 10-m boat at 2.9 km over a quarter of the frame wants 0.79°, past the lens's 1.5°.
    assert move.zoom == pytest.approx(1.0)
    assert report.pan_deg == pytest.approx(pan, abs=1e-3)

    alert_id = wait_for(lambda: dark_alert_id(service).int and dark_alert_id(service), 10)
    notes = wait_for(lambda: history(service, alert_id), 10)
    assert notes[0].startswith("cued ptz-a: bearing")
    assert service.cue_desk is not None
    assert service.cue_desk.cameras_in_use() == {"ptz-a": alert_id}
    # Re-aimed while the alert is open: more moves follow the boat north.
    wait_for(lambda: len(near.state.moves) >= 3, 10)
    print(f"ptz: last fix {lat:.5f},{lon:.5f} at {last:%H:%M:%S}; moves {len(near.state.moves)}")


def test_a_camera_that_times_out_fails_the_cue_over_and_the_alert_says_so(
    service: Service,
    onvif_devices: list[OnvifDevice],  # noqa: F811
) -> None:
    near, far = onvif_devices
    near.state.hang_s = 6.0  # answers nothing within the 4 s the site allows to connect
    run_boat(service, seconds=4.0)
    move = wait_for(lambda: far.state.moves, 25)[0]
    assert move.operation == "AbsoluteMove"
    assert near.state.moves == []
    alert_id = dark_alert_id(service)
    notes = wait_for(
        lambda: len(history(service, alert_id)) >= 2 and history(service, alert_id), 10
    )
    assert notes[0].startswith("cued ptz-a")
    assert notes[1].startswith("ptz-a failed (timeout: no connection within 4 s); cued ptz-b")
    assert service.cue_desk is not None
    assert service.cue_desk.cameras_in_use() == {"ptz-b": alert_id}


# -- the driver alone ---------------------------------------------------------------------------


def driver_for(
    devices: list[OnvifDevice], metrics: Metrics | None = None
) -> tuple[PtzDriver, PtzConfig, list[PtzReport]]:
    config = site(devices).ptz
    reports: list[PtzReport] = []
    driver = PtzDriver(
        config.cameras, config.cue, reports.append, lambda: datetime.now(UTC), metrics
    )
    driver.start()
    return driver, config, reports


def cue(camera: PtzCamera, azimuth: float, distance_m: float) -> PtzCue:
    out = WGS84.Direct(camera.lat, camera.lon, azimuth, distance_m)
    now = datetime.now(UTC)
    return PtzCue(
        cue_id=uuid.uuid4(), camera=camera.id, time=now, requested_by="test",
        lat=out["lat2"], lon=out["lon2"], fix_time=now,
    )  # fmt: skip


def test_limits_refuse_with_a_reason_and_nothing_moves(
    onvif_devices: list[OnvifDevice],  # noqa: F811
    credentials: None,
) -> None:
    metrics = Metrics()
    driver, config, _ = driver_for(onvif_devices, metrics)
    try:
        camera = config.cameras[0]
        behind = driver.submit(cue(camera, 90.0, 2_000.0)).result(30)  # pan 180: past ±170
        far = driver.submit(cue(camera, 270.0, 11_000.0)).result(30)
        ok = driver.submit(cue(camera, 250.0, 2_000.0)).result(30)
    finally:
        driver.stop()
    assert behind is not None
    assert far is not None
    assert ok is not None
    assert not behind.ok
    assert behind.error.startswith("refused (pan_limits): bearing 90.0° is outside pan limits")
    assert not far.ok
    assert far.error.startswith("refused (out_of_range)")
    assert ok.ok
    assert ok.pan_deg == pytest.approx(-20.0, abs=0.2)
    assert [m.operation for m in onvif_devices[0].state.moves] == ["AbsoluteMove"]
    moves = {
        outcome: metrics.registry.get_sample_value(
            "shorewatch_ptz_moves_total", {"camera": "ptz-a", "outcome": outcome}
        )
        for outcome in ("moved", "refused", "failed")
    }
    assert moves == {"moved": 1.0, "refused": 2.0, "failed": None}


def test_credentials_the_camera_refuses_are_reported_and_never_move_it(
    onvif_devices: list[OnvifDevice],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTZ_TEST_USER", "operator")
    monkeypatch.setenv("PTZ_TEST_PASSWORD", "guessed")
    driver, config, reports = driver_for(onvif_devices)
    try:
        report = driver.submit(cue(config.cameras[0], 250.0, 2_000.0)).result(30)
    finally:
        driver.stop()
    assert report is not None
    assert not report.ok
    assert report.error == "credentials refused by the camera"
    assert reports == [report]
    assert onvif_devices[0].state.refused >= 1
    assert onvif_devices[0].state.moves == []


def test_a_camera_without_absolute_move_is_moved_relatively_to_the_same_place(
    onvif_devices: list[OnvifDevice],  # noqa: F811
    credentials: None,
) -> None:
    device = onvif_devices[0]
    device.state.absolute_move = False
    device.state.x, device.state.y = 0.3, 0.2
    driver, config, _ = driver_for(onvif_devices)
    try:
        report = driver.submit(cue(config.cameras[0], 250.0, 2_000.0)).result(30)
    finally:
        driver.stop()
    assert report is not None
    assert report.ok
    assert [m.operation for m in device.state.moves] == ["RelativeMove"]
    assert report.pan_deg == pytest.approx(-20.0, abs=0.2)
    assert "AbsoluteMove" in device.state.calls  # tried first, refused, then relative


def test_cues_queued_behind_a_slow_move_are_superseded_by_the_newest(
    onvif_devices: list[OnvifDevice],  # noqa: F811
    credentials: None,
) -> None:
    device = onvif_devices[0]
    driver, config, reports = driver_for(onvif_devices)
    camera = config.cameras[0]
    try:
        warm = driver.submit(cue(camera, 230, 2_000.0)).result(30)  # connected
        assert warm is not None
        reports.clear()
        device.state.hang_s = 0.3  # every call: a move (AbsoluteMove + GetStatus) takes 0.6 s
        calls_before = len(device.state.calls)
        futures = [driver.submit(cue(camera, 240, 2_000.0))]
        # Only once the first move is under way do the next two queue behind it (submitted
        # together, all three would rightly collapse into the newest).
        wait_for(lambda: len(device.state.calls) > calls_before, timeout_s=10)
        futures += [driver.submit(cue(camera, bearing, 2_000.0)) for bearing in (250, 260)]
        results = [f.result(30) for f in futures]
    finally:
        driver.stop()
    first, skipped, last = results
    assert first is not None
    assert first.ok
    assert skipped is None  # waited behind the first; the third was newer by then
    assert last is not None
    assert last.ok
    assert last.pan_deg == pytest.approx(-10.0, abs=0.2)
    assert reports == [first, last]
    assert driver.counts["superseded"] == 1
    assert len(device.state.moves) == 3  # the warm-up, the first and the last


def test_an_operator_cue_from_the_api_moves_the_camera_and_holds_it(
    onvif_devices: list[OnvifDevice],  # noqa: F811
    credentials: None,
    dsn: str,
    mqtt_url: str,
    topic_root: str,
) -> None:
    token = "ptz-api-token-0123456789abcdef"
    svc = Service(
        site(onvif_devices),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("ingest", "alerts", "api"),
        topic_root=topic_root,
        api_token=token,
        api_port=0,
    )
    svc.start()
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{svc.api_port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as api:
            target = WGS84.Direct(*CAMERA_A, 250.0, 2_000.0)
            accepted = api.post(
                "/api/v1/cameras/ptz-a/cue", json={"lat": target["lat2"], "lon": target["lon2"]}
            )
            unknown = api.post("/api/v1/cameras/ptz-x/cue", json={"lat": 58.2, "lon": 11.3})
            nowhere = api.post("/api/v1/cameras/ptz-a/cue", json={})
            move = wait_for(lambda: onvif_devices[0].state.moves, 20)[0]
            desk = svc.cue_desk
            assert desk is not None
            wait_for(lambda: "ptz-a" in desk.operator_holds(), 10)
    finally:
        svc.stop()
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["camera"] == "ptz-a"
    assert unknown.status_code == 404
    assert nowhere.status_code == 422
    camera = svc.site.ptz.camera("ptz-a")
    assert camera is not None
    pan, _ = from_onvif(camera, move.x, move.y)
    assert pan == pytest.approx(-20.0, abs=0.2)
    assert onvif_devices[1].state.moves == []


def test_a_camera_that_timed_out_is_reconnected_on_the_next_cue(
    onvif_devices: list[OnvifDevice],  # noqa: F811
    credentials: None,
) -> None:
    device = onvif_devices[0]
    driver, config, _ = driver_for(onvif_devices)
    camera = config.cameras[0]
    try:
        warm = driver.submit(cue(camera, 230, 2_000.0)).result(30)
        device.state.hang_s = 2.0  # past the 1.5-s move budget
        lost = driver.submit(cue(camera, 240, 2_000.0)).result(30)
        device.state.hang_s = 0.0
        back = driver.submit(cue(camera, 250, 2_000.0)).result(30)
    finally:
        driver.stop()
    assert warm is not None
    assert warm.ok
    assert lost is not None
    assert lost.error == "timeout: no answer within 1.5 s"
    assert back is not None
    assert back.ok, back.error
    assert back.pan_deg == pytest.approx(-20.0, abs=0.2)
