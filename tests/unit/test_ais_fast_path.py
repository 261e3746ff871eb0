"""The AIS decoder's fast path gives exactly what full pydantic validation gives.

Reports built with `Frozen.from_checked` after hand checks must equal, field for field, in
`model_fields_set` and on the wire, the ones validation builds; a value the schema refuses must
still be refused, with the same count and message; the folded checksum must equal pyais'.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from pyais.util import compute_checksum
from pydantic import ValidationError

from ingest.ais_reports import ReportBuilder
from ingest.nmea_ais import AisDecoder, LineOutcome, Rejection
from ingest.nmea_checksum import computed_checksum, stated_and_computed, stated_checksum
from shorewatch.events import Observation, Source
from tests.captures import AIS_CAPTURES, read_lines
from tests.captures import same_reports as same

START = datetime(2026, 11, 1, tzinfo=UTC)
Call = tuple[LineOutcome | Rejection, int, str]


@pytest.mark.parametrize("gnss_clock", [False, True])
@pytest.mark.parametrize("capture", AIS_CAPTURES)
def test_every_capture_decodes_as_validated(
    capture: str, gnss_clock: bool, shared_data: Path
) -> None:
    lines = read_lines(shared_data / "ais" / capture)
    fast_calls: list[Call] = []
    checked_calls: list[Call] = []
    fast = AisDecoder(
        "cap", gnss_clock=gnss_clock, on_outcome=lambda o, n, d: fast_calls.append((o, n, d))
    )
    checked = AisDecoder(
        "cap",
        gnss_clock=gnss_clock,
        validate_reports=True,
        on_outcome=lambda o, n, d: checked_calls.append((o, n, d)),
    )
    reports = 0
    for i, line in enumerate(lines):
        at = START + timedelta(seconds=i // 50)  # payloads of 50 lines, one arrival time each
        result = fast.feed(line, at)
        same(result, checked.feed(line, at))
        reports += len(result)
    fast.flush()
    checked.flush()
    assert fast.stats == checked.stats
    assert sum(fast.stats.values()) == len(lines)
    assert fast_calls == checked_calls
    assert reports > 0


def test_checksums_equal_pyais_on_every_capture_line(shared_data: Path) -> None:
    checked = 0
    for capture in AIS_CAPTURES:
        for line in read_lines(shared_data / "ais" / capture):
            start = line.rfind(b"\\") + 1  # past a tag block
            sentence = line[start:].strip()
            if sentence[:1] in (b"!", b"$"):
                assert computed_checksum(sentence) == compute_checksum(sentence), sentence
                checked += 1
    assert checked > 50_000


def test_checksum_fold_equals_pyais_at_every_length() -> None:
    rnd = random.Random(12)
    for length in [*range(0, 600), *(rnd.randrange(600, 5000) for _ in range(50))]:
        body = bytes(rnd.choice(b"ABCdef,0123!$\\@~ ") for _ in range(length))
        for sentence in (b"!" + body + b"*00", b"$" + body, b"!" + body + b"*1*2"):
            assert computed_checksum(sentence) == compute_checksum(sentence), length


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (b"!AIVDM,1,1,,A,x,0*5C", 0x5C),
        (b"!AIVDM,1,1,,A,x,0*5c", 0x5C),
        (b"!AIVDM,1,1,,A,x,0*5", None),  # one digit
        (b"!AIVDM,1,1,,A,x,0*5G", None),  # not hex
        (b"!AIVDM,1,1,,A,x,0", None),  # no '*'
        (b"!AIVDM,1,1,,A,x,0*5C!AIVDM,1,1,,A,x,0*5C", None),  # two glued sentences
        (b"!AIVDM,1,1,,A,x*1,0*5C", None),  # a '*' before the checksum
        (b"!AIVDM,1,1,,A,x,0*5C ", None),
    ],
)
def test_stated_checksum(sentence: bytes, expected: int | None) -> None:
    assert stated_checksum(sentence) == expected


def position_fields(**changes: object) -> SimpleNamespace:
    values: dict[str, object] = {
        "mmsi": 219_000_001,
        "lat": 55.5,
        "lon": 12.25,
        "speed": 10.5,
        "course": 123.4,
        "heading": 120,
        "to_bow": 20,
        "to_stern": 10,
    }
    values.update(changes)
    return SimpleNamespace(**values)


def static_fields(**changes: object) -> SimpleNamespace:
    values: dict[str, object] = {
        "mmsi": 219_000_001,
        "imo": 9_123_456,
        "shipname": "NORDIC STAR@@@",
        "callsign": "OXAB2",
        "ship_type": 70,
        "to_bow": 100,
        "to_stern": 20,
        "to_port": 10,
        "to_starboard": 12,
    }
    values.update(changes)
    return SimpleNamespace(**values)


FAST = ReportBuilder("rx-1")
CHECKED = ReportBuilder("rx-1", validate=True)
OTHER_ZONE = datetime(2026, 11, 1, 12, tzinfo=timezone(timedelta(hours=2)))


@pytest.mark.parametrize("ais_id", [1, 18, 19, 27])
@pytest.mark.parametrize(
    "fields",
    [
        position_fields(),
        position_fields(speed=102.3, course=360.0, heading=511),  # "not available"
        position_fields(speed=0.0, course=0.0, heading=0, lat=-90.0, lon=180.0),
        position_fields(speed=None, course=None, heading=None),
        position_fields(to_bow=0, to_stern=0),
        position_fields(lat=91.0),  # no position
        position_fields(lon=math.nan),
    ],
)
def test_positions_equal_validated(ais_id: int, fields: SimpleNamespace) -> None:
    for when in (START, OTHER_ZONE):
        fast = FAST.position(ais_id, fields, when)
        checked = CHECKED.position(ais_id, fields, when)
        same(() if fast is None else (fast,), () if checked is None else (checked,))


@pytest.mark.parametrize(
    "fields",
    [
        static_fields(),
        static_fields(imo=0, shipname=None, callsign="@@@@@@@", ship_type=0, to_bow=0),
        static_fields(mmsi=999_999_999, to_port=63, to_starboard=63, to_bow=511, to_stern=511),
        static_fields(imo=12_345_678),  # not an IMO number: dropped, the rest kept
    ],
)
def test_statics_equal_validated(fields: SimpleNamespace) -> None:
    same((FAST.static(fields, START),), (CHECKED.static(fields, START),))


def refusal(build: ReportBuilder, make: str, fields: SimpleNamespace) -> str:
    if make == "position":
        with pytest.raises(ValidationError) as refused:
            build.position(19, fields, START)
    else:
        with pytest.raises(ValidationError) as refused:
            build.static(fields, START)
    return str(refused.value)


@pytest.mark.parametrize(
    ("make", "fields"),
    [
        ("position", position_fields(to_bow=511, to_stern=511)),  # 1022 m > 600
        ("position", position_fields(mmsi="")),  # empty reference
        ("position", position_fields(mmsi="9" * 65)),
        ("static", static_fields(mmsi=1_000_000_000)),  # 30 bits reach past 999,999,999
        ("static", static_fields(mmsi=-1)),
        ("static", static_fields(shipname="N" * 65)),
        ("static", static_fields(callsign="C" * 17)),
        ("static", static_fields(ship_type=256)),
        ("static", static_fields(to_port=100, to_starboard=100)),  # beam 200 > 126
        ("static", static_fields(to_bow=1000, to_stern=100)),  # length 1100 > 1023
    ],
)
def test_hostile_values_refused_as_validated(make: str, fields: SimpleNamespace) -> None:
    assert refusal(FAST, make, fields) == refusal(CHECKED, make, fields)


def test_from_checked_refuses_unknown_and_missing_fields() -> None:
    validated = Observation(
        source=Source.AIS, sensor_id="s", target_ref="1", time=START, lat=1.0, lon=2.0
    )
    good = validated.model_dump(exclude_unset=True)
    assert Observation.from_checked(good) == validated
    assert Observation.from_checked(good).model_fields_set == validated.model_fields_set
    with pytest.raises(TypeError):
        Observation.from_checked({**good, "speed": 1.0})
    with pytest.raises(TypeError):
        Observation.from_checked({k: v for k, v in good.items() if k != "lat"})


@pytest.mark.parametrize(
    "sentence",
    [
        b"!AIVDM,1,1,,A,17P@<J?P00blFWmjG@5a5?v62<10,0*27",
        b"!AIVDM,1,1,,A,17P@<J?P00blFWmjG@5a5?v62<10,0*28",
        b"!AIVDM,1,1,,A,x,0*5",
        b"!AIVDM,1,1,,A,x,0",
        b"!AIVDM,1,1,,A,x*1,0*5C",
        b"!*00",
    ],
)
def test_stated_and_computed_in_one_pass(sentence: bytes) -> None:
    stated = stated_checksum(sentence)
    expected = None if stated is None else (stated, computed_checksum(sentence))
    assert stated_and_computed(sentence) == expected
