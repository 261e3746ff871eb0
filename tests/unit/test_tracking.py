"""ByteTrack (ultralytics) with our score confirmation: ids, confirmation, ends."""

from __future__ import annotations

from detectors.tracking import ByteTracker, TrackUpdate
from detectors.vision import Detection
from shorewatch.config.vision import ClassRule, TrackerConfig

RULES = {"boat": ClassRule(min_score=0.15, confirm_score=0.35)}
FPS = 5.0


def tracker(config: TrackerConfig | None = None) -> ByteTracker:
    return ByteTracker(
        config or TrackerConfig(),
        RULES,
        fps=FPS,
        confirm_frames=5,
        min_hits=3,
        frame_shape=(240, 320),
    )


def boat(frame: int, score: float, x0: float = 10, speed: float = 2) -> Detection:
    x = x0 + speed * frame
    return Detection(x, 60, x + 18, 70, score, "boat")


def test_a_boat_keeps_one_id_and_is_confirmed_after_min_hits() -> None:
    t = tracker()
    updates = [t.update([boat(i, 0.4)]) for i in range(10)]
    ids = {o.track_id for u in updates for o in u.objects}
    assert len(ids) == 1
    confirmed_at = [i for i, u in enumerate(updates) if u.objects and u.objects[0].newly_confirmed]
    assert confirmed_at == [2]  # the third sighting, never again
    assert all(u.objects[0].confirmed for u in updates[2:])


def test_weak_frames_between_strong_ones_keep_the_id() -> None:
    """Scores dip under the first-round threshold (spray): the second round keeps the track."""
    t = tracker()
    scores = [0.4, 0.45, 0.18, 0.16, 0.5, 0.2, 0.42, 0.4]
    ids = {o.track_id for i, s in enumerate(scores) for o in t.update([boat(i, s)]).objects}
    assert len(ids) == 1


def test_a_single_glint_is_never_confirmed() -> None:
    t = tracker()
    first = t.update([boat(0, 0.9)])
    assert not first.objects[0].confirmed
    for _ in range(3):
        assert t.update([]).objects == []


def test_a_track_whose_median_stays_low_is_not_confirmed() -> None:
    t = tracker()
    scores = [0.3, 0.6, 0.3, 0.3, 0.6, 0.3, 0.3]  # median 0.3 < 0.35 despite two highs
    results = [t.update([boat(i, s)]) for i, s in enumerate(scores)]
    assert not any(o.confirmed for u in results for o in u.objects)


def test_a_track_ends_after_lost_after_s() -> None:
    t = tracker(TrackerConfig(lost_after_s=2.0))  # 10 frames at 5 fps
    for i in range(5):
        t.update([boat(i, 0.4)])
    ends: list[TrackUpdate] = []
    for _ in range(15):
        update = t.update([])
        if update.ended:
            ends.append(update)
    assert len(ends) == 1
    assert len(ends[0].ended) == 1
    assert t.active_boxes() == []


def test_two_boats_apart_get_two_ids() -> None:
    t = tracker()
    for i in range(4):
        update = t.update([boat(i, 0.5), boat(i, 0.5, x0=200, speed=-2)])
    assert len({o.track_id for o in update.objects}) == 2
