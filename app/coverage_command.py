"""`shorewatch coverage`: learn receivers' coverage from a recorded capture and draw it.

The capture goes through the same replay as `shorewatch replay` (the live decoders and
detector, in event time); every decoded AIS position is counted into a learned grid as the
live detector counts those it admits (`shorewatch/coverage.py`). The picture shows, per cell,
how many reports the receiver heard there: coloured cells are covered (at least
`min_reports`), grey ones heard too seldom to count yet; configured areas are outlined.
Exit status: 0 drawn, 1 an input could not be read or nothing was heard, 2 a usage error.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shorewatch.config.coverage import LearnedCoverageConfig
from shorewatch.config.site import SiteConfig
from shorewatch.coverage import CoverageModel, LearnedCell
from shorewatch.events import Message, Observation, Source

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

COMMAND = "coverage"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        COMMAND,
        help="learn AIS receivers' coverage from a recorded capture and draw it (PNG)",
        description=__doc__,
    )
    parser.add_argument(
        "--ais", type=Path, nargs="+", required=True, metavar="FILE", help="AIS NMEA capture(s)"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="PNG", help="picture to write")
    parser.add_argument(
        "--cell-deg", type=float, default=None, help="grid cell size (default: the site's)"
    )
    parser.add_argument(
        "--min-reports", type=int, default=None, help="reports that make a cell covered"
    )
    parser.add_argument(
        "--bbox",
        action="append",
        default=[],
        metavar="S,W,N,E",
        help="area drawn, one panel each; repeatable (default: the covered cells' extent)",
    )
    parser.add_argument("--title", default=None, help="picture title")


@dataclass(frozen=True)
class Extent:
    south: float
    west: float
    north: float
    east: float


def run(site: SiteConfig, args: argparse.Namespace) -> int:
    from app.replay.inputs import ReplayError, plan_inputs
    from app.replay.runner import run_replay

    err = sys.stderr
    learned = site.coverage.learned
    overrides: dict[str, float | int] = {}
    if args.cell_deg is not None:
        overrides["cell_deg"] = args.cell_deg
    if args.min_reports is not None:
        overrides["min_reports"] = args.min_reports
    try:
        learned = LearnedCoverageConfig.model_validate(
            {**learned.model_dump(), **overrides, "enabled": True}
        )
        boxes = [_parse_bbox(text) for text in args.bbox]
    except ValueError as exc:
        print(f"shorewatch coverage: {exc}", file=err)
        return 2
    if not args.out.parent.is_dir():
        print(f"shorewatch coverage: cannot write {args.out}: no such directory", file=err)
        return 1
    model = CoverageModel(site.coverage.model_copy(update={"learned": learned}))

    def hear(message: Message) -> None:
        if isinstance(message, Observation) and message.source is Source.AIS:
            model.hear(message.sensor_id, message.lat, message.lon, message.time)

    inputs = plan_inputs(site, args.ais, [])
    try:
        report = run_replay(site, inputs, on_message=hear)
    except ReplayError as exc:
        print(f"shorewatch coverage: {exc}", file=err)
        return 1
    cells = [c for r in model.grid.receivers() for c in model.grid.cells(r)]
    if not cells:
        print("shorewatch coverage: no AIS position was heard", file=err)
        return 1
    extents = boxes or [trimmed_extent(cells, learned.cell_deg, learned.min_reports)]
    title = args.title or ", ".join(p.name for p in args.ais)
    from app.evaluate.figures import save_png

    size = (5.0 * len(extents) + 1.5, 5.5)
    if not save_png(args.out, lambda fig: draw(fig, model, cells, extents, title), size):
        print("shorewatch coverage: matplotlib is not installed (`pip install -e .[dev]`)")
        return 1
    for receiver in model.grid.receivers():
        mine = model.grid.cells(receiver)
        covered = sum(1 for c in mine if c.reports >= learned.min_reports)
        print(
            f"{receiver}: {sum(c.reports for c in mine):,} reports in {len(mine):,} cells of "
            f"{learned.cell_deg} deg; {covered:,} covered (>= {learned.min_reports} reports)"
        )
    gaps = sum(1 for e in report.events if e.kind.value == "ais_gap")
    print(f"{report.messages:,} messages replayed, {gaps} ais_gap episode(s); wrote {args.out}")
    return 0


def _parse_bbox(text: str) -> Extent:
    parts = [float(p) for p in text.split(",")]
    if len(parts) != 4 or parts[0] >= parts[2] or parts[1] >= parts[3]:
        raise ValueError(f"--bbox {text!r}: give S,W,N,E with S < N and W < E")
    return Extent(*parts)


def trimmed_extent(cells: Sequence[LearnedCell], cell_deg: float, min_reports: int) -> Extent:
    """The extent of the covered cells holding 96 % of their reports (a few stray or corrupt
    positions far away would otherwise shrink the picture to nothing), with a margin."""
    covered = [c for c in cells if c.reports >= min_reports] or list(cells)

    def bounds(values: list[tuple[float, int]]) -> tuple[float, float]:
        values.sort()
        total = sum(n for _, n in values)
        cut = total * 0.02
        low_acc = high_acc = 0
        low, high = values[0][0], values[-1][0]
        for v, n in values:
            low_acc += n
            if low_acc > cut:
                low = v
                break
        for v, n in reversed(values):
            high_acc += n
            if high_acc > cut:
                high = v
                break
        return low, high + cell_deg

    south, north = bounds([(c.cell.south(cell_deg), c.reports) for c in covered])
    west, east = bounds([(c.cell.west(cell_deg), c.reports) for c in covered])
    margin = max(north - south, east - west) * 0.05 + cell_deg
    return Extent(south - margin, west - margin, north + margin, east + margin)


def draw(
    figure: Figure,
    model: CoverageModel,
    cells: Sequence[LearnedCell],
    extents: Sequence[Extent],
    title: str,
) -> None:
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LogNorm

    floor = model.grid.min_reports
    top = max([c.reports for c in cells] + [floor + 1])
    norm = LogNorm(vmin=max(1, floor), vmax=top)
    axes = figure.subplots(1, len(extents), squeeze=False)[0]
    for ax, extent in zip(axes, extents, strict=True):
        _panel(ax, model, cells, extent, norm)
    n_covered = sum(1 for c in cells if c.reports >= floor)
    figure.suptitle(
        f"{title}: learned coverage, {n_covered:,} covered cells of {model.grid.cell_deg} deg\n"
        f"(covered: >= {floor} reports; grey: heard less; red: configured areas)",
        fontsize=10,
    )
    figure.colorbar(
        ScalarMappable(norm=norm, cmap=colormaps["viridis"]),
        ax=list(axes),
        label="reports heard in the cell",
        shrink=0.8,
    )


def _panel(
    ax: Axes, model: CoverageModel, cells: Sequence[LearnedCell], extent: Extent, norm: LogNorm
) -> None:
    from matplotlib import colormaps
    from matplotlib.patches import Circle, Polygon, Rectangle

    size = model.grid.cell_deg
    floor = model.grid.min_reports
    colours = colormaps["viridis"]
    # At a coast-wide scale a cell is under a point wide: an outline of its own colour keeps
    # it visible (about 1.5 points), at the cost of drawing it a little larger than it is.
    tiny = size / (extent.east - extent.west) * 360.0 < 1.5
    for c in cells:
        south, west = c.cell.south(size), c.cell.west(size)
        if not (extent.south - size <= south <= extent.north and extent.west - size <= west):
            continue
        if west > extent.east:
            continue
        colour = colours(norm(c.reports)) if c.reports >= floor else "#c8c8c8"
        ax.add_patch(
            Rectangle(
                (west, south),
                size,
                size,
                facecolor=colour,
                edgecolor=colour if tiny else "none",
                linewidth=1.0 if tiny else 0.0,
                zorder=3 if c.reports >= floor else 2,
            )
        )
    for receiver in model.config.receivers:
        if receiver.polygon is not None:
            ax.add_patch(Polygon(receiver.polygon, fill=False, edgecolor="crimson", lw=1.2))
        if receiver.range_km is not None and receiver.lat is not None and receiver.lon is not None:
            km_per_deg_lon = 111.32 * math.cos(math.radians(receiver.lat))
            radius = receiver.range_km / km_per_deg_lon
            centre = (receiver.lon, receiver.lat)
            ax.add_patch(Circle(centre, radius, fill=False, edgecolor="crimson", lw=1.2))
    ax.set_xlim(extent.west, extent.east)
    ax.set_ylim(extent.south, extent.north)
    mid = math.radians((extent.south + extent.north) / 2)
    ax.set_aspect(1.0 / max(0.05, math.cos(mid)))
    ax.set_xlabel("longitude (deg E)")
    ax.set_ylabel("latitude (deg N)")
    ax.grid(visible=True, lw=0.3, alpha=0.5)
