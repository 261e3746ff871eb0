"""Issue 13, item 1: replay of radar recordings whatever their time source, with the dropped
share named. Built from the real Navico ARPA log's own TLL lines (TTM needs the own-ship fix
that these variants leave out; ../shared/data/radar)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import reduce
from pathlib import Path

import pytest

from app.cli import main
from tests.nmea import position_report

NAVICO = "navico_broadband4g_RadarLogs_2015-07-27.nmea"
DAY = "2015-07-27"


def target_lines(shared_data: Path) -> list[bytes]:
    """The log's TLL sentences only: no RMC/ZDA, so nothing in them carries a date. (TLL
    carries the target's own position; TTM's range and bearing would need the own-ship fix
    that these variants leave out.)"""
    raw = (shared_data / "radar" / NAVICO).read_bytes().splitlines()
    return [line for line in raw if line[3:6] == b"TLL"]


def dated_log(shared_data: Path, tmp_path: Path) -> str:
    """The real log without its TTM sentences: TLL as above, dated by the log's own RMC/ZDA."""
    raw = (shared_data / "radar" / NAVICO).read_bytes().splitlines()
    return write(tmp_path / "dated.nmea", [line for line in raw if line[3:6] != b"TTM"])


def tag_stamped(line: bytes) -> bytes:
    """As a multiplexer writes it: `\\s:mux,c:<unix time>*hh\\` before the sentence, the time
    being the radar's own time of day on the log's date plus one second of transit."""
    fields = line.split(b"*")[0].split(b",")
    tod = fields[7].decode()
    at = datetime.strptime(f"{DAY} {tod[:6]}", "%Y-%m-%d %H%M%S").replace(tzinfo=UTC)
    body = f"s:mux,c:{int(at.timestamp()) + 1}"
    check = reduce(lambda acc, ch: acc ^ ord(ch), body, 0)
    return f"\\{body}*{check:02X}\\".encode() + line


# The Navico radar sat on a boat: its TTM ranges and bearings are placed from the log's own-ship
# fix, as its TLL positions are (a shore site here would put the two ~10 km apart, and each
# jump would end the track: issue 15's track generations).
SHIPBORNE = """
version: shipborne-radar
ingest:
  radar:
    - {id: navico, transport: udp, port: 0}
"""


def replay(tmp_path: Path, name: str, *argv: str) -> list[tuple[str, str, tuple[str, ...]]]:
    out = tmp_path / f"{name}.jsonl"
    config = tmp_path / "shipborne.yaml"
    config.write_text(SHIPBORNE)
    assert main(["--config", str(config), "replay", *argv, "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    return [(r["kind"], r["start"], tuple(r["targets"])) for r in records]


def write(path: Path, lines: list[bytes]) -> str:
    path.write_bytes(b"".join(line + b"\r\n" for line in lines))
    return str(path)


def test_radar_time_sources_all_give_the_full_logs_events(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = replay(tmp_path, "full", "--radar", dated_log(shared_data, tmp_path))
    capsys.readouterr()
    assert {kind for kind, _, _ in full} >= {"dark_target"}
    assert all(start.startswith(DAY) for _, start, _ in full)
    targets = target_lines(shared_data)
    undated = write(tmp_path / "undated.nmea", targets)

    # No date anywhere: every line dropped, and the summary says so loudly.
    assert replay(tmp_path, "nothing", "--radar", undated) == []
    err = capsys.readouterr().err
    assert "dropped 1,466 of 1,466 lines (100.00%): no_time 100.00%" in err
    assert "WARNING: 100.0% of radar undated.nmea dropped (over 1%)" in err

    # The date given on the command line.
    assert replay(tmp_path, "given", "--radar", undated, "--date", DAY) == full
    assert f"radar times of day dated {DAY} from --date {DAY}" in capsys.readouterr().err

    # The date of another input recorded alongside (here an AIS file with tag blocks).
    ais = position_report(265123456, 57.0, 10.0, datetime(2015, 7, 27, 13, 40, tzinfo=UTC))
    ais_file = write(tmp_path / "ais.nmea", [ais.encode()])
    lent = replay(tmp_path, "lent", "--radar", undated, "--ais", ais_file)
    assert [e for e in lent if e[2][0].startswith("radar:")] == full
    assert f"dated {DAY} from the clock of ais ais.nmea ({DAY})" in capsys.readouterr().err

    # Every sentence behind an NMEA 4 tag block: dated by it, nothing refused as malformed.
    tagged = write(tmp_path / "tagged.nmea", [tag_stamped(line) for line in targets])
    assert replay(tmp_path, "tagged", "--radar", tagged) == full
    err = capsys.readouterr().err
    assert "malformed" not in err
    assert "WARNING" not in err


def test_a_small_dropped_share_is_named_without_a_warning(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = target_lines(shared_data)
    lines[5] = lines[5][:-2] + b"00"  # one corrupt checksum in 1,466 lines
    replay(tmp_path, "one-bad", "--radar", write(tmp_path / "r.nmea", lines), "--date", DAY)
    err = capsys.readouterr().err
    assert "dropped 1 of 1,466 lines (0.07%): checksum 0.07%" in err
    assert "WARNING" not in err
