"""Track identity (issue 15, defect 2): a radar target number the radar reuses after losing a
target starts a new track generation, with a new key, and inherits nothing from the old boat."""

from __future__ import annotations

from datetime import timedelta

import pytest

from detectors.camera_pipeline import run_epoch
from shorewatch.events import Observation, Source, TrackEnd
from tests.detection import T0, Harness, offset, run_straight

LAT, LON = 58.10, 11.20
OLD = "radar:site-12-7"


def old_boat() -> list[Observation]:
    """A slow dark radar target, number 7, reporting every 2 minutes for 82 minutes."""
    return run_straight(
        "site-12-7",
        T0,
        LAT,
        LON,
        sog=3,
        cog=90,
        every_s=120,
        count=42,
        source=Source.RADAR,
        sensor="site-12",
    )


def new_boat(start_after_s: float) -> list[Observation]:
    """A fast boat given the same number, 10 km north, reporting every 3 s."""
    la, lo = offset(LAT, LON, 10_000, 0)
    return run_straight(
        "site-12-7",
        T0 + timedelta(seconds=start_after_s),
        la,
        lo,
        sog=35,
        cog=180,
        every_s=3,
        count=60,
        source=Source.RADAR,
        sensor="site-12",
    )


def lost(at_s: float) -> TrackEnd:
    return TrackEnd(
        source=Source.RADAR,
        sensor_id="site-12",
        target_ref="site-12-7",
        time=T0 + timedelta(seconds=at_s),
    )


@pytest.mark.parametrize("declared_lost", [True, False], ids=["status-L", "silence"])
def test_reused_number_is_a_new_track_generation(declared_lost: bool) -> None:
    h = Harness()
    boat = old_boat()
    h.arrive(boat)
    end_s = (boat[-1].time - T0).total_seconds()
    if declared_lost:
        h.arrive([lost(end_s + 30)])
    old_dark = [e for e in h.of_kind("dark_target") if e.targets == (OLD,)]
    assert old_dark, "the old boat was dark"
    fresh = new_boat(end_s + 3600)
    first_two = h.arrive(fresh[:2])
    track = h.worker.fusion.get("radar:site-12-7~2")
    assert track is not None, "a new generation under a new key"
    assert len(track.fixes) == 2, "no fixes inherited"
    assert track.first_seen == fresh[0].time
    assert not [e for e in first_two if e.kind.value == "dark_target" and OLD not in e.targets]
    h.arrive(fresh[2:])
    dark = [e for e in h.of_kind("dark_target") if e.targets != (OLD,)]
    assert dark
    assert {e.targets for e in dark} == {("radar:site-12-7~2",)}
    assert float(dark[0].facts["dark_for_s"]) < 200
    old_open = {e.id for e in h.events if OLD in e.targets and e.end is None}
    old_closed = {e.id for e in h.events if OLD in e.targets and e.end is not None}
    assert old_open <= old_closed, "the old boat's episodes are closed, not carried over"
    assert not [e for e in h.events[len(boat) :] if OLD in e.targets and e.end is None]


def test_impossible_jump_starts_a_new_generation() -> None:
    """Same number 20 s later but 5 km away (486 kn): not the same boat."""
    h = Harness()
    h.arrive(old_boat()[:5])
    at = T0 + timedelta(seconds=4 * 120 + 20)
    la, lo = offset(LAT, LON, 5000, 0)
    h.arrive(
        run_straight(
            "site-12-7",
            at,
            la,
            lo,
            sog=30,
            cog=0,
            every_s=3,
            count=2,
            source=Source.RADAR,
            sensor="site-12",
        )
    )
    assert h.worker.fusion.get(OLD) is None
    assert len(h.worker.fusion.get("radar:site-12-7~2").fixes) == 2  # type: ignore[union-attr]


def test_a_steady_track_keeps_its_key() -> None:
    h = Harness()
    h.arrive(old_boat())
    assert h.worker.fusion.get(OLD) is not None
    assert h.worker.fusion.get("radar:site-12-7~2") is None


def test_camera_track_ids_carry_the_run_epoch() -> None:
    """ByteTrack numbers from 1 in every run: a restarted pipeline's track 1 is another key."""
    first, restarted = run_epoch(T0), run_epoch(T0 + timedelta(seconds=1))
    assert first != restarted
    assert first.isalnum()
    assert len(first) <= 7
