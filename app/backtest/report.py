"""A backtest as text tables (the terminal) and as an HTML page with its plot."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from app.backtest.diff import Change, Difference, tally
from app.evaluate.figures import image_html, save_png, table_html, write_page

CHANGES = (Change.ADDED, Change.REMOVED, Change.CHANGED)
COLOURS = {Change.ADDED: "#228833", Change.REMOVED: "#cc3311", Change.CHANGED: "#4477aa"}


def raised_rows(counts: Sequence[Counter[str]]) -> list[list[object]]:
    """Events per kind under each configuration."""
    kinds = sorted(set().union(*counts))
    rows: list[list[object]] = [[k, *(c[k] for c in counts)] for k in kinds]
    rows.append(["total", *(sum(c.values()) for c in counts)])
    return rows


def change_rows(table: Mapping[str, Counter[Change]]) -> list[list[object]]:
    return [[key, *(c[x] for x in CHANGES)] for key, c in table.items()]


def _format(header: Sequence[object], rows: Sequence[Sequence[object]]) -> str:
    table = [list(header), *rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            str(c).rjust(w) if i else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in table
    )


def _line(d: Difference) -> str:
    e = d.event
    when = e.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    zone = f" in {e.zone}" if e.zone else ""
    detail = f": {d.detail}" if d.detail else ""
    return f"{d.change.value:8} {e.kind:18} {','.join(e.targets)}{zone} at {when}{detail}"


def text(
    names: Sequence[str],
    counts: Sequence[Counter[str]],
    differences: Sequence[Difference],
    unchanged: int,
    limit: int = 50,
) -> str:
    parts = ["events raised", _format(["kind", *names], raised_rows(counts))]
    for by in ("kind", "hour", "zone"):
        table = tally(differences, by)
        if table:
            parts += ["", f"difference per {by} ({names[0]} -> {names[1]})"]
            parts.append(_format([by, *(c.value for c in CHANGES)], change_rows(table)))
    parts += ["", f"{len(differences)} differences, {unchanged} episodes unchanged"]
    parts += [_line(d) for d in differences[:limit]]
    if len(differences) > limit:
        parts.append(f"... {len(differences) - limit} more (see the report's changes.jsonl)")
    return "\n".join(parts) + "\n"


def _draw(differences: Sequence[Difference], names: Sequence[str]) -> Any:
    def draw(figure: Any) -> None:
        axes = figure.subplots(1, 2, width_ratios=(1, 1.4))
        for ax, by in zip(axes, ("kind", "hour"), strict=True):
            table = tally(differences, by)
            keys = list(table)
            xs = range(len(keys))  # positions, not the labels: hours would be parsed as dates
            bottom = [0] * len(keys)
            for change in CHANGES:
                values = [table[k][change] for k in keys]
                ax.bar(xs, values, bottom=bottom, label=change.value, color=COLOURS[change])
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
            ax.set_xticks(xs, keys, rotation=30, ha="right")
            ax.set_title(f"per {by}")
            ax.set_ylabel("episodes")
            ax.yaxis.get_major_locator().set_params(integer=True)
        axes[0].legend()
        figure.suptitle(f"{names[0]} -> {names[1]}")

    return draw


def write_report(
    directory: Path,
    names: Sequence[str],
    counts: Sequence[Counter[str]],
    differences: Sequence[Difference],
    unchanged: int,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    drawn = save_png(directory / "backtest.png", _draw(differences, names), (12.0, 5.0))
    sections = [
        ("Events raised", table_html(["kind", *names], raised_rows(counts))),
        ("Plot", image_html("backtest.png", drawn)),
    ]
    for by in ("kind", "hour", "zone"):
        rows = change_rows(tally(differences, by))
        sections.append((f"Difference per {by}", table_html([by, *CHANGES], rows)))
    listing = "\n".join(_line(d) for d in differences) or "none"
    sections.append((f"Differences ({unchanged} unchanged)", f"<pre>{listing}</pre>"))
    page = directory / "report.html"
    write_page(page, f"Backtest: {names[0]} -> {names[1]}", sections)
    return page
