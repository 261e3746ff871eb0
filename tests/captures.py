"""The real AIS captures in ../shared/data/ais that the tests read line by line (MANIFEST there
says where each came from)."""

import gzip
from pathlib import Path

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
