"""Slew-to-cue: which open alert gets which PTZ camera, for how long, and the alert says so.

An alert of a configured level and kind on a track opens a cue on the best free PTZ (one whose
geometry accepts the target: nearest first); when none is free, the lowest-level cue below the
new alert's level gives its camera up. The cue (`PtzCue` on `{root}/cameras/{camera}/cue`)
carries the target's latest fix, taken from the observations on the bus, and is re-sent every
`cue.reaim_s` with a fresh one; the camera's driver aims and moves it (ingest/ptz_onvif.py) and
answers on `.../ptz`. A failed move (timeout, credentials, refusal) fails the cue over to the
next camera. The cue is released when the alert is handled (resolved or reviewed). A cue that
sees no boat (no `camera_confirmation` on the alert) within `cue.confirm_within_s` says so. An
operator's cue from the API holds its camera for `cue.operator_hold_s`. Every step is a line
in the alert's audit history (action `cue`).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from psycopg_pool import ConnectionPool

from alerts.scoring import LEVEL_ORDER
from shorewatch.config.ptz import PtzCamera, PtzConfig
from shorewatch.events import (
    OPEN_STATES,
    Alert,
    Message,
    Observation,
    PtzCue,
    PtzReport,
    Source,
)
from shorewatch.ptz_geometry import Aim, Refusal, TargetFix, aim
from shorewatch.store.alerts_repo import AlertsRepo

log = structlog.get_logger(__name__)
SYSTEM = "system"
CUE_ACTION = "cue"
CONFIRMATION_FACTOR = "camera_confirmation"
TRACK_SOURCES = frozenset({Source.RADAR, Source.AIS})
MAX_FIXES = 50_000
"""Latest fix per radar/AIS track, kept for cueing; a busy coast has a few thousand."""


@dataclass
class _Task:
    alert: Alert
    camera: str
    cue_id: uuid.UUID
    since: datetime
    failed: set[str] = field(default_factory=set)
    confirmed: bool = False
    told_nothing: bool = False


class CueDesk:
    def __init__(
        self,
        pool: ConnectionPool,
        config: PtzConfig,
        publish: Callable[[PtzCue], None],
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._config = config
        self._publish = publish
        self._clock = clock
        self._alerts = AlertsRepo()
        self._lock = threading.RLock()
        self._tasks: dict[uuid.UUID, _Task] = {}  # by alert id
        self._fixes: OrderedDict[str, TargetFix] = OrderedDict()  # newest last, bounded
        self._pan: dict[str, float] = {c.id: 0.0 for c in config.cameras}
        self._held: dict[str, datetime] = {}  # camera -> operator hold until
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cue-desk", daemon=True)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._config.cue.reaim_s):
            try:
                self.tick()
            except Exception:
                log.exception("cue desk tick failed")

    # -- bus -----------------------------------------------------------------------------------

    def on_message(self, message: Message) -> None:
        if isinstance(message, Observation):
            self._on_observation(message)
        elif isinstance(message, Alert):
            self._on_alert(message)
        elif isinstance(message, PtzReport):
            self._on_report(message)
        elif isinstance(message, PtzCue) and message.requested_by != SYSTEM:
            self._on_operator(message)

    def cameras_in_use(self) -> dict[str, uuid.UUID]:
        """Camera id -> the alert it serves (for tests and the status page)."""
        with self._lock:
            return {t.camera: a for a, t in self._tasks.items()}

    def operator_holds(self) -> dict[str, datetime]:
        """Camera id -> until when an operator's cue keeps it."""
        with self._lock:
            return dict(self._held)

    def _on_observation(self, obs: Observation) -> None:
        if obs.source not in TRACK_SOURCES:
            return
        fix = TargetFix(obs.lat, obs.lon, obs.time, obs.sog_kn, obs.cog_deg, obs.length_m)
        key = f"{obs.source.value}:{obs.target_ref}"
        with self._lock:
            self._fixes[key] = fix
            self._fixes.move_to_end(key)
            if len(self._fixes) > MAX_FIXES:
                self._fixes.popitem(last=False)  # the longest silent track

    def _on_alert(self, alert: Alert) -> None:
        with self._lock:
            task = self._tasks.get(alert.id)
            if alert.state not in OPEN_STATES:
                if task is not None:
                    self._release(task, f"alert {alert.state.value}")
                return
            if task is not None:
                task.alert = alert
                if not task.confirmed and any(f.name == CONFIRMATION_FACTOR for f in alert.factors):
                    task.confirmed = True
                    self._audit(alert, f"confirmed by eye on {task.camera}")
                return
            cue = self._config.cue
            if alert.target.split(":", 1)[0] not in TRACK_SOURCES:
                return  # only radar and AIS tracks are cued (a camera's own track is seen)
            watched = any(t.alert.target == alert.target for t in self._tasks.values())
            if alert.level in cue.levels and alert.kind in cue.kinds and not watched:
                self._assign(alert, set(), "")  # one camera per target, whatever its kinds

    def _on_report(self, report: PtzReport) -> None:
        with self._lock:
            if report.pan_deg is not None and report.camera in self._pan:
                self._pan[report.camera] = report.pan_deg
            task = next((t for t in self._tasks.values() if t.cue_id == report.cue_id), None)
            if task is None or report.ok or task.camera != report.camera:
                return
            del self._tasks[task.alert.id]
            failed = task.failed | {report.camera}
            self._assign(task.alert, failed, f"{report.camera} failed ({report.error}); ")

    def _on_operator(self, cue: PtzCue) -> None:
        with self._lock:
            self._held[cue.camera] = self._clock() + timedelta(
                seconds=self._config.cue.operator_hold_s
            )
            if cue.release:
                self._held.pop(cue.camera, None)
                return
            displaced = next((t for t in self._tasks.values() if t.camera == cue.camera), None)
            if displaced is not None:
                del self._tasks[displaced.alert.id]
                self._assign(
                    displaced.alert,
                    displaced.failed,
                    f"{cue.camera} taken over by {cue.requested_by}; ",
                )

    # -- timer ---------------------------------------------------------------------------------

    def tick(self) -> None:
        """Re-aim every open cue at its target's latest fix; say so where a cue saw nothing."""
        now = self._clock()
        with self._lock:
            for task in list(self._tasks.values()):
                self._publish(self._cue(task.alert, task.camera, task.cue_id, now))
                waited = (now - task.since).total_seconds()
                overdue = waited >= self._config.cue.confirm_within_s
                if overdue and not task.confirmed and not task.told_nothing:
                    task.told_nothing = True
                    self._audit(
                        task.alert, f"cue on {task.camera} found nothing within {waited:.0f} s"
                    )

    # -- decisions -----------------------------------------------------------------------------

    def _fix(self, alert: Alert) -> TargetFix:
        return self._fixes.get(alert.target) or TargetFix(alert.lat, alert.lon, alert.updated_at)

    def _assign(self, alert: Alert, failed: set[str], prefix: str) -> None:
        now = self._clock()
        choice, reasons = self._choose(alert, failed, now)
        if choice is None:
            why = "; ".join(reasons) or "no PTZ camera configured"
            self._audit(alert, f"{prefix}no camera can take the cue: {why}")
            return
        camera, target = choice
        previous = next((t for t in self._tasks.values() if t.camera == camera.id), None)
        if previous is not None:  # a lower-level cue gives its camera up
            del self._tasks[previous.alert.id]
            self._audit(
                previous.alert,
                f"{camera.id} taken by a {alert.level.value} alert on {alert.target}",
            )
        task = _Task(alert, camera.id, uuid.uuid4(), now, failed=failed)
        self._tasks[alert.id] = task
        self._publish(self._cue(alert, camera.id, task.cue_id, now))
        self._audit(
            alert,
            f"{prefix}cued {camera.id}: bearing {target.bearing_deg:.1f}°, "
            f"{target.range_m:.0f} m, pan {target.pan_deg:.1f}° tilt {target.tilt_deg:.2f}° "
            f"zoom {target.zoom:.2f}",
        )
        if previous is not None:
            self._assign(previous.alert, previous.failed, f"{camera.id} pre-empted; ")

    def _choose(
        self, alert: Alert, failed: set[str], now: datetime
    ) -> tuple[tuple[PtzCamera, Aim] | None, list[str]]:
        """Nearest free camera that can see the target; else the one serving the lowest level
        below this alert's; reasons for every camera passed over."""
        cue = self._config.cue
        fix = self._fix(alert)
        busy = {t.camera: t for t in self._tasks.values()}
        free: list[tuple[PtzCamera, Aim]] = []
        preemptable: list[tuple[int, PtzCamera, Aim]] = []
        reasons: list[str] = []
        rank = LEVEL_ORDER.index(alert.level)
        for camera in self._config.cameras:
            if camera.id in failed:
                reasons.append(f"{camera.id} failed")
                continue
            if self._held.get(camera.id, now) > now:
                reasons.append(f"{camera.id} held by an operator")
                continue
            result = aim(
                camera,
                fix,
                now,
                current_pan=self._pan.get(camera.id, 0.0),
                boat_length_m=cue.boat_length_m,
                boat_height_m=cue.boat_height_m,
                frame_fill=cue.frame_fill,
            )
            if isinstance(result, Refusal):
                reasons.append(f"{camera.id} {result.reason.value}: {result.detail}")
                continue
            task = busy.get(camera.id)
            if task is None:
                free.append((camera, result))
            elif LEVEL_ORDER.index(task.alert.level) < rank:
                preemptable.append((LEVEL_ORDER.index(task.alert.level), camera, result))
            else:
                reasons.append(f"{camera.id} busy with a {task.alert.level.value} alert")
        if free:
            return min(free, key=lambda c: c[1].range_m), reasons
        if preemptable:
            _, camera, result = min(preemptable, key=lambda c: (c[0], c[2].range_m))
            return (camera, result), reasons
        return None, reasons

    def _release(self, task: _Task, why: str) -> None:
        del self._tasks[task.alert.id]
        now = self._clock()
        self._publish(
            PtzCue(
                cue_id=task.cue_id,
                camera=task.camera,
                time=now,
                requested_by=SYSTEM,
                alert_id=task.alert.id,
                release=True,
            )
        )
        self._audit(task.alert, f"cue on {task.camera} released ({why})")

    def _cue(self, alert: Alert, camera: str, cue_id: uuid.UUID, now: datetime) -> PtzCue:
        fix = self._fix(alert)
        return PtzCue(
            cue_id=cue_id,
            camera=camera,
            time=now,
            requested_by=SYSTEM,
            target=alert.target,
            alert_id=alert.id,
            level=alert.level,
            lat=fix.lat,
            lon=fix.lon,
            fix_time=fix.time,
            sog_kn=fix.sog_kn,
            cog_deg=fix.cog_deg,
            length_m=fix.length_m,
        )

    def _audit(self, alert: Alert, note: str) -> None:
        log.info("cue", alert=str(alert.id), note=note)
        try:
            with self._pool.connection() as conn:
                self._alerts.record(
                    conn,
                    alert.id,
                    actor=SYSTEM,
                    action=CUE_ACTION,
                    from_state=alert.state,
                    to_state=alert.state,
                    note=note,
                    at=self._clock(),
                )
        except Exception:
            # The audit line is worth a lot, but not stopping the camera over a DB hiccup.
            log.exception("cue audit not written", alert=str(alert.id))
