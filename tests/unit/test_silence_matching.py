"""Which alerts a silence set in some areas may mute: only those seen nowhere else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shorewatch.events import EventKind
from shorewatch.store.silences_repo import Silence

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def silence(areas: tuple[str, ...] | None) -> Silence:
    return Silence(
        id=uuid.uuid4(),
        kind=EventKind.DARK_TARGET,
        target=None,
        zone=None,
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=1),
        reason="reef clutter",
        areas=areas,
        created_by="dispatcher-a",
        created_at=NOW,
    )


@pytest.mark.parametrize(
    ("areas", "seen_in", "muted"),
    [
        (("town-a",), {"town-a"}, True),
        (("town-a",), {"town-a", "town-b"}, False),  # town B's users see it too
        (("town-a", "town-b"), {"town-a", "town-b"}, True),
        (("town-a",), set(), False),  # outside every area: not a town's to mute
        (None, set(), True),  # a national silence mutes anywhere
        (None, {"town-b"}, True),
    ],
)
def test_a_silence_mutes_only_alerts_wholly_in_its_areas(
    areas: tuple[str, ...] | None, seen_in: set[str], muted: bool
) -> None:
    matched = silence(areas).matches(EventKind.DARK_TARGET, "radar:1", None, frozenset(seen_in))
    assert matched is muted
