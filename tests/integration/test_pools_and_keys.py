"""Connections under load (issue 15, defect 8): each role draws on its own pool, sized in the
site YAML, so a role that holds all of its connections cannot starve another; and an API
request never holds a pooled connection while scrypt checks the key it presents."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from psycopg_pool import ConnectionPool

from app.composition import Service
from shorewatch.api_keys import hash_secret, verify_secret
from shorewatch.config.site import parse_config
from shorewatch.store.auth_repo import AuthRepo, NewUser

TOKEN = "pools-test-token-0123456789abcdef"
SITE = """
version: "test-pools"
store: {flush_interval_s: 0.1, pools: {api: 3, recorder: 1, alerts: 1, service: 2}}
"""


@pytest.fixture
def service(dsn: str, mqtt_url: str, topic_root: str) -> Iterator[Service]:
    svc = Service(
        parse_config(SITE, "test.yaml", Path()),
        dsn=dsn,
        mqtt_url=mqtt_url,
        roles=("recorder", "alerts", "api"),
        api_token=TOKEN,
        api_port=0,
        topic_root=topic_root,
    )
    svc.start()
    yield svc
    svc.stop()


def api_pool(service: Service) -> ConnectionPool:
    assert service.api_server is not None
    app = service.api_server.config.app
    assert isinstance(app, FastAPI)
    pool = app.state.context.pool
    assert isinstance(pool, ConnectionPool)
    return pool


def test_each_role_has_its_own_pool_sized_in_the_site_yaml(service: Service) -> None:
    sizes = {role: pool.max_size for role, pool in service.pools.items()}
    assert sizes == {"recorder": 1, "alerts": 1, "api": 3}
    assert service.pool.max_size == 2, "migrations and the unit desk"
    assert api_pool(service) is service.pools["api"]
    # The recorder and alerts roles hold every connection they have (a store outage, a
    # long batch): the API still answers at once.
    busy = [service.pools["recorder"], service.pools["alerts"]]
    held = [pool.getconn() for pool in busy]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{service.api_port}", timeout=3) as api:
            response = api.get("/api/v1/alerts", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
    finally:
        for pool, conn in zip(busy, held, strict=True):
            pool.putconn(conn)


def test_no_pooled_connection_is_held_while_a_key_is_hashed(service: Service) -> None:
    repo = AuthRepo()
    with service.pool.connection() as conn, conn.transaction():
        repo.add_user(conn, NewUser(name="eng", role="engineer"))
        key = repo.create_key(conn, "eng").token
    # What one scrypt check costs on this machine, now.
    stored = hash_secret("x" * 43)
    started = time.perf_counter()
    for _ in range(3):
        verify_secret("x" * 43, stored)
    hash_ms = (time.perf_counter() - started) / 3 * 1000
    requests = 10
    pool = api_pool(service)
    pool.pop_stats()
    with httpx.Client(base_url=f"http://127.0.0.1:{service.api_port}", timeout=30) as api:
        for _ in range(requests):  # /metrics reads no table: the pool serves the key only
            assert api.get("/metrics", headers={"Authorization": f"Bearer {key}"}).is_success
    held_ms = pool.pop_stats().get("usage_ms", 0)
    assert held_ms < requests * hash_ms / 2, (
        f"connections held {held_ms} ms for {requests} requests; one hash takes {hash_ms:.0f} ms"
    )
    # Each request still looks its key up: a revoked key is refused at once.
    with service.pool.connection() as conn, conn.transaction():
        assert repo.revoke_key(conn, key.split("_")[1])
    with httpx.Client(base_url=f"http://127.0.0.1:{service.api_port}", timeout=30) as api:
        assert api.get("/metrics", headers={"Authorization": f"Bearer {key}"}).status_code == 401
