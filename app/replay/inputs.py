"""Recorded files as replay inputs: which decoder reads each, as which sensor, and its lines.

Sensor ids come from the site configuration in order (the n-th `--ais` file is the n-th AIS
input, the n-th `--radar` file the n-th NMEA radar input, with its position), so a replay
names radar targets exactly as the live service does; extra files get `replay-<kind>-<n>`.
"""

from __future__ import annotations

import gzip
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from ingest.nmea_ais import AisDecoder
from ingest.nmea_radar import RadarDecoder, RadarSite
from shorewatch.config.site import SiteConfig
from shorewatch.events import Observation, Source, TrackEnd, VesselStatic

GZIP_MAGIC = b"\x1f\x8b"
Decoded = Observation | VesselStatic | TrackEnd


class ReplayError(RuntimeError):
    """An input that cannot be replayed at all (unreadable file); bad lines are only counted."""


class Kind(StrEnum):
    AIS = "ais"
    RADAR = "radar"


@dataclass(frozen=True)
class ReplayInput:
    kind: Kind
    path: Path
    sensor_id: str
    radar_site: RadarSite | None = None

    @property
    def label(self) -> str:
        return f"{self.kind.value} {self.path.name} (sensor {self.sensor_id})"


class Feeder(Protocol):
    stats: Counter[str]

    def feed(self, line: bytes, at: datetime) -> Sequence[Decoded]: ...

    def flush(self) -> None: ...


class AisFeeder:
    """The live decoder, fed the recorded lines with their times."""

    def __init__(self, sensor_id: str) -> None:
        self._decoder = AisDecoder(sensor_id)
        self.stats = self._decoder.stats

    def feed(self, line: bytes, at: datetime) -> Sequence[Decoded]:
        return self._decoder.feed(line, at)

    def flush(self) -> None:
        self._decoder.flush()


class RadarFeeder:
    """The live radar decoder; a target the radar reports lost (`L`) ends its track."""

    def __init__(self, sensor_id: str, site: RadarSite | None) -> None:
        self._decoder = RadarDecoder(sensor_id, site=site)
        self._sensor_id = sensor_id
        self.stats = self._decoder.stats

    def feed(self, line: bytes, at: datetime) -> Sequence[Decoded]:
        found: list[Decoded] = list(self._decoder.feed(line, at))
        lost_at = self._decoder.lost_at or at  # the radar's own time, as the live receiver
        found += [
            TrackEnd(source=Source.RADAR, sensor_id=self._sensor_id, target_ref=ref, time=lost_at)
            for ref in self._decoder.lost_targets
        ]
        return found

    def flush(self) -> None:
        """Radar sentences are single lines: nothing is ever pending."""


def feeder_for(spec: ReplayInput) -> Feeder:
    if spec.kind is Kind.AIS:
        return AisFeeder(spec.sensor_id)
    return RadarFeeder(spec.sensor_id, spec.radar_site)


def plan_inputs(site: SiteConfig, ais: Sequence[Path], radar: Sequence[Path]) -> list[ReplayInput]:
    """Each file with the sensor it stands for (see the module docstring)."""
    ais_ids = [spec.id for spec in site.ingest.ais]
    radars = [spec for spec in site.ingest.radar if spec.format == "nmea"]
    planned = [
        ReplayInput(Kind.AIS, path, ais_ids[i] if i < len(ais_ids) else f"replay-ais-{i + 1}")
        for i, path in enumerate(ais)
    ]
    for i, path in enumerate(radar):
        if i < len(radars):
            where = radars[i].site
            located = None if where is None else RadarSite(where.lat, where.lon, where.heading_deg)
            planned.append(ReplayInput(Kind.RADAR, path, radars[i].id, located))
        else:
            planned.append(ReplayInput(Kind.RADAR, path, f"replay-radar-{i + 1}"))
    return planned


def open_binary(path: Path) -> io.BufferedIOBase:
    """Gzip or plain, told by the file's first bytes rather than its name."""
    with path.open("rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else path.open("rb")


def read_lines(path: Path) -> Iterator[bytes]:
    """The file's lines as bytes; an unreadable file raises ReplayError."""
    try:
        with open_binary(path) as handle:
            yield from handle
    except (OSError, EOFError) as exc:
        raise ReplayError(f"{path}: cannot read: {exc}") from exc


def count_lines(path: Path) -> int:
    """Reads the whole file once: checks it is readable before any work, and sizes progress."""
    total = 0
    last = b"\n"
    try:
        with open_binary(path) as handle:
            while block := handle.read(1 << 20):
                total += block.count(b"\n")
                last = block[-1:]
    except (OSError, EOFError) as exc:
        raise ReplayError(f"{path}: cannot read: {exc}") from exc
    return total + (last != b"\n")
