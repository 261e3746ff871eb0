"""Receiver coverage: where each AIS receiver should hear a vessel.

Two sources, joined per receiver: the **configured** area (`coverage.receivers`: a range around
the antenna or a polygon) and the **learned** grid (cells of `cell_deg` where the receiver has
heard at least `min_reports` reports; counted by the detector, kept in the store). A point is
covered by a receiver when its configured area contains it **or** its learned cell is covered:
the configured area is the engineer's claim and holds from the first minute, the grid adds
where reception really reaches (ducting, a taller mast than drawn). A receiver with no
configured area counts only once its grid is mature (`min_cells` covered cells); until some
receiver counts, `model()` says there is no model and the gap rule falls back to the
`coverage` zones, as before. Satellite receivers are judged apart (revisit, not range): their
area, if configured, is the footprint watched; they learn no grid.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shapely.geometry import Point, Polygon
from shapely.prepared import PreparedGeometry, prep

from shorewatch.config.coverage import CoverageConfig, ReceiverCoverageConfig

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class Cell:
    """A grid cell: rows of latitude and columns of longitude, `cell_deg` wide, from 0/0."""

    row: int
    col: int

    @classmethod
    def of(cls, lat: float, lon: float, cell_deg: float) -> Cell:
        return cls(math.floor(lat / cell_deg), math.floor(lon / cell_deg))

    def south(self, cell_deg: float) -> float:
        return self.row * cell_deg

    def west(self, cell_deg: float) -> float:
        return self.col * cell_deg


@dataclass(slots=True)
class CellCount:
    reports: int
    first_heard: datetime
    last_heard: datetime
    stored: int = 0
    """Reports the store already has (loaded, or flushed); the rest is the next delta."""


@dataclass(frozen=True)
class LearnedCell:
    """One receiver's counts in one cell: a stored row, or a delta to add to it."""

    sensor_id: str
    cell: Cell
    reports: int
    first_heard: datetime
    last_heard: datetime


CellKey = tuple[int, int]


class LearnedGrid:
    """Per receiver, the reports heard per cell. The detector's thread hears and asks; the
    store's flusher drains what was heard since its last flush (`drain`), on its own thread.

    Hearing is on the path of every report, so it costs one dict lookup and an add to the set
    of cells heard since the last flush; the delta is worked out at the flush (the store adds
    reports and keeps the earliest first and latest last time, so whole times are as good as
    the delta's own)."""

    def __init__(self, cell_deg: float, min_reports: int) -> None:
        self.cell_deg = cell_deg
        self.min_reports = min_reports
        self.version = 0
        """Bumped whenever a cell becomes covered: what the grid covers changed."""
        self._cells: dict[str, dict[CellKey, CellCount]] = {}
        self._covered: dict[str, int] = {}
        self._dirty: dict[str, set[CellKey]] = {}
        self._lock = threading.Lock()

    def hear(self, sensor_id: str, lat: float, lon: float, at: datetime) -> None:
        key = (math.floor(lat / self.cell_deg), math.floor(lon / self.cell_deg))
        cells = self._cells.get(sensor_id)
        if cells is None:
            cells = self._cells[sensor_id] = {}
        with self._lock:
            count = cells.get(key)
            if count is None:
                cells[key] = count = CellCount(1, at, at)
            else:
                count.reports += 1
                if at > count.last_heard:
                    count.last_heard = at
                elif at < count.first_heard:
                    count.first_heard = at
            dirty = self._dirty.get(sensor_id)
            if dirty is None:
                dirty = self._dirty[sensor_id] = set()
            dirty.add(key)
        if count.reports == self.min_reports:
            self._newly_covered(sensor_id)

    def load(self, rows: Iterable[LearnedCell]) -> int:
        """Counts from the store (a warm start); returns the number of cells loaded."""
        loaded = 0
        with self._lock:
            for row in rows:
                cells = self._cells.setdefault(row.sensor_id, {})
                key = (row.cell.row, row.cell.col)
                count = cells.get(key)
                before = 0 if count is None else count.reports
                if count is None:
                    cells[key] = CellCount(row.reports, row.first_heard, row.last_heard)
                    cells[key].stored = row.reports
                else:
                    count.reports += row.reports
                    count.stored += row.reports
                    count.first_heard = min(count.first_heard, row.first_heard)
                    count.last_heard = max(count.last_heard, row.last_heard)
                if before < self.min_reports <= before + row.reports:
                    self._covered[row.sensor_id] = self._covered.get(row.sensor_id, 0) + 1
                loaded += 1
        self.version += 1
        return loaded

    def drain(self) -> list[LearnedCell]:
        """What was heard since the last drain, one delta per receiver and cell."""
        deltas: list[LearnedCell] = []
        with self._lock:
            dirty, self._dirty = self._dirty, {}
            for sensor_id in sorted(dirty):
                cells = self._cells[sensor_id]
                for key in sorted(dirty[sensor_id]):
                    count = cells[key]
                    if count.reports > count.stored:
                        deltas.append(
                            LearnedCell(
                                sensor_id,
                                Cell(*key),
                                count.reports - count.stored,
                                count.first_heard,
                                count.last_heard,
                            )
                        )
                        count.stored = count.reports
        return deltas

    def restore(self, deltas: Sequence[LearnedCell]) -> None:
        """Deltas a failed flush did not store: pending again, for the next flush."""
        with self._lock:
            for d in deltas:
                key = (d.cell.row, d.cell.col)
                count = self._cells.get(d.sensor_id, {}).get(key)
                if count is None:
                    continue
                count.stored -= d.reports
                self._dirty.setdefault(d.sensor_id, set()).add(key)

    def covers(self, sensor_id: str, lat: float, lon: float) -> bool:
        cells = self._cells.get(sensor_id)
        if not cells:
            return False
        count = cells.get((math.floor(lat / self.cell_deg), math.floor(lon / self.cell_deg)))
        return count is not None and count.reports >= self.min_reports

    def covered_cells(self, sensor_id: str) -> int:
        return self._covered.get(sensor_id, 0)

    def receivers(self) -> list[str]:
        return sorted(self._cells)

    def cells(self, sensor_id: str) -> list[LearnedCell]:
        """Everything known for a receiver (stored and heard), for pictures and tests."""
        with self._lock:
            return [
                LearnedCell(sensor_id, Cell(*key), c.reports, c.first_heard, c.last_heard)
                for key, c in self._cells.get(sensor_id, {}).items()
            ]

    def _newly_covered(self, sensor_id: str) -> None:
        self._covered[sensor_id] = self._covered.get(sensor_id, 0) + 1
        self.version += 1


