"""JSON radar tracks: both position forms, target status, and every bad report counted."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from ingest.nmea_radar import RadarSite
from ingest.radar_json import JsonOutcome, RadarJsonDecoder
from ingest.radar_receiver import RadarJsonReceiver
from shorewatch.events import Observation, Source, TrackEnd
from shorewatch.metrics import Metrics

T0 = datetime(2026, 11, 20, 12, 0, 5, tzinfo=UTC)
SITE = RadarSite(lat=58.0, lon=11.0)
# 1 nm due east of SITE: 1852 / (111,195 m * cos 58°) = 0.031430° of longitude.
EAST_1NM = (58.0, 11.031430)
NM_DEG_LAT = 1852.0 / (6_371_008.8 * math.pi / 180.0)


def report(**fields: object) -> bytes:
    base: dict[str, object] = {"track": "12", "time": "2026-11-20T12:00:05Z", "status": "T"}
    return json.dumps({**base, **fields}).encode()


def decode(
    payload: bytes | str, site: RadarSite | None = SITE
) -> tuple[RadarJsonDecoder, tuple[Observation | TrackEnd, ...]]:
    decoder = RadarJsonDecoder("rj", site=site)
    return decoder, decoder.feed(payload)


def observe(payload: bytes, site: RadarSite | None = SITE) -> Observation:
    _, (obs,) = decode(payload, site)
    assert isinstance(obs, Observation)
    return obs


def test_lat_lon_report_becomes_an_observation() -> None:
    decoder, (obs,) = decode(report(lat=58.25, lon=11.42, sog_kn=31.5, cog_deg=270.0, label="RIB"))
    assert obs == Observation(
        source=Source.RADAR,
        sensor_id="rj",
        target_ref="rj-12",
        time=T0,
        lat=58.25,
        lon=11.42,
        sog_kn=31.5,
        cog_deg=270.0,
        label="RIB",
    )
    assert dict(decoder.stats) == {"target": 1}


def test_a_reported_size_is_kept() -> None:
    """Radars that measure their echoes' extent give it as `length_m` (issue 13)."""
    assert observe(report(lat=58.25, lon=11.42, length_m=38.5)).length_m == 38.5
    _, found = decode(report(lat=58.25, lon=11.42, length_m=-1))
    assert found == ()


def test_numeric_track_and_default_status() -> None:
    payload = json.dumps({"track": 7, "time": "2026-11-20T13:00:05+01:00", "lat": 58, "lon": 11})
    obs = observe(payload.encode())
    assert (obs.target_ref, obs.time) == ("rj-7", T0)
    assert (obs.sog_kn, obs.cog_deg, obs.label) == (None, None, None)


def test_lost_ends_the_track_and_query_is_not_reported() -> None:
    decoder, (end,) = decode(report(status="L"))
    assert end == TrackEnd(source=Source.RADAR, sensor_id="rj", target_ref="rj-12", time=T0)
    assert decoder.feed(report(status="Q")) == ()
    # A lost or acquiring report may still carry its last position; it is not an observation.
    assert decoder.feed(report(status="Q", lat=58.1, lon=11.1)) == ()
    assert dict(decoder.stats) == {"lost": 1, "query": 2}


def test_true_range_and_bearing_from_the_site() -> None:
    east = observe(report(range_m=1852.0, bearing_deg=90.0))
    assert (east.lat, east.lon) == pytest.approx(EAST_1NM, abs=1e-5)
    north = observe(report(range_m=1852.0, bearing_deg=0.0, bearing_ref="true"))
    assert (north.lat, north.lon) == pytest.approx((58.0 + NM_DEG_LAT, 11.0), abs=1e-6)


def test_relative_bearing_turns_with_the_site_heading() -> None:
    site = RadarSite(lat=58.0, lon=11.0, heading_deg=90.0)
    obs = observe(report(range_m=1852.0, bearing_deg=0.0, bearing_ref="relative"), site)
    assert (obs.lat, obs.lon) == pytest.approx(EAST_1NM, abs=1e-5)


@pytest.mark.parametrize(
    ("site", "fields"),
    [
        (None, {"range_m": 500.0, "bearing_deg": 10.0}),  # no site to measure from
        (SITE, {"range_m": 500.0, "bearing_deg": 10.0, "bearing_ref": "relative"}),  # no heading
    ],
)
def test_range_bearing_that_cannot_be_placed(
    site: RadarSite | None, fields: dict[str, object]
) -> None:
    decoder, out = decode(report(**fields), site)
    assert out == ()
    assert dict(decoder.stats) == {"no_position": 1}


