"""Track fusion: gated association with hysteresis, stable keys, bounded state."""

from __future__ import annotations

from datetime import timedelta

from detectors.fusion import Fusion
from shorewatch.config.thresholds import FusionConfig
from shorewatch.events import Observation, Source, TrackEnd
from tests.detection import T0, obs, offset, run_straight

LAT, LON = 58.10, 11.20


def fusion(**overrides: float) -> Fusion:
    return Fusion(FusionConfig.model_validate(overrides), ttl=timedelta(hours=1), max_tracks=1000)


def interleave(*streams: list[Observation]) -> list[Observation]:
    return sorted((o for s in streams for o in s), key=lambda o: o.time)


def echo(ref: str, *, cog: float, count: int) -> list[Observation]:
    """A radar track on the AIS vessels' common path (12 kn from LAT, LON), 3 s behind them."""
    return run_straight(
        ref,
        T0 + timedelta(seconds=3),
        LAT,
        LON,
        sog=12,
        cog=cog,
        every_s=10,
        count=count,
        source=Source.RADAR,
        sensor="r",
    )


def radar_associations(f: Fusion, *streams: list[Observation]) -> list[str | None]:
    """Feed every stream in time order; the association each radar report left."""
    out = []
    for o in interleave(*streams):
        track = f.observe(o)
        if o.source is Source.RADAR:
            out.append(track.associated)
    return out


def test_radar_track_associates_after_confirm_hits_and_stays() -> None:
    f = fusion()
    ais = run_straight(265000070, T0, LAT, LON, sog=12, cog=30, every_s=10, count=20)
    radar = echo("r-1", cog=30, count=20)
    states = radar_associations(f, ais, radar)
    assert states[:2] == [None, None]  # confirm_hits = 3
    assert set(states[2:]) == {"ais:265000070"}
    assert f.get("ais:265000070").associated == "radar:r-1"  # type: ignore[union-attr]


def test_one_bad_fix_does_not_break_an_association() -> None:
    f = fusion()
    ais = run_straight(265000071, T0, LAT, LON, sog=12, cog=30, every_s=10, count=20)
    radar = echo("r-2", cog=30, count=20)
    la, lo = offset(radar[10].lat, radar[10].lon, 900, 0)
    radar[10] = radar[10].model_copy(update={"lat": la, "lon": lo})  # one clutter-displaced fix
    associations = radar_associations(f, ais, radar)
    assert associations[10] == "ais:265000071", "hysteresis: one miss is not a break"
    assert set(associations[3:]) == {"ais:265000071"}


def test_diverging_tracks_dissociate_after_break_misses() -> None:
    f = fusion()
    ais = run_straight(265000072, T0, LAT, LON, sog=12, cog=0, every_s=10, count=30)
    radar = echo("r-3", cog=0, count=10)
    off = radar[-1]
    radar += run_straight(
        "r-3",
        off.time + timedelta(seconds=10),
        off.lat,
        off.lon,
        sog=25,
        cog=90,
        every_s=10,
        count=10,
        source=Source.RADAR,
        sensor="r",
    )
    associations = radar_associations(f, ais, radar)
    assert associations[9] == "ais:265000072"
    assert associations[-1] is None
    assert f.get("radar:r-3").marks["unassociated"] > T0  # type: ignore[union-attr]


def test_speed_gate_keeps_a_fast_boat_apart_from_a_slow_ship_alongside() -> None:
    f = fusion()
    ship = run_straight(265000073, T0, LAT, LON, sog=5, cog=0, every_s=10, count=10)
    boat = [
        o.model_copy(
            update={"source": Source.RADAR, "target_ref": "r-4", "sensor_id": "r", "sog_kn": 30.0}
        )
        for o in ship
    ]
    associations = radar_associations(f, ship, boat)
    assert set(associations) == {None}


def test_lost_target_ends_its_track_and_association() -> None:
    f = fusion()
    ais = run_straight(265000074, T0, LAT, LON, sog=12, cog=30, every_s=10, count=5)
    radar = run_straight(
        "r-5", T0, LAT, LON, sog=12, cog=30, every_s=10, count=5, source=Source.RADAR, sensor="r"
    )
    for o in interleave(ais, radar):
        f.observe(o)
    ended = f.end(
        TrackEnd(
            source=Source.RADAR, sensor_id="r", target_ref="r-5", time=T0 + timedelta(seconds=60)
        )
    )
    assert ended is not None
    assert ended.ended
    assert f.get("ais:265000074").associated is None  # type: ignore[union-attr]


def test_state_is_bounded_by_ttl_and_by_count() -> None:
    f = Fusion(FusionConfig(), ttl=timedelta(minutes=10), max_tracks=100)
    for i in range(500):
        f.observe(obs(200000000 + i, T0 + timedelta(seconds=i), LAT + i * 1e-4, LON))
        assert len(f) <= 100  # the cap holds on insert, not only when a sweep expires
    assert [(t.key, why) for t, why in f.dropped[:1]] == [("ais:200000000", "evicted")]
    assert len(f.dropped) == 400
    assert f.expire(T0 + timedelta(seconds=500)) == []
    assert len(f) == 100
    gone = f.expire(T0 + timedelta(hours=1))
    assert len(gone) == 100
    assert len(f) == 0
    assert f.neighbours.__self__._grid == {}  # type: ignore[attr-defined]
