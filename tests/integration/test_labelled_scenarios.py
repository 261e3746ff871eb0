"""Issue 13: labelled scenario sets under tests/scenarios/ held to recall and precision floors
per rule, and `shorewatch backtest` on the same recordings (two threshold sets compared)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.cli import main
from app.evaluate.matching import evaluate
from app.evaluate.records import read_events, read_labels
from app.simulator import mixed_scenario, write_recordings
from app.simulator.truth import planted_labels
from shorewatch.config.site import load_config

ROOT = Path(__file__).resolve().parents[2]
DEMO_YAML = ROOT / "configs" / "demo.yaml"
SETS = ROOT / "tests" / "scenarios"
START = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
DURATION_S = 900.0
# Floors, not exact counts: (recall, precision) per rule on the coast_mixed set.
FLOORS = {
    "watchlist_sighting": (1.0, 1.0),
    "zone_entry": (1.0, 0.66),
    "dark_target": (1.0, 0.5),
    "high_speed": (1.0, 0.5),
    "ais_gap": (1.0, 0.5),
    "encounter": (1.0, 0.5),
    "spoofing": (1.0, 0.5),
    "loitering": (1.0, 0.5),
    "type_mismatch": (1.0, 1.0),
}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("coast_mixed")
    files = write_recordings(mixed_scenario(START), DURATION_S, folder)
    return {channel.value: path for channel, path in files.items()}


def test_shipped_labels_are_the_simulators_truth() -> None:
    site = load_config(DEMO_YAML)
    shipped = read_labels(SETS / "coast_mixed" / "labels.jsonl")
    assert shipped == planted_labels(mixed_scenario(START), site.ingest.radar[0].id)


def test_coast_mixed_meets_the_floors_per_rule(recordings: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    argv = ["replay", "--config", str(DEMO_YAML), "--out", str(out)]
    assert main([*argv, "--ais", str(recordings["ais"]), "--radar", str(recordings["radar"])]) == 0
    scores = evaluate(read_labels(SETS / "coast_mixed" / "labels.jsonl"), read_events(out))
    print({rule: (s.recall, s.precision) for rule, s in scores.items()})
    assert set(scores) == set(FLOORS), "a rule raised that the set has no floor for"
    for rule, (recall, precision) in FLOORS.items():
        s = scores[rule]
        assert (s.recall or 0.0) >= recall, (rule, s.misses)
        assert (s.precision or 0.0) >= precision, (rule, s.false_alarms)


def test_backtest_shows_what_a_threshold_change_removes(
    recordings: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DEMO_YAML.read_text().replace("geojson: zones/", f"geojson: {DEMO_YAML.parent}/zones/")
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(
        text.replace("high_speed: {min_speed_kn: 30,", "high_speed: {min_speed_kn: 45,").replace(
            "dark_target: {after_s: 120,", "dark_target: {after_s: 300,"
        )
    )
    out = tmp_path / "backtest"
    argv = ["backtest", "--config", str(DEMO_YAML), "--config", str(proposed), "--out", str(out)]
    assert main([*argv, "--ais", str(recordings["ais"]), "--radar", str(recordings["radar"])]) == 0
    printed = capsys.readouterr().out
    assert "removed  high_speed         radar:radar-south-10" in printed  # 40 kn < 45 kn
    assert "changed  dark_target        radar:radar-south-10" in printed  # dark for longer
    assert re.search(r"^high_speed\s+0\s+1\s+0$", printed, re.MULTILINE)  # per kind
    for name in ("events-demo.jsonl", "events-proposed.jsonl", "changes.jsonl", "report.html"):
        assert (out / name).is_file(), name
    assert (out / "backtest.png").stat().st_size > 10_000
    assert main(["backtest", "--config", str(DEMO_YAML), "--ais", str(recordings["ais"])]) == 2


def test_backtest_on_the_stores_observations(
    recordings: dict[str, Path], dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--db --since --area`: the same comparison on what `replay --db` stored."""
    files = ["--ais", str(recordings["ais"]), "--radar", str(recordings["radar"])]
    stored = ["replay", "--config", str(DEMO_YAML), *files, "--db", dsn, "--out", "-"]
    assert main(stored) == 0
    capsys.readouterr()
    proposed = tmp_path / "proposed.yaml"
    text = DEMO_YAML.read_text().replace("geojson: zones/", f"geojson: {DEMO_YAML.parent}/zones/")
    proposed.write_text(
        text.replace("high_speed: {min_speed_kn: 30,", "high_speed: {min_speed_kn: 45,")
    )
    window = ["--db", dsn, "--since", "2026-11-20T21:59:00Z", "--until", "2026-11-20T22:20:00Z"]
    argv = ["backtest", "--config", str(DEMO_YAML), "--config", str(proposed), *window]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^high_speed\s+1\s+0$", printed, re.MULTILINE)  # raised per config
    assert "removed  high_speed         radar:radar-south-10" in printed
    # An area north of the scene holds none of the speedboat's run: nothing to compare there.
    assert main([*argv, "--area", "58.40,11.00,58.50,11.10"]) == 0
    assert "0 differences, 0 episodes unchanged" in capsys.readouterr().out
    assert main([*argv, "--area", "nowhere"]) == 1
