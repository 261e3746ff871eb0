"""Radar receivers: raw bytes in, observations and track ends out to the bus, every line counted.

Like `AisReceiver`, transport-agnostic (UDP, TCP and MQTT hand their payloads here) and sharing
its `LineAccounting`, so radar input reads the same in `/metrics` as AIS, under source "radar".
A target the radar reports lost (status L) is published as a `TrackEnd`, so its track ends
when the sensor says so rather than at a timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from ingest.nmea_radar import RadarDecoder, RadarOutcome, RadarSite
from ingest.radar_json import JSON_REJECTIONS, JsonOutcome, RadarJsonDecoder
from ingest.receiver import LineAccounting
from shorewatch.events import Observation, Source, TrackEnd
from shorewatch.metrics import Metrics

RadarPublish = Callable[[Observation | TrackEnd], None]
# Own-ship and other instrument sentences share a radar's NMEA bus: expected, not rejected.
NMEA_REJECTIONS = frozenset(
    {RadarOutcome.CHECKSUM, RadarOutcome.MALFORMED, RadarOutcome.NO_POSITION}
)


class RadarReceiver:
    """ARPA targets as NMEA TTM/TLL, placed from the configured site (or the own-ship fix)."""

    def __init__(
        self,
        sensor_id: str,
        publish: RadarPublish,
        metrics: Metrics,
        clock: Callable[[], datetime],
        *,
        site: RadarSite | None = None,
        max_payload_bytes: int = 8192,
    ) -> None:
        self.sensor_id = sensor_id
        self._publish = publish
        self._clock = clock
        self._accounting = LineAccounting(
            Source.RADAR.value, sensor_id, metrics, max_payload_bytes=max_payload_bytes
        )
        self._lock = threading.Lock()
        self._decoder = RadarDecoder(sensor_id, site=site, on_outcome=self._count)

    def feed(self, payload: bytes) -> int:
        """Decode every line of one payload; returns the number of messages published."""
        if self._accounting.refuse_oversized(payload):
            return 0
        return self.feed_lines(payload.splitlines())

    def feed_lines(self, lines: Sequence[bytes]) -> int:
        """Lines read from a stream (TCP), each held to the payload limit on its own and
        stamped with its own arrival time (as when each came alone)."""
        published = 0
        limit = self._accounting.max_payload_bytes
        with self._lock:  # the own-ship context (fix, heading, date) is per radar, not per line
            for line in lines:
                if len(line) > limit and self._accounting.refuse_oversized(line):
                    continue
                received_at = self._clock()
                for obs in self._decoder.feed(line, received_at):
                    self._publish(obs)
                    published += 1
                for ref in self._decoder.lost_targets:
                    self._publish(self._track_end(ref, self._decoder.lost_at or received_at))
                    published += 1
        return published

    @property
    def stats(self) -> dict[str, int]:
        """Lines per outcome, rejections included: they add up to every line received."""
        with self._lock:
            return self._accounting.totals(self._decoder.stats)

    def _track_end(self, ref: str, lost_at: datetime) -> TrackEnd:
        """At the radar's own time on the lost line, so a replay ends it where live did."""
        return TrackEnd(source=Source.RADAR, sensor_id=self.sensor_id, target_ref=ref, time=lost_at)

    def _count(self, outcome: RadarOutcome, line: str) -> None:
        if outcome in NMEA_REJECTIONS:
            self._accounting.reject(outcome.value, 1, line)
        else:
            self._accounting.accept(outcome.value)


class RadarJsonReceiver:
    """Tracks from radars that publish their own, as JSON over MQTT (`radar_json`)."""

    def __init__(
        self,
        sensor_id: str,
        publish: RadarPublish,
        metrics: Metrics,
        *,
        site: RadarSite | None = None,
        max_payload_bytes: int = 8192,
    ) -> None:
        self.sensor_id = sensor_id
        self._publish = publish
        self._accounting = LineAccounting(
            Source.RADAR.value, sensor_id, metrics, max_payload_bytes=max_payload_bytes
        )
        self._lock = threading.Lock()
        self._decoder = RadarJsonDecoder(sensor_id, site=site, on_outcome=self._count)

    def feed(self, payload: bytes) -> int:
        """Decode one payload (a report or an array of them); returns the messages published."""
        if self._accounting.refuse_oversized(payload, per_line=False):
            return 0
        with self._lock:
            messages = self._decoder.feed(payload)
        for message in messages:
            self._publish(message)
        return len(messages)

    def feed_lines(self, lines: Sequence[bytes]) -> int:
        """A stream of JSON documents (TCP), one a line."""
        return sum(self.feed(line) for line in lines)

    @property
    def stats(self) -> dict[str, int]:
        """Reports per outcome, rejections included."""
        with self._lock:
            return self._accounting.totals(self._decoder.stats)

    def _count(self, outcome: JsonOutcome, detail: str) -> None:
        if outcome in JSON_REJECTIONS:
            self._accounting.reject(outcome.value, 1, detail)
        else:
            self._accounting.accept(outcome.value)
