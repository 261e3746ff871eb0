"""PTZ cameras over ONVIF: cues in from the bus, moves out to the camera, where it looks back.

`PtzDriver` subscribes to `{root}/cameras/{camera}/cue`, aims each cue with the shared geometry
(shorewatch/ptz_geometry.py, from the camera's last reported pan, so the lead covers the slew it
is about to make), moves the camera with AbsoluteMove (or RelativeMove from its reported
position, for cameras that lack AbsoluteMove or answer it with `ActionNotSupported`) and reports
the position the camera then gives (GetStatus) on `.../ptz`. Every failure is a report too: a
geometric refusal with its reason, a camera that does not answer within `onvif.timeout_s`,
credentials it refuses. The alerts stage reads those to fail over to another camera.

`onvif-zeep-async` is asyncio: one loop on its own thread serves every camera, one move at a
time per camera (a newer cue waits for the move in progress, then supersedes it).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import Any

import aiohttp
import structlog
import zeep.exceptions
from onvif import ONVIFCamera
from onvif.exceptions import ONVIFError

from shorewatch.config.ptz import CueConfig, PtzCamera
from shorewatch.events import Message, PtzCue, PtzReport
from shorewatch.metrics import Metrics
from shorewatch.ptz_geometry import Refusal, TargetFix, aim, from_onvif, hfov_at, to_onvif

log = structlog.get_logger(__name__)


class PtzFailure(Exception):
    """A move that did not happen, in words for the alert's audit."""


class OnvifPtz:
    """One camera's ONVIF session: connect lazily, move, read back where it looks."""

    def __init__(self, camera: PtzCamera) -> None:
        self.camera = camera
        self.absolute = camera.onvif.absolute_move
        self._device: ONVIFCamera | None = None
        self._ptz: Any = None
        self._token: str | None = camera.onvif.profile_token

    async def connect(self) -> Any:
        """The PTZ service, connecting first (service addresses, profile) when needed."""
        if self._ptz is not None:
            return self._ptz
        user, password = self.camera.onvif.credentials()
        device = ONVIFCamera(
            self.camera.onvif.host, self.camera.onvif.port, user, password, no_cache=True
        )
        self._device = device
        await device.update_xaddrs()
        if self._token is None:
            media = await device.create_media_service()
            profiles = await media.GetProfiles()
            if not profiles:
                raise PtzFailure("the camera lists no media profile")
            self._token = str(profiles[0].token)
        self._ptz = await device.create_ptz_service()
        return self._ptz

    async def close(self) -> None:
        device, self._device, self._ptz = self._device, None, None
        if device is not None:
            await device.close()

    async def position(self) -> tuple[float, float, float]:
        """ONVIF x, y, zoom as the camera reports them."""
        ptz = await self.connect()
        status = await ptz.GetStatus({"ProfileToken": self._token})
        where = status.Position
        return float(where.PanTilt.x), float(where.PanTilt.y), float(where.Zoom.x)

    async def move(self, x: float, y: float, zoom: float) -> tuple[float, float, float]:
        """Move to ONVIF (x, y, zoom); returns the position reported afterwards."""
        ptz = await self.connect()
        if self.absolute:
            try:
                await ptz.AbsoluteMove(
                    {
                        "ProfileToken": self._token,
                        "Position": {"PanTilt": {"x": x, "y": y}, "Zoom": {"x": zoom}},
                    }
                )
                return await self.position()
            except zeep.exceptions.Fault as fault:
                if "ActionNotSupported" not in _fault_text(fault):
                    raise
                log.info("camera lacks AbsoluteMove; using RelativeMove", camera=self.camera.id)
                self.absolute = False
        cx, cy, cz = await self.position()
        await ptz.RelativeMove(
            {
                "ProfileToken": self._token,
                "Translation": {"PanTilt": {"x": x - cx, "y": y - cy}, "Zoom": {"x": zoom - cz}},
            }
        )
        return await self.position()


def _fault_text(fault: zeep.exceptions.Fault) -> str:
    subcodes = " ".join(str(s) for s in (fault.subcodes or []))
    return f"{fault.message} {fault.code} {subcodes}"


