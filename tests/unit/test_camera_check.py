"""`shorewatch camera-check` on the real clip with the real model: the per-track scores an
engineer tunes from, the events the settings would raise, and clear refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.cli import main

CLIP = "video/liangsmfish_ship_at_sea_320x240.mp4"


def site_yaml(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(
        f"""
version: check
vision: {{model: {model}}}
ingest:
  cameras:
    - id: mast
      url: rtsp://127.0.0.1:9/unused
      lat: 58.25
      lon: 11.40
      detect_fps: 15
      motion: {{enabled: false}}
      calibration: {{method: pose, lat: 58.25, lon: 11.40, height_m: 10, heading_deg: 90,
                     tilt_deg: 20, fov_deg: 60, width: 320, height: 240}}
"""
    )
    return path


def test_prints_the_boat_track_with_its_scores_and_writes_the_snapshot(
    tmp_path: Path,
    shared_data: Path,
    shared_models: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = site_yaml(tmp_path, shared_models / "yolo11n_int8_openvino_model")
    snapshots = tmp_path / "snaps"
    argv = ["--config", str(config), "camera-check", "mast", "--source", str(shared_data / CLIP)]
    assert main([*argv, "--snapshots", str(snapshots)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^frames 279, model passes 279 \(1\.00 a frame\)", out, re.M), out
    rows = re.findall(
        r"^\s+(\d+) boat\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+\d+\s+([\d.]+)\s+([\d.]+)"
        r"\s+([\d.]+)$",
        out,
        re.M,
    )
    longest = max(rows, key=lambda row: int(row[1]))
    frames, low, median, high, first, _last, confirmed = longest[1:]
    assert int(frames) > 100  # one track for the whole crossing
    assert 0.15 <= float(low) <= float(median) <= float(high) <= 1.0
    assert float(first) <= float(confirmed) < float(first) + 1.0
    assert "event camera_target opened camera:mast-" in out
    assert "event camera_target closed camera:mast-" in out
    assert len(list(snapshots.glob("*.jpg"))) == 1


def test_an_unknown_camera_is_refused_naming_the_known_ones(
    tmp_path: Path, shared_models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = site_yaml(tmp_path, shared_models / "yolo11n_int8_openvino_model")
    assert main(["--config", str(config), "camera-check", "north"]) == 2
    assert "no camera 'north' (ingest.cameras: mast)" in capsys.readouterr().err
