"""Position reports read from the payload bits equal pyais' decoding, and a sentence of any other
shape is left to pyais. (Every capture line: tests/unit/test_ais_fast_path.py.)"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from pyais.messages import MessageType1, MessageType18, NMEAMessage
from pyais.util import compute_checksum

from ingest.ais_bits import position_bits, single_line, static_bits
from ingest.nmea_ais import AisDecoder, LineOutcome, Rejection

ARMOUR = "".join(chr(v + 48 if v < 40 else v + 56) for v in range(64))
AT = datetime(2026, 11, 1, tzinfo=UTC)


def sentence(payload: str, *, seq: str = "", fill: str = "0", head: str = "!AIVDM,1,1") -> bytes:
    body = f"{head},{seq},B,{payload},{fill}"
    return f"{body}*{compute_checksum(body):02X}".encode()


def random_payload(rng: random.Random, ais_id: int, chars: int = 28) -> str:
    rest = "".join(rng.choice(ARMOUR) for _ in range(chars - 1))
    return ARMOUR[ais_id] + rest


@pytest.mark.parametrize("ais_id", [1, 2, 3, 18])
def test_bits_equal_pyais_on_random_payloads(ais_id: int) -> None:
    rng = random.Random(ais_id)
    for _ in range(3000):
        text = sentence(random_payload(rng, ais_id))
        bits = position_bits(text)
        fields = NMEAMessage(text).decode()
        assert isinstance(fields, MessageType1 | MessageType18)
        assert bits is not None
        assert (bits.ais_id, bits.mmsi, bits.heading) == (ais_id, fields.mmsi, fields.heading)
        for name in ("lat", "lon", "speed", "course"):
            value, expected = getattr(bits, name), getattr(fields, name)
            assert type(value) is type(expected), name
            assert value == expected, name


def test_static_bits_equal_pyais_on_random_payloads() -> None:
    """Types 5 and 24 of every length and fill around the real ones (type 5 in one sentence of
    71 characters, type 24 part A in 27): the fields read equal pyais' wherever the payload
    holds them all; a payload that does not is left to the full path."""
    rng = random.Random(24)
    kinds = {"VoyageStatic": 0, "StaticPartA": 0, "StaticPartB": 0, "StaticPartBAuxiliary": 0}
    left = 0
    for i in range(8000):
        ais_id = rng.choice([5, 24])
        chars = (
            rng.choice([71, 71, 45, 28, 28, 27, 22, 7])
            if ais_id == 5
            else rng.choice([28, 28, 27, 27, 26, 22, 7])
        )
        fill = rng.choice(["0", "2", "4"])
        payload = list(random_payload(rng, ais_id, chars))
        if i % 4 == 0:  # an auxiliary craft's MMSI (98xxxxxxx), bits 8-37
            bits = "".join(f"{ARMOUR.index(c):06b}" for c in payload)
            bits = bits[:8] + f"{rng.randrange(980_000_000, 990_000_000):030b}" + bits[38:]
            payload = [ARMOUR[int(bits[k : k + 6], 2)] for k in range(0, len(bits), 6)]
        text = sentence("".join(payload), fill=fill)
        got = static_bits(text)
        if got is None:
            left += 1
            continue
        fields = NMEAMessage(text).decode()
        expected = {name: getattr(fields, name) for name in got._fields}
        assert got._asdict() == {k: int(v) if k == "ship_type" else v for k, v in expected.items()}
        kinds[type(got).__name__] += 1
    assert min(kinds.values()) > 150
    assert left > 1000  # short payloads and type 24 parts 2 and 3


def static_part(text: bytes) -> int:
    payload = text.split(b",")[5].decode()
    return int("".join(f"{ARMOUR.index(c):06b}" for c in payload)[38:40], 2)


@pytest.mark.parametrize(
    "text",
    [
        sentence("13u?etPv2;0n:dDPwUM1U1Cb069", fill="0"),  # 27 characters: short
        sentence("13u?etPv2;0n:dDPwUM1U1Cb069DD"),  # 29 characters
        sentence("13u?etPv2;0n:dDPwUM1U1Cb069D", fill="2"),  # fill bits
        sentence("13u?etPv2;0n:dDPwUM1U1Cb069D", seq="x"),  # pyais refuses the sequence id
        sentence("13u?etPv2;0n:dDPwUM1U1Cb069D", head="!AIVDM,2,1"),  # first of two parts
        sentence("53u?etPv2;0n:dDPwUM1U1Cb069D"),  # type 5
        sentence("43u?etPv2;0n:dDPwUM1U1Cb069D"),  # type 4
        b"!AIVDM,1,1,,B,13u?etPv2;0n:dDPwUM1U1Cb069D,0,extra*00",  # eight fields
    ],
)
def test_other_shapes_are_left_to_pyais(text: bytes) -> None:
    assert position_bits(text) is None
    single = single_line(text)
    assert single is None or type(single.report) is int  # at most the type, for a refusal


def test_the_one_step_read_equals_the_sentence_read() -> None:
    """Positions; static reports and refusals: the decoder test below, against the reference."""
    rng = random.Random(5)
    for _ in range(2000):
        text = sentence(random_payload(rng, rng.choice([1, 2, 3, 18])), seq=rng.choice(["", "7"]))
        single = single_line(text + b",1327665205")
        assert single is not None
        assert single == (position_bits(text), b"1327665205")
        assert single_line(text) == (position_bits(text), None)
        assert single_line(b"\\c:1327665205*00\\" + text) is None  # tag blocks: full path


def test_decoder_equals_reference_on_random_and_hostile_sentences() -> None:
    """Random payloads of every shape near the fast one, some with corrupt characters: the
    same reports, counts and rejection details as the pyais-and-validation reference."""
    rng = random.Random(12)
    calls: dict[str, list[tuple[LineOutcome | Rejection, int, str]]] = {"fast": [], "ref": []}
    fast = AisDecoder("rx", on_outcome=lambda o, n, d: calls["fast"].append((o, n, d)))
    ref = AisDecoder(
        "rx", validate_reports=True, on_outcome=lambda o, n, d: calls["ref"].append((o, n, d))
    )
    for i in range(6000):
        ais_id = rng.choice([1, 2, 3, 18, 18, 5, 0, 63, 4, 4, 21, 24, 27, 19, 8])
        payload = random_payload(rng, ais_id, rng.choice([28, 28, 28, 27, 29, 1, 71, 45]))
        if i % 7 == 0:  # a byte outside the 6-bit armour, but printable
            at = rng.randrange(len(payload))
            payload = payload[:at] + rng.choice("!\"#$%&'()xyz{|}~") + payload[at + 1 :]
        text = sentence(
            payload, seq=rng.choice(["", "", "3", "12", "x"]), fill=rng.choice(["0", "0", "0", "2"])
        )
        if i % 5 == 1:  # a collector's unix time after the checksum (s or ms)
            # (12 digits: taken as milliseconds; 8: too short to be taken for a time)
            text += b",%d" % rng.choice([1327665205, 1764979200123, 12345678, 999999999999])
        elif i % 11 == 2:  # a wrong checksum
            text = text[:-1] + (b"0" if text[-1:] != b"0" else b"1")
        elif i % 13 == 3:  # around the shape the one-step read takes: the full path decides
            text = rng.choice([b" " + text, text + b" ", b"$" + text[1:], text.lower()])
        got, expected = fast.feed(text, AT), ref.feed(text, AT)
        assert got == expected
        for a, b in zip(got, expected, strict=True):
            assert a.model_fields_set == b.model_fields_set
            assert a.model_dump_json() == b.model_dump_json()
    assert fast.stats == ref.stats
    assert calls["fast"] == calls["ref"]
    assert fast.stats[LineOutcome.POSITION] > 800
    assert fast.stats[Rejection.NO_POSITION] > 100
