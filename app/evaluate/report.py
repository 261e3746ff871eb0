"""An evaluation as text (the terminal), and as an HTML page with its plot."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.evaluate.figures import image_html, save_png, table_html, write_page
from app.evaluate.matching import RuleScore

HEADER = ("rule", "labels", "events", "hits", "misses", "false alarms", "precision", "recall", "F1")


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rows(scores: Mapping[str, RuleScore]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for s in scores.values():
        labels = len(s.hits) + len(s.misses)
        events = len(s.hits) + len(s.false_alarms)
        out.append(
            (
                s.rule,
                labels,
                events,
                len(s.hits),
                len(s.misses),
                len(s.false_alarms),
                _ratio(s.precision),
                _ratio(s.recall),
                _ratio(s.f1),
            )
        )
    return out


def listing(scores: Mapping[str, RuleScore]) -> list[str]:
    """Every miss and false alarm, one line each, so an engineer can look each one up."""
    lines = []
    for s in scores.values():
        for label in s.misses:
            zone = f" in {label.zone}" if label.zone else ""
            note = f" ({label.note})" if label.note else ""
            lines.append(
                f"miss         {s.rule:18} {label.target}{zone} at {_iso(label.start)}{note}"
            )
        for event in s.false_alarms:
            zone = f" in {event.zone}" if event.zone else ""
            lines.append(
                f"false alarm  {s.rule:18} {','.join(event.targets)}{zone} at {_iso(event.start)}"
            )
    return lines


def text(scores: Mapping[str, RuleScore]) -> str:
    table = [HEADER, *rows(scores)]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(HEADER))]
    out = [
        "  ".join(
            str(c).rjust(w) if i else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in table
    ]
    found = listing(scores)
    return "\n".join(out + (["", *found] if found else [])) + "\n"


def _draw(scores: Mapping[str, RuleScore]) -> Any:
    def draw(figure: Any) -> None:
        bars, timeline = figure.subplots(2, 1, height_ratios=(1, 1.2))
        names = list(scores)
        width = 0.27
        for k, (metric, colour) in enumerate(
            (("precision", "#4477aa"), ("recall", "#228833"), ("f1", "#ccbb44"))
        ):
            values = [getattr(scores[n], metric) or 0.0 for n in names]
            xs = [i + (k - 1) * width for i in range(len(names))]
            bars.bar(xs, values, width, label=metric, color=colour)
        bars.set_xticks(range(len(names)), names, rotation=20, ha="right")
        bars.set_ylim(0, 1.05)
        bars.set_title("per rule")
        bars.legend(loc="lower right")
        seen: set[str] = set()
        for row, name in enumerate(names):
            s = scores[name]
            marks = (
                ([h.event.start for h in s.hits], "o", "#228833", "hit"),
                ([x.start for x in s.misses], "x", "#cc3311", "miss"),
                ([e.start for e in s.false_alarms], "^", "#ee7733", "false alarm"),
            )
            for times, marker, colour, what in marks:
                if times:
                    label = None if what in seen else what
                    seen.add(what)
                    y = [row] * len(times)
                    timeline.scatter(times, y, marker=marker, color=colour, label=label)
        timeline.set_yticks(range(len(names)), names)
        timeline.set_title("hits, misses and false alarms in time (UTC)")
        if seen:
            timeline.legend(loc="upper right")

    return draw


def write_report(directory: Path, scores: Mapping[str, RuleScore], title: str) -> Path:
    """`report.html` and `evaluate.png` in `directory`; returns the page's path."""
    directory.mkdir(parents=True, exist_ok=True)
    drawn = save_png(directory / "evaluate.png", _draw(scores))
    found = listing(scores)
    sections = [
        ("Scores", table_html(HEADER, rows(scores))),
        ("Plot", image_html("evaluate.png", drawn)),
        ("Misses and false alarms", "<pre>" + ("\n".join(found) or "none") + "</pre>"),
    ]
    page = directory / "report.html"
    write_page(page, title, sections)
    return page
