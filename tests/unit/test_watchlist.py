"""Watch-list matching: any one identifier is enough, and text identifiers match the way AIS
sends them (upper case, '@'-padded, irregular spacing)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from detectors.watchlist import WatchEntry, WatchList
from detectors.watchlist_sync import seed_entries
from shorewatch.config.site import WatchlistEntryConfig
from shorewatch.events import VesselStatic

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def static(
    mmsi: int = 111111111,
    *,
    imo: int | None = None,
    name: str | None = None,
    callsign: str | None = None,
) -> VesselStatic:
    return VesselStatic(sensor_id="rx", time=T0, mmsi=mmsi, imo=imo, name=name, callsign=callsign)


WATCH = WatchList(
    [
        WatchEntry(id="by-mmsi", mmsi=265123456),
        WatchEntry(id="by-imo", imo=9074729),
        WatchEntry(id="by-name", name="Silver  Shadow"),
        WatchEntry(id="by-callsign", callsign="sabc 1"),
    ]
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SILVER SHADOW", "by-name"),
        ("silver shadow", "by-name"),
        ("SILVER SHADOW@@@@@@@@", "by-name"),
        ("  SILVER   SHADOW  ", "by-name"),
        ("SILVER@SHADOW", "by-name"),
        ("SILVER\tSHADOW", "by-name"),
        ("SILVER SHADOWS", None),
        ("SILVERSHADOW", None),
        ("@@@@@@@@@@", None),
        ("", None),
        (None, None),
    ],
)
def test_name_matches_ignoring_case_spacing_and_padding(
    name: str | None, expected: str | None
) -> None:
    hit = WATCH.match(999999999, static(999999999, name=name))
    assert (hit[0].id if hit else None) == expected
    if hit:
        assert hit[1] == "name"


@pytest.mark.parametrize(
    ("callsign", "expected"),
    [("SABC 1", "by-callsign"), ("sabc1", None), ("SABC 1@@", "by-callsign"), ("SABC", None)],
)
def test_callsign_matches_normalised(callsign: str, expected: str | None) -> None:
    hit = WATCH.match(999999999, static(999999999, callsign=callsign))
    assert (hit[0].id if hit else None) == expected


def test_mmsi_matches_without_static_data() -> None:
    hit = WATCH.match(265123456, None)
    assert hit is not None
    assert (hit[0].id, hit[1]) == ("by-mmsi", "mmsi")
    assert WATCH.match(265123457, None) is None
    assert WATCH.match(None, None) is None


def test_imo_matches_from_static_report() -> None:
    hit = WATCH.match(999999999, static(999999999, imo=9074729))
    assert hit is not None
    assert (hit[0].id, hit[1]) == ("by-imo", "imo")
    assert WATCH.match(999999999, static(999999999, imo=9074728)) is None


def test_mmsi_wins_over_other_identifiers() -> None:
    hit = WATCH.match(265123456, static(265123456, imo=9074729, name="SILVER SHADOW"))
    assert hit is not None
    assert hit[1] == "mmsi"


def test_replace_swaps_the_whole_list() -> None:
    watch = WatchList([WatchEntry(id="a", mmsi=1)])
    watch.replace([WatchEntry(id="b", mmsi=2)])
    assert watch.match(1, None) is None
    hit = watch.match(2, None)
    assert hit is not None
    assert hit[0].id == "b"


def test_seed_entries_keep_config_values_and_stable_ids() -> None:
    configs = [
        WatchlistEntryConfig(mmsi=265123456, reason="tip-off", points=50),
        WatchlistEntryConfig(name="night hawk"),
    ]
    seeds = seed_entries(configs)
    assert [s.id for s in seeds] == ["config:1", "config:2"]
    assert seeds[0] == WatchEntry(id="config:1", mmsi=265123456, reason="tip-off", points=50)
    hit = WatchList(seeds).match(1, static(1, name="NIGHT HAWK@@@"))
    assert hit is not None
    assert hit[0].id == "config:2"