def test_an_array_is_one_report_per_track_each_accounted() -> None:
    payload = json.dumps(
        [
            {"track": "1", "time": "2026-11-20T12:00:05Z", "lat": 58.2, "lon": 11.4},
            {"track": "2", "time": "2026-11-20T12:00:05Z", "status": "L"},
            {"track": "3", "time": "2026-11-20T12:00:05Z"},  # tracking without a position
            {"track": "4", "time": "2026-11-20T12:00:05Z", "status": "Q"},
        ]
    )
    decoder, out = decode(payload)
    assert [type(m).__name__ for m in out] == ["Observation", "TrackEnd"]
    assert dict(decoder.stats) == {"target": 1, "lost": 1, "schema": 1, "query": 1}


@pytest.mark.parametrize(
    "payload",
    [
        b'{"track": "1", "time": ',
        b"\xff\xfe not utf-8",
        b"",
        b"NaN NaN",
        b"[" * 5000 + b"]" * 5000,  # nesting deeper than the parser recurses
    ],
)
def test_invalid_json_is_counted(payload: bytes) -> None:
    decoder, out = decode(payload)
    assert out == ()
    assert dict(decoder.stats) == {"invalid_json": 1}


@pytest.mark.parametrize(
    "payload",
    [
        report(lat=58.2),  # lat without lon
        report(range_m=100.0),  # range without bearing
        report(lat=58.2, lon=11.4, range_m=100.0, bearing_deg=5.0),  # two positions
        report(),  # tracking, no position
        report(lat=91.0, lon=11.4),
        report(lat=float("nan"), lon=11.4),
        report(lat=58.2, lon=11.4, sog_kn=-1.0),
        report(lat=58.2, lon=11.4, cog_deg=360.0),
        report(range_m=1e9, bearing_deg=5.0),
        report(lat=58.2, lon=11.4, status="X"),
        report(lat=58.2, lon=11.4, bearing_ref="magnetic"),
        report(lat=58.2, lon=11.4, time="2026-11-20T12:00:05"),  # no time zone
        report(lat=58.2, lon=11.4, time="yesterday"),
        report(lat=58.2, lon=11.4, track=""),
        report(lat=58.2, lon=11.4, colour="red"),  # unknown key
        json.dumps({"time": "2026-11-20T12:00:05Z", "lat": 58.2, "lon": 11.4}).encode(),
        b'"just a string"',
        b"42",
        b"[]",
    ],
)
def test_schema_problems_are_counted_never_raised(payload: bytes) -> None:
    decoder, out = decode(payload)
    assert out == ()
    assert dict(decoder.stats) == {"schema": 1}


def test_track_ref_too_long_for_the_schema_is_a_schema_problem() -> None:
    decoder = RadarJsonDecoder("r" * 48, site=SITE)
    assert decoder.feed(report(track="t" * 32, lat=58.2, lon=11.4)) == ()
    assert dict(decoder.stats) == {"schema": 1}


def test_a_failing_outcome_callback_does_not_stop_the_feed() -> None:
    seen: list[tuple[JsonOutcome, str]] = []

    def broken(outcome: JsonOutcome, detail: str) -> None:
        seen.append((outcome, detail))
        raise RuntimeError("logger down")

    decoder = RadarJsonDecoder("rj", site=SITE, on_outcome=broken)
    assert decoder.feed(b"{") == ()
    assert len(decoder.feed(report(lat=58.2, lon=11.4))) == 1
    decoder.feed(report(lat=99.0, lon=11.4))
    assert [outcome for outcome, _ in seen] == [
        JsonOutcome.INVALID_JSON,
        JsonOutcome.TARGET,
        JsonOutcome.SCHEMA,
    ]
    assert seen[2][1].startswith("lat: ")  # the detail names the field


def _lines(metrics: Metrics, sensor: str) -> dict[str, float]:
    return {
        sample.labels["outcome"]: sample.value
        for metric in metrics.registry.collect()
        for sample in metric.samples
        if sample.name == "shorewatch_ingest_lines_total" and sample.labels["sensor"] == sensor
    }


def test_receiver_publishes_and_accounts_every_report() -> None:
    metrics = Metrics()
    published: list[Observation | TrackEnd] = []
    receiver = RadarJsonReceiver("rj", published.append, metrics, site=SITE, max_payload_bytes=512)
    assert receiver.feed(report(lat=58.2, lon=11.4)) == 1
    assert receiver.feed(report(status="L")) == 1
    assert receiver.feed(b"not json") == 0
    assert receiver.feed(report(lat=58.2)) == 0
    # Over the size limit: one refused document, however many lines it is laid out on.
    assert receiver.feed(json.dumps({"pad": "x" * 600}, indent=2).encode() + b"\n\n") == 0
    assert [m.type for m in published] == ["observation", "track_end"]
    expected = {
        "target": 1,
        "lost": 1,
        "invalid_json": 1,
        "schema": 1,
        "oversized_payload": 1,
    }
    assert receiver.stats == expected
    assert _lines(metrics, "rj") == expected
    for reason in ("invalid_json", "schema", "oversized_payload"):
        rejected = metrics.registry.get_sample_value(
            "shorewatch_ingest_rejected_total", {"source": "radar", "reason": reason}
        )
        assert rejected == 1
