"""Real services for tests: PostgreSQL and an MQTT broker, never mocks.

`SHOREWATCH_TEST_DATABASE_URL` / `SHOREWATCH_TEST_MQTT_URL` point at running servers (CI sets
them to the machine's PostgreSQL 15 and Mosquitto); when unset, the embedded ones start. A
configured server that cannot be reached fails the tests loudly; nothing is skipped.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from app.embedded import EmbeddedBroker, EmbeddedPostgres

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SHARED_MODELS = SHARED_DATA.parent / "models"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real test data missing: expected {SHARED_DATA} (../shared beside the repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """Real pretrained weights (never downloaded at test time)."""
    if not SHARED_MODELS.is_dir():
        pytest.fail(f"real weights missing: expected {SHARED_MODELS} (../shared beside the repo)")
    return SHARED_MODELS


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    configured = os.environ.get("SHOREWATCH_TEST_DATABASE_URL")
    if configured:
        try:
            psycopg.connect(configured, connect_timeout=5).close()
        except psycopg.Error as exc:
            pytest.fail(f"SHOREWATCH_TEST_DATABASE_URL={configured} unreachable: {exc}")
        yield configured
        return
    with (
        tempfile.TemporaryDirectory(prefix="sw-pg-") as tmp,
        EmbeddedPostgres(Path(tmp) / "pg") as dsn,
    ):
        yield dsn


@pytest.fixture
def dsn(pg_server: str) -> Iterator[str]:
    """A fresh, empty database per test, dropped afterwards."""
    name = f"sw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(pg_server, dbname=name)
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    configured = os.environ.get("SHOREWATCH_TEST_MQTT_URL")
    if configured:
        yield configured
        return
    with EmbeddedBroker() as url:
        yield url


@pytest.fixture
def topic_root() -> str:
    """Each test talks on its own topic tree, so tests sharing a broker never see each other."""
    return f"swtest-{uuid.uuid4().hex[:10]}"
