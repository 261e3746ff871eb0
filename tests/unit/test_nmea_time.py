"""Every time source on its own, in the formats real feeds write (issue 13, item 1)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from ingest.nmea_time import (
    TagBlockError,
    gatehouse_time,
    nearest_day,
    radar_time_of_day,
    split_tag_block,
    zda_time,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # DMA's national network (the capture in ../shared): numeric country/region/source.
        (
            b"$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B",
            datetime(2010, 6, 11, 11, 46, 11, tzinfo=UTC),
        ),
        # An empty region field, as DMA also writes it.
        (
            b"$PGHP,1,2010,6,11,11,46,12,470,219,,2190064,1,5D*57",
            datetime(2010, 6, 11, 11, 46, 12, tzinfo=UTC),
        ),
        # AMSA's satellite source writes `1AIS_S` where pyais expects the online flag 0/1:
        # pyais refuses the whole line, the date fields are still good.
        (
            b"$PGHP,1,2012,1,27,9,58,26,36,316,2,316000002,1AIS_S,0F*32",
            datetime(2012, 1, 27, 9, 58, 26, tzinfo=UTC),
        ),
        # Short form: the date fields and nothing after them.
        (b"$PGHP,1,2012,1,27,9,58,26,999*00", datetime(2012, 1, 27, 9, 58, 26, tzinfo=UTC)),
    ],
)
def test_pghp_time_from_its_own_fields(line: bytes, expected: datetime) -> None:
    stamp = gatehouse_time(line)
    assert stamp is not None
    assert stamp.replace(microsecond=0) == expected


def test_pghp_milliseconds_and_other_kinds() -> None:
    line = b"$PGHP,1,2012,1,27,9,58,26,36,316,2,316000002,1AIS_S,0F*32"
    assert gatehouse_time(line) == datetime(2012, 1, 27, 9, 58, 26, 36_000, tzinfo=UTC)
    assert gatehouse_time(b"$PGHP,2,1,2,3*00") is None  # not a time sentence kind
    for bad, why in (
        (b"$PGHP,1,2012,1,27*00", "fields"),
        (b"$PGHP,1,2012,13,27,9,58,26,0*00", "month"),
        (b"$PGHP,1,2012,1,27,9,58,26,x*00", "invalid literal"),
    ):
        with pytest.raises(ValueError, match=why):
            gatehouse_time(bad)


def test_tag_block_time_and_source() -> None:
    tag, rest = split_tag_block(b"\\s:radar1,c:1438004761*63\\$RATLL,01,...*5F")
    assert tag is not None
    assert (tag.time, tag.source) == (datetime(2015, 7, 27, 13, 46, 1, tzinfo=UTC), "radar1")
    assert rest == b"$RATLL,01,...*5F"
    assert split_tag_block(b"$RATLL,01*00") == (None, b"$RATLL,01*00")
    placeholder, _ = split_tag_block(b"\\c:1438004761000*00\\$RATLL")  # AMSA's *00, millis
    assert placeholder is not None
    assert placeholder.time == datetime(2015, 7, 27, 13, 46, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "checksum"),
    [
        (b"\\s:radar1,c:1438004761*64\\$RATLL", True),
        (b"\\s:radar1,c:1438004761\\$RATLL", False),
        (b"\\s:radar1,c:1438004761*63$RATLL", False),
    ],
)
def test_broken_tag_blocks(line: bytes, checksum: bool) -> None:
    with pytest.raises(TagBlockError) as caught:
        split_tag_block(line)
    assert caught.value.checksum is checksum


def test_radar_times_of_day_and_zda() -> None:
    assert radar_time_of_day(b"$RATLL,01,5812.6870,N,01131.9502,E,1 (B),134601,T,*5F") == time(
        13, 46, 1
    )
    ttm = b"$RATTM,01,0.48,263.6,T,0.0,2.9,T,0.48,,N,1 (Broadband 4G - 2782 B),T,,134601.50,M*51"
    assert radar_time_of_day(ttm) == time(13, 46, 1, 500_000)
    assert radar_time_of_day(b"$RATLL,01,5812.6870,N,01131.9502,E,x,,T,*00") is None
    assert radar_time_of_day(b"$GPGGA,134601,5812.7405,N*00") is None
    assert zda_time(b"$GPZDA,134601,27,07,2015,-01,00*61") == datetime(
        2015, 7, 27, 13, 46, 1, tzinfo=UTC
    )


def test_nearest_day_rolls_over_midnight_both_ways() -> None:
    late = datetime(2015, 7, 27, 23, 59, 59, tzinfo=UTC)
    assert nearest_day(time(0, 0, 1), late) == datetime(2015, 7, 28, 0, 0, 1, tzinfo=UTC)
    early = datetime(2015, 7, 28, 0, 0, 1, tzinfo=UTC)
    assert nearest_day(time(23, 59, 59), early) == late
