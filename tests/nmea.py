"""Build real AIVDM sentences for tests, encoded by pyais, with NMEA 4 tag-block times."""

from __future__ import annotations

from datetime import datetime

from pyais import encode_dict

from app.simulator.scenario import tag_block


def position_report(
    mmsi: int, lat: float, lon: float, when: datetime, sog: float = 10.0, cog: float = 90.0
) -> str:
    (sentence,) = encode_dict(
        {
            "msg_type": 1,
            "mmsi": mmsi,
            "lat": lat,
            "lon": lon,
            "speed": sog,
            "course": cog,
            "heading": int(cog) % 360,
            "second": when.second,
        },
        talker_id="AI",
        sentence_type="VDM",
        radio_channel="A",
    )
    return tag_block(int(when.timestamp())) + sentence
