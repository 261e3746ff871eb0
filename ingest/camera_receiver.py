"""Edge-camera receiver: JSON detections from a smart camera's raw topic onto the bus.

Shares `LineAccounting` with the AIS and radar receivers, so a smart camera's input reads the
same in `/metrics` (`ingest_lines{source="camera",sensor,outcome}`) and logs its rejections the
same rate-limited way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ingest.camera_json import CAMERA_REJECTIONS, CameraOutcome, EdgeCameraDecoder
from ingest.receiver import LineAccounting
from shorewatch.events import Observation, Source
from shorewatch.geocal import GeoCalibration
from shorewatch.metrics import Metrics

CameraPublish = Callable[[Observation], None]


class EdgeCameraReceiver:
    """One smart camera (`{root}/raw/camera/{id}`), placed by its lat/lon or its calibration."""

    def __init__(
        self,
        camera_id: str,
        publish: CameraPublish,
        metrics: Metrics,
        *,
        calibration: GeoCalibration | None = None,
        max_payload_bytes: int = 8192,
    ) -> None:
        self.camera_id = camera_id
        self._publish = publish
        self._accounting = LineAccounting(
            Source.CAMERA.value, camera_id, metrics, max_payload_bytes=max_payload_bytes
        )
        self._lock = threading.Lock()
        self._decoder = EdgeCameraDecoder(
            camera_id, calibration=calibration, on_outcome=self._count
        )

    def feed(self, payload: bytes) -> int:
        """Decode one payload (a detection or an array of them); returns observations published."""
        if self._accounting.refuse_oversized(payload, per_line=False):
            return 0
        with self._lock:
            observations = self._decoder.feed(payload)
        for obs in observations:
            self._publish(obs)
        return len(observations)

    @property
    def stats(self) -> dict[str, int]:
        """Detections per outcome, rejections included."""
        with self._lock:
            return self._accounting.totals(self._decoder.stats)

    def _count(self, outcome: CameraOutcome, detail: str) -> None:
        if outcome in CAMERA_REJECTIONS:
            self._accounting.reject(outcome.value, 1, detail)
        else:
            self._accounting.accept(outcome.value)
