"""`shorewatch backtest`'s difference: the same episode, added, removed, changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.backtest.diff import Change, compare, tally
from app.evaluate.records import EventRecord

T = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)


def ev(kind: str, target: str, at: float, **kw: object) -> EventRecord:
    return EventRecord.model_validate(
        {"kind": kind, "targets": (target,), "start": T + timedelta(seconds=at), **kw}
    )


def test_added_removed_changed_and_unchanged() -> None:
    current = [
        ev("high_speed", "radar:r-1", 10),
        ev("dark_target", "radar:r-1", 5, facts={"dark_for_s": 120}),
        ev("loitering", "ais:7", 0, zone="cove"),
        ev("spoofing", "ais:9", 40),
    ]
    proposed = [
        ev("dark_target", "radar:r-1", 5, facts={"dark_for_s": 300}),
        ev("loitering", "ais:7", 0, zone="cove"),
        ev("spoofing", "ais:9", 100),
        ev("ais_gap", "ais:3", 3700),
    ]
    differences, unchanged = compare(current, proposed)
    got = [(d.change, d.event.kind, d.detail) for d in differences]
    assert got == [
        (Change.CHANGED, "dark_target", "facts dark_for_s"),
        (Change.REMOVED, "high_speed", ""),
        (Change.CHANGED, "spoofing", "start +60 s"),
        (Change.ADDED, "ais_gap", ""),
    ]
    assert unchanged == 1
    per_hour = tally(differences, "hour")
    assert per_hour["2026-11-20 23:00"][Change.ADDED] == 1
    assert per_hour["2026-11-20 22:00"][Change.CHANGED] == 2
    assert tally(differences, "zone") == {"-": tally(differences, "kind")["dark_target"]
                                          + tally(differences, "kind")["high_speed"]
                                          + tally(differences, "kind")["spoofing"]
                                          + tally(differences, "kind")["ais_gap"]}  # fmt: skip


def test_far_apart_episodes_of_one_target_are_not_the_same() -> None:
    differences, unchanged = compare([ev("ais_gap", "ais:3", 0)], [ev("ais_gap", "ais:3", 3600)])
    assert [d.change for d in differences] == [Change.REMOVED, Change.ADDED]
    assert unchanged == 0
