"""The two inputs of an evaluation: truth labels and detected events, both JSON Lines.

Events are read in the layout `shorewatch replay` writes (app/replay/output.py); labels are
written by whoever knows the truth (an analyst, or the simulator for its planted cases).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shorewatch.events import EventKind

KINDS = frozenset(kind.value for kind in EventKind)


class RecordError(ValueError):
    """A file that is not the JSONL it should be; the message names the file and line."""


class Label(BaseModel):
    """One true case: what should have been raised (`kind`), for whom, and when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(description="The rule / event kind that should fire, e.g. dark_target.")
    target: str = Field(min_length=1, description="A track key: ais:<mmsi>, radar:<sensor>-<n>.")
    start: datetime = Field(description="When the behaviour began (UTC).")
    end: datetime | None = Field(default=None, description="When it ended; none: an instant.")
    zone: str | None = Field(default=None, description="If given, the event's zone must match.")
    note: str = ""

    @field_validator("kind")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown kind {value!r} (known: {', '.join(sorted(KINDS))})")
        return value

    @property
    def until(self) -> datetime:
        return self.end or self.start


class EventRecord(BaseModel):
    """An event as `shorewatch replay` writes it; fields not needed here are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: str
    start: datetime
    end: datetime | None = None
    targets: tuple[str, ...]
    zone: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    id: str = ""

    @property
    def until(self) -> datetime:
        return self.end or self.start


def _read(path: Path, model: type[BaseModel]) -> Iterable[tuple[int, BaseModel]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordError(f"{path}: cannot read: {exc}") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            yield number, model.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise RecordError(f"{path}:{number}: {_short(exc)}") from exc


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(line)'}: {e['msg']}" for e in exc.errors()[:3]
        )
    return str(exc)


def read_labels(path: Path) -> list[Label]:
    return [record for _, record in _read(path, Label) if isinstance(record, Label)]


def read_events(path: Path) -> list[EventRecord]:
    return [r for _, r in _read(path, EventRecord) if isinstance(r, EventRecord)]


def label_lines(labels: Sequence[Label]) -> str:
    """Labels as JSONL, one per line in a fixed layout (for the simulator's truth files)."""
    return "".join(
        json.dumps(label.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False) + "\n"
        for label in labels
    )
