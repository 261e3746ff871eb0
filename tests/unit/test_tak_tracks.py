"""Which picture targets a TAK output sends, in what order and colour."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import takproto

from alerts.tak_tracks import TrackMarkers
from shorewatch.config.tak import TakOutput
from shorewatch.events import (
    Alert,
    AlertState,
    EventKind,
    Level,
    PictureTrack,
    PictureUpdate,
    Source,
)

NOW = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)


def track(key: str, mmsi: int | None = None, associated: tuple[str, ...] = ()) -> PictureTrack:
    return PictureTrack(
        key=key,
        sources=(Source.AIS if mmsi else Source.RADAR,),
        mmsi=mmsi,
        associated=associated,
        lat=58.2,
        lon=11.3,
        last_seen=NOW,
    )


def alert(target: str, level: Level, state: AlertState = AlertState.NEW) -> Alert:
    return Alert(
        id=uuid.uuid5(uuid.NAMESPACE_URL, target + level.value),
        kind=EventKind.DARK_TARGET,
        target=target,
        level=level,
        score=50.0,
        state=state,
        lat=58.2,
        lon=11.3,
        event_ids=(uuid.uuid4(),),
        event_count=1,
        created_at=NOW,
        updated_at=NOW,
    )


def sent(markers: TrackMarkers, output: TakOutput) -> list[tuple[str, str]]:
    events = [takproto.parse_proto(bytearray(b)).cotEvent for b in markers.markers(output)]
    return [(e.uid.removeprefix("shorewatch.track."), e.type) for e in events]


def test_all_sends_alerted_first_then_neutral_ais_and_unknown_echoes_up_to_the_cap() -> None:
    markers = TrackMarkers(lambda: NOW)
    markers.on_picture(
        PictureUpdate(
            tile="t",
            time=NOW,
            tracks=(
                track("radar:a"),
                track("ais:1", mmsi=1),
                track("ais:2", mmsi=2, associated=("radar:b",)),  # a fused echo's alert
            ),
        )
    )
    markers.on_alert(alert("radar:b", Level.ORANGE))
    output = TakOutput(url="tcp://127.0.0.1:8087", tracks="all", tracks_max=2)
    first, second = sent(markers, output)
    assert first == ("ais:2", "a-s-S")  # the alerted one first, whatever the order of the rest
    assert second in (("ais:1", "a-n-S"), ("radar:a", "a-u-S"))
    everything = dict(sent(markers, output.model_copy(update={"tracks_max": 10})))
    assert everything == {"ais:2": "a-s-S", "ais:1": "a-n-S", "radar:a": "a-u-S"}


def test_alerted_keeps_to_the_output_floor_and_forgets_handled_alerts() -> None:
    markers = TrackMarkers(lambda: NOW)
    markers.on_picture(
        PictureUpdate(tile="t", time=NOW, tracks=(track("radar:a"), track("radar:b")))
    )
    markers.on_alert(alert("radar:a", Level.RED))
    markers.on_alert(alert("radar:b", Level.BLUE))
    output = TakOutput(url="tcp://127.0.0.1:8087", min_level=Level.YELLOW)
    assert sent(markers, output) == [("radar:a", "a-h-S")]
    markers.on_alert(alert("radar:a", Level.RED, AlertState.RESOLVED))
    assert sent(markers, output) == []
    assert markers.alerted_targets() == {"radar:b"}
    assert sent(markers, output.model_copy(update={"tracks": "none"})) == []
