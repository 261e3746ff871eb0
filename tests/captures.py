"""The real AIS captures in ../shared/data/ais that the tests read line by line (MANIFEST there
says where each came from), and the check that two decoders made the same reports of them."""

import gzip
from collections.abc import Sequence
from pathlib import Path

from shorewatch.events import Observation, VesselStatic

AIS_CAPTURES = [
    "dma_aislib_stream_example_pghp.nmea",
    "amsa_terrestrial_ais.txt.gz",
    "amsa_tagblock_c_2014.nmea",
    "amsa_exactearth_sat_tagblock_2012.nmea",
    "gpsd_ais-nmea_NL_2020_with_gnss.log",
    "gpsd_ais-nmea-type6-fid55.log",
    "gpsd_ait250_enkhuizen_2009.log",
]


def read_lines(path: Path) -> list[bytes]:
    """A capture's lines, as bytes without their line ends (gzip-compressed ones too)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return handle.read().splitlines()


def same_reports(fast: Sequence[Observation | VesselStatic], checked: Sequence[object]) -> None:
    """Equal reports, field for field, in `model_fields_set`, on the wire and in their hash."""
    assert list(fast) == list(checked)
    for a, b in zip(fast, checked, strict=True):
        assert isinstance(b, Observation | VesselStatic)
        assert type(a) is type(b)
        assert a.model_fields_set == b.model_fields_set
        assert a.model_dump_json() == b.model_dump_json()
        assert hash(a) == hash(b)
