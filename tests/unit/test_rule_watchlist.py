"""watchlist_sighting: any report from a listed vessel; one event per sighting."""

from __future__ import annotations

from datetime import timedelta

from detectors.watchlist import WatchEntry
from tests.detection import T0, Harness, obs, static

LISTED = (
    WatchEntry(id="w1", mmsi=265000060, reason="known smuggler", points=35),
    WatchEntry(id="w2", name="BLACK PEARL"),
)


def test_listed_mmsi_fires_once_per_sighting() -> None:
    h = Harness(watch=LISTED)
    h.feed([obs(265000060, T0 + timedelta(seconds=10 * i), 58.1, 11.2) for i in range(10)])
    (event,) = h.of_kind("watchlist_sighting")
    assert event.facts["watchlist_id"] == "w1"
    assert event.facts["matched_on"] == "mmsi"
    assert event.facts["reason"] == "known smuggler"


def test_listed_name_matches_once_identity_arrives() -> None:
    h = Harness(watch=LISTED)
    h.feed(
        [
            obs(265000061, T0, 58.1, 11.2),
            static(265000061, T0 + timedelta(seconds=5), name="Black Pearl@@"),
        ]
    )
    (event,) = h.of_kind("watchlist_sighting")
    assert event.facts["matched_on"] == "name"


def test_unlisted_vessel_raises_nothing() -> None:
    h = Harness(watch=LISTED)
    h.feed([obs(265000062, T0, 58.1, 11.2), static(265000062, T0, name="BLACK PEARL II")])
    assert h.of_kind("watchlist_sighting") == []


def test_quiet_ends_the_sighting_and_a_return_is_a_new_one() -> None:
    h = Harness(watch=LISTED)
    h.feed([obs(265000060, T0, 58.1, 11.2)])
    h.feed([obs(265000063, T0 + timedelta(seconds=30 * i), 58.0, 11.0) for i in range(1, 70)])
    h.feed([obs(265000060, T0 + timedelta(seconds=2100), 58.1, 11.2)])
    opened, closing, again = h.of_kind("watchlist_sighting")
    assert closing.id == opened.id
    assert closing.facts["closed_by"] == "quiet"
    assert again.id != opened.id
