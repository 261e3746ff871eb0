"""A camera's offline/online transitions as `sensor_offline` episodes on the bus.

Offline opens the episode (start = when the reader gave up on the stream); back online
re-publishes the same event with `end` and the outage length, so the alert it raised is
updated and the operator sees how long the coast was blind there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ingest.rtsp import CameraStatus
from shorewatch.episodes import closed, new_event
from shorewatch.events import Event, EventKind

Publish = Callable[[Event], None]


class CameraHealth:
    def __init__(
        self, camera_id: str, lat: float, lon: float, publish: Publish, config_version: str
    ) -> None:
        self.camera_id = camera_id
        self._lat, self._lon = lat, lon
        self._publish = publish
        self._version = config_version
        self._open: Event | None = None
        self._lock = threading.Lock()

    @property
    def target(self) -> str:
        return f"sensor:{self.camera_id}"

    def on_status(self, status: CameraStatus) -> None:
        """For `CameraReader(on_status=...)`: transitions only, so no repeat handling needed."""
        with self._lock:
            if not status.online and self._open is None:
                self._open = new_event(
                    EventKind.SENSOR_OFFLINE,
                    (self.target,),
                    status.time,
                    self._lat,
                    self._lon,
                    {"sensor": self.camera_id, "reason": status.reason[:200]},
                    self._version,
                )
                event = self._open
            elif status.online and self._open is not None:
                event = closed(self._open, status.time, {"back": status.reason[:200]})
                self._open = None
            else:
                return
        self._publish(event)
