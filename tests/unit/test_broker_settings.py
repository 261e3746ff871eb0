"""Broker credentials and TLS from the environment, folded into the URL the bus reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shorewatch.bus import BrokerAddress, BusError
from shorewatch.settings import Settings


def test_credentials_and_tls_files_reach_the_bus_intact() -> None:
    settings = Settings(
        mqtt_url="mqtts://broker.example",
        mqtt_username="ingest",
        mqtt_password="p@ss:w/rd?#%",
        mqtt_ca_file=Path("/etc/ssl/ca.pem"),
        mqtt_cert_file=Path("/etc/ssl/me.pem"),
        mqtt_key_file=Path("/etc/ssl/me.key"),
    )
    url = settings.broker_url()
    assert url is not None
    address = BrokerAddress.parse(url)
    assert (address.host, address.port, address.tls) == ("broker.example", 8883, True)
    assert (address.username, address.password) == ("ingest", "p@ss:w/rd?#%")
    assert (address.ca_file, address.cert_file, address.key_file) == (
        "/etc/ssl/ca.pem",
        "/etc/ssl/me.pem",
        "/etc/ssl/me.key",
    )
    assert "p@ss" not in repr(address), "the password stays out of logs and tracebacks"


def test_a_url_with_its_own_credentials_and_options_is_kept() -> None:
    url = Settings(mqtt_url="mqtt://u%40x:p%3Aw@h:1884?version=3.1.1").broker_url()
    assert url is not None
    address = BrokerAddress.parse(url)
    assert (address.username, address.password, address.port) == ("u@x", "p:w", 1884)
    assert not address.tls


def test_tls_files_without_mqtts_are_refused() -> None:
    with pytest.raises(ValidationError, match="need an mqtts:// broker URL"):
        Settings(mqtt_url="mqtt://h", mqtt_ca_file=Path("/ca.pem"))
    with pytest.raises(ValidationError, match="go together"):
        Settings(mqtt_url="mqtts://h", mqtt_cert_file=Path("/me.pem"))
    with pytest.raises(BusError, match="need an mqtts://"):
        BrokerAddress.parse("mqtt://h?ca=/ca.pem")
