"""Database errors that pass: retry the transaction rather than drop or refuse its data."""

from __future__ import annotations

import psycopg

TRANSIENT: tuple[type[Exception], ...] = (
    psycopg.OperationalError,  # lost connection, admin shutdown, PoolTimeout, server starting
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
)
