"""The real AIS captures in ../shared/data/ais that the tests read line by line (MANIFEST there
says where each came from)."""

AIS_CAPTURES = [
    "dma_aislib_stream_example_pghp.nmea",
    "amsa_terrestrial_ais.txt.gz",
    "amsa_tagblock_c_2014.nmea",
    "amsa_exactearth_sat_tagblock_2012.nmea",
    "gpsd_ais-nmea_NL_2020_with_gnss.log",
    "gpsd_ais-nmea-type6-fid55.log",
    "gpsd_ait250_enkhuizen_2009.log",
]
