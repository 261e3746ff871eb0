"""Fixtures shared by the integration tests."""

from collections.abc import Iterator

import pytest
from psycopg_pool import ConnectionPool

from shorewatch.config.site import StoreConfig
from shorewatch.store.db import open_pool
from shorewatch.store.migrations import migrate
from tests.rtsp import clip, gstreamer, rtsp_server

__all__ = ["clip", "gstreamer", "migrated_pool", "rtsp_server"]


@pytest.fixture
def migrated_pool(dsn: str) -> Iterator[ConnectionPool]:
    """A pool on the test's own database, migrated with the default store settings."""
    pool = open_pool(dsn)
    migrate(pool, StoreConfig())
    yield pool
    pool.close()
