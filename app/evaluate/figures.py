"""Plots and a one-page HTML report, shared by `evaluate` and `backtest`.

matplotlib is optional (the `dev` extra): without it the report is written without pictures
and says so, rather than failing the command an engineer ran for its numbers.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Draw = Callable[[Any], None]
"""Draws on a matplotlib Figure."""


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def save_png(path: Path, draw: Draw, size: tuple[float, float] = (10.0, 6.0)) -> bool:
    """Renders with the non-interactive Agg backend; False when matplotlib is missing."""
    if not have_matplotlib():
        return False
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, layout="constrained")
    draw(figure)
    figure.savefig(path, dpi=100)
    return True


def table_html(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_page(path: Path, title: str, sections: Sequence[tuple[str, str]]) -> None:
    """`sections`: (heading, HTML body) in order; images are referenced by file name."""
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:2px 8px;text-align:left}img{max-width:100%}"
    )
    parts = [f"<h2>{html.escape(h)}</h2>\n{body}" for h, body in sections]
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>\n"
        + "\n".join(parts)
        + "\n</body></html>\n",
        encoding="utf-8",
    )


def image_html(name: str, drawn: bool) -> str:
    if drawn:
        return f"<img src='{html.escape(name)}' alt='{html.escape(name)}'>"
    return "<p>(no plot: matplotlib is not installed; `pip install -e .[dev]`)</p>"