class PtzDriver:
    """Every configured PTZ: cue -> aim -> ONVIF move -> `PtzReport` on the bus."""

    def __init__(
        self,
        cameras: Sequence[PtzCamera],
        cue: CueConfig,
        publish: Callable[[PtzReport], None],
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
    ) -> None:
        self._cue = cue
        self._metrics = metrics
        self._publish = publish
        self._clock = clock
        self._ptz = {c.id: OnvifPtz(c) for c in cameras}
        self._pan = dict.fromkeys(self._ptz, 0.0)
        self._loop = asyncio.new_event_loop()
        self._locks: dict[str, asyncio.Lock] = {}
        self._seq = 0
        self._seq_lock = threading.Lock()
        self._newest: dict[str, int] = {}  # per camera: the sequence number of its newest cue
        self._thread = threading.Thread(target=self._loop.run_forever, name="ptz", daemon=True)
        self.counts: dict[str, int] = {
            "cues": 0,
            "moves": 0,
            "refused": 0,
            "failed": 0,
            "superseded": 0,
        }

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        closing = asyncio.run_coroutine_threadsafe(self._close_all(), self._loop)
        try:
            closing.result(timeout=5)
        except Exception:
            log.exception("closing ONVIF sessions")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _close_all(self) -> None:
        for ptz in self._ptz.values():
            await ptz.close()

    def on_message(self, message: Message) -> None:
        """Bus handler for the cue topics; cues for cameras this driver does not own are left."""
        if isinstance(message, PtzCue) and message.camera in self._ptz and not message.release:
            self.submit(message)

    def submit(self, cue: PtzCue) -> Future[PtzReport | None]:
        """The report of the move, or None when a newer cue for the camera superseded it
        while it waited (a slow camera must not build up a backlog of stale aims)."""
        with self._seq_lock:
            self._seq += 1
            seq = self._newest[cue.camera] = self._seq
        return asyncio.run_coroutine_threadsafe(self._handle(cue, seq), self._loop)

    async def _handle(self, cue: PtzCue, seq: int) -> PtzReport | None:
        lock = self._locks.setdefault(cue.camera, asyncio.Lock())
        async with lock:
            if self._newest.get(cue.camera, 0) > seq:
                self._count(cue.camera, "superseded")
                return None
            report = await self._move(cue)
        if report.ok:
            self._count(cue.camera, "moves")
        elif not report.error.startswith("refused"):
            self._count(cue.camera, "failed")
        self._publish(report)
        return report

    def _count(self, camera: str, outcome: str) -> None:
        self.counts[outcome] += 1
        if self._metrics is not None:
            label = "moved" if outcome == "moves" else outcome
            self._metrics.ptz_moves.labels(camera=camera, outcome=label).inc()

    async def _move(self, cue: PtzCue) -> PtzReport:
        self.counts["cues"] += 1
        ptz = self._ptz[cue.camera]
        camera = ptz.camera
        if cue.lat is None or cue.lon is None:
            return self._failed(cue, "the cue has no position")
        fix = TargetFix(
            cue.lat, cue.lon, cue.fix_time or cue.time, cue.sog_kn, cue.cog_deg, cue.length_m
        )
        target = aim(
            camera,
            fix,
            self._clock(),
            current_pan=self._pan[cue.camera],
            boat_length_m=self._cue.boat_length_m,
            boat_height_m=self._cue.boat_height_m,
            frame_fill=self._cue.frame_fill,
        )
        if isinstance(target, Refusal):
            self._count(cue.camera, "refused")
            return self._failed(cue, f"refused ({target.reason.value}): {target.detail}")
        x, y = to_onvif(camera, target.pan_deg, target.tilt_deg)
        onvif = camera.onvif
        step, budget = "connection", onvif.connect_timeout_s
        try:
            # Connecting (service addresses, profiles, the WSDLs parsed once per process) has
            # its own budget: a cold start must not count against the move's.
            await asyncio.wait_for(ptz.connect(), timeout=budget)
            step, budget = "answer", onvif.timeout_s
            rx, ry, rz = await asyncio.wait_for(ptz.move(x, y, target.zoom), timeout=budget)
        except TimeoutError:
            await ptz.close()  # a half-open session is not reused
            return self._failed(cue, f"timeout: no {step} within {budget:g} s")
        except zeep.exceptions.Fault as fault:
            text = _fault_text(fault)
            if "NotAuthorized" in text or "not Authorized" in text:
                await ptz.close()
                return self._failed(cue, "credentials refused by the camera")
            return self._failed(cue, f"ONVIF fault: {fault.message}")
        except (ONVIFError, PtzFailure, aiohttp.ClientError, OSError) as exc:
            await ptz.close()
            return self._failed(cue, f"ONVIF error: {exc}")
        pan, tilt = from_onvif(camera, rx, ry)
        self._pan[cue.camera] = pan
        return PtzReport(
            camera=cue.camera,
            time=self._clock(),
            ok=True,
            cue_id=cue.cue_id,
            alert_id=cue.alert_id,
            target=cue.target,
            pan_deg=round(pan, 4),
            tilt_deg=round(tilt, 4),
            zoom=min(1.0, max(0.0, rz)),
            hfov_deg=hfov_at(camera, rz),
            aim_lat=target.lat,
            aim_lon=target.lon,
        )

    def _failed(self, cue: PtzCue, error: str) -> PtzReport:
        log.warning("PTZ cue failed", camera=cue.camera, error=error)
        return PtzReport(
            camera=cue.camera,
            time=self._clock(),
            ok=False,
            cue_id=cue.cue_id,
            alert_id=cue.alert_id,
            target=cue.target,
            error=error[:500],
        )
