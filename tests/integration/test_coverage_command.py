"""`shorewatch coverage` on a real capture (issue 13, item 2): the learned grid drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_draws_the_learned_grid_of_a_real_capture(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dma.png"
    capture = shared_data / "ais" / "dma_aislib_stream_example_pghp.nmea"
    code = main(
        ["coverage", "--ais", str(capture), "--out", str(out), "--min-reports", "3",
         "--bbox=54,7,58.5,16"]
    )  # fmt: skip
    assert code == 0
    assert out.read_bytes()[:8] == PNG_MAGIC
    printed = capsys.readouterr().out
    # The Danish network's 28 s: ~3,000 positions over several hundred cells.
    assert "ais-udp-1: 2,965 reports in 972 cells of 0.05 deg; 363 covered" in printed


@pytest.mark.parametrize("bbox", ["58,7,54,16", "1,2,3"])
def test_bad_bbox_is_a_usage_error(shared_data: Path, tmp_path: Path, bbox: str) -> None:
    capture = shared_data / "ais" / "dma_aislib_stream_example_pghp.nmea"
    out = tmp_path / "x.png"
    assert main(["coverage", "--ais", str(capture), "--out", str(out), f"--bbox={bbox}"]) == 2
    assert not out.exists()
