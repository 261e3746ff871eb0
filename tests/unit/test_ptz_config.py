"""PTZ and TAK settings in the site YAML: credentials come from the environment, never the
file; inconsistent settings are refused at load, naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from shorewatch.config.site import ConfigError, parse_config

PTZ = """
version: t
ptz:
  cameras:
    - id: ptz-1
      lat: 58.25
      lon: 11.40
      height_m: 30
      pan_zero_deg: 270
      zoom_steps: [{zoom: 0, hfov_deg: 50}, {zoom: 1, hfov_deg: 2}]
      onvif: {host: 10.0.0.7, username_env: PTZ1_USER, password_env: PTZ1_PASSWORD}
"""


def test_credentials_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    camera = parse_config(PTZ, "t.yaml", Path()).ptz.cameras[0]
    assert camera.onvif.credentials() == ("", "")
    monkeypatch.setenv("PTZ1_USER", "ptzop")
    monkeypatch.setenv("PTZ1_PASSWORD", "pw")
    assert camera.onvif.credentials() == ("ptzop", "pw")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("      password: pw\n", "ptz.cameras.0.password: Extra inputs are not permitted"),
        ("      stream: nowhere\n", "ptz.cameras.ptz-1.stream: no ingest camera 'nowhere'"),
        ("      pan_min_deg: 10\n      pan_max_deg: -10\n", "pan_max_deg must be > pan_min_deg"),
    ],
)
def test_bad_ptz_settings_are_refused(change: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(PTZ + change, "t.yaml", Path())


def test_zoom_steps_must_narrow() -> None:
    text = PTZ.replace("{zoom: 1, hfov_deg: 2}", "{zoom: 1, hfov_deg: 60}")
    with pytest.raises(ConfigError, match="zoom increasing and hfov_deg decreasing"):
        parse_config(text, "t.yaml", Path())


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ('{url: "udp://239.2.3.1:6969", protocol: stream}', "protocol xml or mesh"),
        ('{url: "tcp://tak.example:8087", protocol: mesh}', "protocol xml or stream"),
        ('{url: "http://tak.example:8087"}', "tcp://, tls:// or udp://"),
    ],
)
def test_tak_outputs_need_a_framing_that_fits_the_transport(output: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(f"version: t\ntak: {{outputs: [{output}]}}\n", "t.yaml", Path())
