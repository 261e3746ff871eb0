"""The detector's live picture (detectors/picture.py): fused tracks become one target, changes
are batched per flush, and targets leave the picture when they expire or their sensor loses
them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from detectors.picture import PictureFeed
from detectors.watchlist import WatchEntry
from shorewatch.events import PictureTrack, PictureUpdate, Source, TrackEnd
from tests.detection import T0, Harness, Input, run_straight, static

LAT, LON = 58.25, 11.40
MMSI = 265000001
ECHO = "radar:radar-head-7"
SITE = """
version: "test-picture"
detectors: {state_ttl_s: 600}
"""


def rig(*watch: WatchEntry) -> tuple[Harness, PictureFeed, list[PictureUpdate]]:
    harness = Harness(SITE, watch=watch)
    sent: list[PictureUpdate] = []
    feed = PictureFeed(harness.worker.fusion, harness.worker.watchlist, sent.append)
    harness.worker.listener = feed
    return harness, feed, sent


def targets(updates: Sequence[PictureUpdate]) -> dict[str, PictureTrack]:
    return {t.key: t for u in updates for t in u.tracks}


def removed(updates: Sequence[PictureUpdate]) -> set[str]:
    return {key for u in updates for key in u.removed}


def vessel(count: int = 6, start: int = 0) -> list[Input]:
    at = T0 + timedelta(seconds=start)
    return list(run_straight(MMSI, at, LAT, LON, sog=12, cog=90, every_s=3, count=count))


def echo(count: int = 6, start: int = 0, *, lat: float = LAT) -> list[Input]:
    at = T0 + timedelta(seconds=start)
    return list(
        run_straight(
            "radar-head-7",
            at,
            lat,
            LON,
            sog=12,
            cog=90,
            every_s=3,
            count=count,
            source=Source.RADAR,
            sensor="radar-head",
        )
    )


IDENTITY = static(MMSI, T0, name="NORDIC STAR", callsign="SJKL", ship_type=70, length_m=90)


def test_an_ais_vessel_and_its_radar_echo_are_one_target() -> None:
    harness, feed, _ = rig()
    harness.feed([IDENTITY, *vessel(), *echo()])
    picture = targets(feed.flush())
    assert set(picture) == {f"ais:{MMSI}"}, "the echo is drawn inside the vessel"
    target = picture[f"ais:{MMSI}"]
    assert target.associated == (ECHO,)
    assert target.sources == (Source.AIS, Source.RADAR)
    assert (target.name, target.callsign, target.mmsi) == ("NORDIC STAR", "SJKL", MMSI)
    assert (target.ship_type, target.ship_type_text, target.length_m) == (70, "Cargo", 90)
    assert (target.sog_kn, target.cog_deg) == (12, 90)
    assert target.last_seen == T0 + timedelta(seconds=15)
    assert not target.watchlisted
    assert feed.flush() == [], "nothing changed since"


def test_an_unfused_echo_is_its_own_target_and_each_target_comes_once_per_flush() -> None:
    harness, feed, _ = rig()
    far = LAT + 0.05  # 5.5 km north of the vessel: no association
    harness.feed([*vessel(count=10), *echo(count=10, lat=far)])
    updates = feed.flush()
    tracks = [t.key for u in updates for t in u.tracks]
    assert sorted(tracks) == [f"ais:{MMSI}", ECHO], "ten reports each, one entry each"
    dark = targets(updates)[ECHO]
    assert (dark.sources, dark.associated, dark.mmsi) == ((Source.RADAR,), (), None)
    assert updates[0].tile == "58N011E"


def test_a_lost_echo_leaves_and_an_expired_vessel_is_removed() -> None:
    harness, feed, _ = rig()
    far = LAT + 0.05
    harness.feed([*vessel(), *echo(lat=far)])
    feed.flush()
    lost = TrackEnd(
        source=Source.RADAR,
        sensor_id="radar-head",
        target_ref="radar-head-7",
        time=T0 + timedelta(seconds=16),
    )
    harness.feed([lost])
    assert removed(feed.flush()) == {ECHO}
    # The vessel falls silent; a later report of another vessel moves event time past the TTL.
    later = run_straight(
        265000009, T0 + timedelta(seconds=700), LAT, LON, sog=5, cog=0, every_s=3, count=2
    )
    harness.feed(list(later))
    updates = feed.flush()
    assert f"ais:{MMSI}" in removed(updates)
    assert set(targets(updates)) == {"ais:265000009"}


def test_a_watch_listed_vessel_is_marked() -> None:
    harness, feed, _ = rig(WatchEntry(id="w1", name="Nordic Star", reason="tip", points=30))
    harness.feed([IDENTITY, *vessel(count=2)])
    assert targets(feed.flush())[f"ais:{MMSI}"].watchlisted


def test_an_echo_that_breaks_away_becomes_its_own_target_and_leaves_the_vessel() -> None:
    harness, feed, _ = rig()
    harness.feed([*vessel(), *echo()])
    assert targets(feed.flush())[f"ais:{MMSI}"].associated == (ECHO,)
    # The echo turns north and speeds away (out of the 300 m gate, but no jump: a jump of
    # over 1 km would end the track and start a new generation): the association breaks
    # after `break_misses`.
    away = run_straight(
        "radar-head-7",
        T0 + timedelta(seconds=18),
        LAT + 0.003,
        LON,
        sog=30,
        cog=0,
        every_s=3,
        count=4,
        source=Source.RADAR,
        sensor="radar-head",
    )
    harness.feed(list(away))
    picture = targets(feed.flush())
    assert picture[ECHO].associated == ()
    assert picture[ECHO].sources == (Source.RADAR,)
    assert picture[f"ais:{MMSI}"].associated == (), "the vessel no longer carries the echo"
