"""Replay results as JSON Lines: one object per event, in a fixed order, with a fixed layout.

An episode's event is published open and again when it closes; the file holds each event id
once, in its latest state, ordered by (start, id), with keys in a fixed order, facts sorted and
times in ISO 8601 UTC, so two runs on the same data give byte-identical files to diff.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from shorewatch.events import Event

STDOUT = "-"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def final_states(published: Iterable[Event]) -> list[Event]:
    """The latest state of each event id, ordered by (start, id)."""
    latest: dict[uuid.UUID, Event] = {}
    for event in published:
        latest[event.id] = event
    return sorted(latest.values(), key=lambda e: (e.start, str(e.id)))


def event_line(event: Event) -> str:
    record = {
        "kind": event.kind.value,
        "start": iso(event.start),
        "end": None if event.end is None else iso(event.end),
        "targets": list(event.targets),
        "lat": event.lat,
        "lon": event.lon,
        "facts": dict(sorted(event.facts.items())),
        "zone": event.zone,
        "id": str(event.id),
        "config_version": event.config_version,
        "evidence": list(event.evidence),
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_events(events: Iterable[Event], out: str) -> None:
    """Into `out` ('-' for stdout); a file is replaced whole, never left half written."""
    text = "".join(event_line(e) + "\n" for e in events)
    if out == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(out)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8", newline="\n")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
