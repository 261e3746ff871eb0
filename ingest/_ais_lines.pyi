"""Types of the C extension built from ingest/_ais_lines.c (see ingest/ais_lines.py). Its
positions are `Position` struct sequences (`ais_lines.ScannedPosition`'s fields, in its order,
read through `ais_lines.PositionRead`), its static reports `Static` ones (`ScannedStatic`'s)."""

from collections.abc import Sequence

from ingest.ais_lines import LineScan

Position: type
Static: type

def scan_lines(lines: Sequence[bytes], ship_types: bytes, /) -> list[LineScan]: ...
