"""Site configuration: the packaged default loads; bad files fail with file, key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shorewatch.config.site import ConfigError, load_config, parse_config
from shorewatch.events import Level
from shorewatch.settings import Settings
from shorewatch.zones import build_zones


def test_packaged_default_loads_with_its_zone() -> None:
    site = load_config()
    zones = build_zones(site)
    assert [z.id for z in zones] == ["lysekil-restricted"]
    assert zones[0].contains(58.25, 11.42)
    assert not zones[0].contains(58.23, 11.42)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "version: x\nthresholds: {zone_entry: {exit_bufer_m: 5}}\n",
            "site.yaml: thresholds.zone_entry.exit_bufer_m: Extra inputs are not permitted",
        ),
        (
            "version: x\nalerts: {levels: {red: 10, orange: 60, yellow: 40}}\n",
            "site.yaml: alerts.levels: Value error, bands must satisfy red >= orange >= yellow",
        ),
        (
            "version: x\ningest: {ais: [{id: a, transport: carrier-pigeon}]}\n",
            "site.yaml: ingest.ais.0: Input tag 'carrier-pigeon' found using 'transport'",
        ),
        (
            "version: x\nzones: [{id: z, name: Z}]\n",
            "site.yaml: zones.0: Value error, give exactly one of `geojson`",
        ),
        (
            "version: x\ningest: {cameras: [{id: c, url: a.mp4, lat: 1, lon: 2}]}\n",
            "ingest.cameras c: detect is on but vision.model is not set",
        ),
        (
            "version: x\nvision: {classes: {boat: {min_scor: 0.2}}}\n",
            "site.yaml: vision.classes.boat.min_scor: Extra inputs are not permitted",
        ),
        (
            "version: x\nvision: {classes: {boat: {min_area: 50, max_area: 10}}}\n",
            "vision.classes.boat: Value error, max_area must be larger than min_area",
        ),
        (
            "version: x\nvision: {tracker: {low_score: 0.5, high_score: 0.3}}\n",
            "vision.tracker: Value error, low_score must be below high_score",
        ),
        (
            "version: x\nvision: {classes: {}}\n",
            "vision.classes: Value error, give at least one class",
        ),
        (
            "version: x\ningest: {cameras: [{id: c, url: a.mp4, lat: 1, lon: 2, detect: false,"
            " zones: [{id: z, polygon: [[0, 0], [9, 0], [9, 9]]},"
            " {id: z, polygon: [[0, 0], [5, 0], [5, 5]]}]}]}\n",
            "camera c: zone ids must be unique",
        ),
        (
            "version: x\nstore: {flush_interval_s: 0.1, commit_gap_s: 0.2}\n",
            "store: Value error, store.commit_gap_s (0.2) must not exceed "
            "store.flush_interval_s (0.1)",
        ),
        (
            "version: x\nstore: {commit_gap_s: -0.1}\n",
            "store.commit_gap_s: Input should be greater than or equal to 0",
        ),
        ("- just\n- a list\n", "site.yaml: expected a mapping at the top level"),
        ("version: [unclosed\n", "site.yaml: not valid YAML"),
        ("zones: []\n", "site.yaml: version: Field required"),
    ],
)
def test_bad_config_names_file_key_and_problem(yaml_text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml_text, "site.yaml", Path())
    assert expected in str(caught.value)


def test_missing_geojson_file_is_a_config_error(tmp_path: Path) -> None:
    site = parse_config(
        "version: x\nzones: [{id: z, name: Z, geojson: nowhere.geojson}]\n", "site.yaml", tmp_path
    )
    with pytest.raises(ConfigError, match=r"zones\.z: geojson .*nowhere\.geojson"):
        build_zones(site)


def test_level_bands() -> None:
    bands = load_config().alerts.levels
    assert [bands.level_for(s) for s in (95, 80, 79.9, 60, 45, 39.9, 0)] == [
        Level.RED,
        Level.RED,
        Level.ORANGE,
        Level.ORANGE,
        Level.YELLOW,
        Level.BLUE,
        Level.BLUE,
    ]


@pytest.mark.parametrize("token", ["changeme", "short-token", "admin"])
def test_settings_refuse_weak_tokens(token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOREWATCH_API_TOKEN", token)
    with pytest.raises(ValidationError, match="too weak"):
        Settings()


def test_settings_refuse_unknown_env_free_kwargs() -> None:
    with pytest.raises(ValidationError):
        Settings(databse_url="postgresql://x")  # type: ignore[call-arg]
