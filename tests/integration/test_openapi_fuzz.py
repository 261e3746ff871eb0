"""Acceptance 3: schemathesis against the running app's own OpenAPI, on real PostgreSQL.

The schemathesis engine (what `st run` drives) calls every documented operation with its
examples, boundary and missing-value cases, and generated valid and invalid inputs: a bounded
number each, from a fixed seed, so the run is repeatable and takes well under two minutes. No
response may be a 5xx; every response must have a documented status, content type and schema;
and invalid input must be refused with a 4xx (its message is the 422 `detail`). A failure
lists each problem with a curl command that reproduces it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir
from psycopg.conninfo import make_conninfo
from schemathesis import engine
from schemathesis.engine import Status, events

from app.composition import Service
from shorewatch.config.site import parse_config
from shorewatch.events import Event, EventKind, Observation, Source, VesselStatic

TOKEN = "openapi-fuzz-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES_PER_OPERATION = int(os.environ.get("SHOREWATCH_FUZZ_EXAMPLES", "50"))
SEED = int(os.environ.get("SHOREWATCH_FUZZ_SEED", "20261120"))
"""Fixed so CI repeats itself; set SHOREWATCH_FUZZ_SEED (and _EXAMPLES) to explore further."""
SITE_YAML = """
version: "test-fuzz"
zones:
  - id: restricted-a
    name: Restricted A
    kind: restricted
    polygon: [[11.40, 58.24], [11.44, 58.24], [11.44, 58.26], [11.40, 58.26], [11.40, 58.24]]
    points: 30
jurisdictions:
  - {id: coast, name: Coast, level: county,
     polygon: [[11.0, 58.0], [12.0, 58.0], [12.0, 59.0], [11.0, 59.0], [11.0, 58.0]]}
"""


@pytest.fixture(scope="module")
def fuzz_dsn(pg_server: str) -> Iterator[str]:
    name = f"sw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(pg_server, dbname=name)
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def service(
    fuzz_dsn: str, mqtt_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    svc = Service(
        parse_config(SITE_YAML, "test.yaml", Path()),
        dsn=fuzz_dsn,
        mqtt_url=mqtt_url,
        roles=("recorder", "alerts", "api"),
        api_token=TOKEN,
        api_port=0,
        topic_root=f"swtest-{uuid.uuid4().hex[:10]}",
        data_dir=tmp_path_factory.mktemp("fuzz-data"),
    )
    svc.start()
    try:
        _seed(svc)
        yield svc
    finally:
        svc.stop()


def _seed(svc: Service) -> None:
    """Something in every table, so list and detail responses are checked with content."""
    now = datetime.now(UTC)
    publish = svc.publish_observation("ais-1")
    publish(VesselStatic(sensor_id="ais-1", time=now, mmsi=265000001, name="FUZZ"))
    for minute in range(3):
        publish(
            Observation(
                source=Source.AIS,
                sensor_id="ais-1",
                target_ref="265000001",
                time=now - timedelta(minutes=10 - minute),
                lat=58.25,
                lon=11.42 + minute * 0.001,
                sog_kn=12.0,
            )
        )
    svc.publish_event(
        Event(
            id=uuid.uuid4(),
            kind=EventKind.ZONE_ENTRY,
            start=now - timedelta(minutes=8),
            lat=58.25,
            lon=11.42,
            targets=("ais:265000001",),
            zone="restricted-a",
            config_version="test-fuzz",
        )
    )


@schemathesis.check
def refusals_say_why(
    _ctx: schemathesis.CheckContext,
    response: schemathesis.Response,
    _case: schemathesis.Case[Any],
) -> bool | None:
    """A 4xx tells the caller what was wrong: a JSON body with a non-empty `detail`."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{response.status_code} without a JSON body") from None
    if not (isinstance(body, dict) and body.get("detail")):
        raise AssertionError(f"{response.status_code} without a `detail` saying why")
    return True


CHECKS = (
    "refusals_say_why",
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": AUTH,
            "request-timeout": 30,
            "output": {"sanitization": {"enabled": False}},
            "cache": {"enabled": False},
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "mode": "all",
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


def _failures(finished: events.ScenarioFinished) -> list[str]:
    found = []
    for case_id, nodes in finished.recorder.checks.items():
        for node in nodes:
            if node.failure_info is None:
                continue
            failure = node.failure_info.failure
            found.append(
                f"{finished.label}: {failure.title} [{node.name}]\n"
                f"  {failure.message.strip()[:600]}\n"
                f"  {node.failure_info.code_sample}  (case {case_id})"
            )
    return found


@pytest.fixture
def hypothesis_home(tmp_path: Path) -> Iterator[None]:
    """Hypothesis keeps a cache under `.hypothesis` in the working directory; not here."""
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


@pytest.mark.usefixtures("hypothesis_home")
def test_api_conforms_to_its_openapi(service: Service) -> None:
    schema = schemathesis.openapi.from_url(
        f"http://127.0.0.1:{service.api_port}/openapi.json", config=_config()
    )
    problems: list[str] = []
    tested: set[str] = set()
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tested.add(event.label or "")
            if event.status in (Status.FAILURE, Status.ERROR):
                problems += _failures(event) or [f"{event.label}: {event.status.value}"]
        elif isinstance(event, events.NonFatalError):
            problems.append(f"{event.label}: error {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    assert len(tested) >= 20, f"only {sorted(tested)} were exercised"
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