class ReceiverArea:
    """A receiver's configured area: within `range_km` of its antenna, or inside its polygon."""

    def __init__(self, config: ReceiverCoverageConfig) -> None:
        self.id = config.id
        self._range_m = None if config.range_km is None else config.range_km * 1000.0
        self._lat = config.lat
        self._lon = config.lon
        self._polygon: PreparedGeometry[Polygon] | None = (
            None if config.polygon is None else prep(Polygon(config.polygon))
        )

    @property
    def defined(self) -> bool:
        return self._range_m is not None or self._polygon is not None

    def contains(self, lat: float, lon: float) -> bool:
        if self._polygon is not None:
            return bool(self._polygon.contains(Point(lon, lat)))
        if self._range_m is not None and self._lat is not None and self._lon is not None:
            return haversine_m(self._lat, self._lon, lat, lon) <= self._range_m
        return False


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class CoverageVerdict:
    """Whether positions lie in coverage, and which receivers should have heard there."""

    covered: bool
    basis: str
    """`receivers` (configured areas and learned grids) or `satellite`."""
    expected: tuple[str, ...]
    """Receivers covering every position, else those covering the first; ordered by id."""


class CoverageModel:
    def __init__(self, config: CoverageConfig, grid: LearnedGrid | None = None) -> None:
        self.config = config
        learned = config.learned
        self.grid = grid if grid is not None else LearnedGrid(learned.cell_deg, learned.min_reports)
        self._areas = {r.id: ReceiverArea(r) for r in config.receivers}
        self._satellite = frozenset(r.id for r in config.receivers if r.satellite)
        self._not_learning = frozenset(r.id for r in config.receivers if r.satellite or not r.learn)
        self._configured = sorted(
            r.id for r in config.receivers if not r.satellite and self._areas[r.id].defined
        )
        self._modelled: tuple[int, list[str]] = (-1, [])

    def is_satellite(self, sensor_id: str) -> bool:
        return sensor_id in self._satellite

    def hear(self, sensor_id: str, lat: float, lon: float, at: datetime) -> None:
        if self.config.learned.enabled and sensor_id not in self._not_learning:
            self.grid.hear(sensor_id, lat, lon, at)

    def modelled(self) -> list[str]:
        """Terrestrial receivers whose coverage is known: a configured area, or a grid with at
        least `min_cells` covered cells. Empty: no model, judge by the coverage zones."""
        version, receivers = self._modelled
        if version != self.grid.version:
            mature = {
                r
                for r in self.grid.receivers()
                if r not in self._not_learning
                and self.grid.covered_cells(r) >= self.config.learned.min_cells
            }
            receivers = sorted(mature.union(self._configured))
            self._modelled = (self.grid.version, receivers)
        return receivers

    def receiver_covers(self, sensor_id: str, lat: float, lon: float) -> bool:
        area = self._areas.get(sensor_id)
        if area is not None and area.contains(lat, lon):
            return True
        return self.config.learned.enabled and self.grid.covers(sensor_id, lat, lon)

    def judge(
        self, last_sensor: str, positions: Sequence[tuple[float, float]]
    ) -> CoverageVerdict | None:
        """Are all `positions` (lat, lon; the last fix first) inside coverage? None when no
        receiver's coverage is known (the caller falls back to the coverage zones)."""
        if self.is_satellite(last_sensor):
            area = self._areas[last_sensor]
            inside = not area.defined or all(area.contains(la, lo) for la, lo in positions)
            return CoverageVerdict(inside, "satellite", (last_sensor,))
        receivers = self.modelled()
        if not receivers:
            return None
        covering = [
            {r for r in receivers if self.receiver_covers(r, la, lo)} for la, lo in positions
        ]
        inside = all(covering)
        everywhere = set.intersection(*covering) if covering else set()
        expected = everywhere or (covering[0] if covering else set())
        return CoverageVerdict(inside, "receivers", tuple(sorted(expected)))
