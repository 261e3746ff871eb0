"""The environment a bench gives the `shorewatch run` processes it starts: the service's own
settings (docs/operations.md), pointed at the bench's database, broker and topic root."""

from __future__ import annotations

import os


def service_env(
    dsn: str, mqtt_url: str, root: str, port: int, token: str, **extra: str
) -> dict[str, str]:
    return {
        **os.environ,
        "SHOREWATCH_DATABASE_URL": dsn,
        "SHOREWATCH_MQTT_URL": mqtt_url,
        "SHOREWATCH_API_TOKEN": token,
        "SHOREWATCH_API_PORT": str(port),
        "SHOREWATCH_TOPIC_ROOT": root,
        "SHOREWATCH_LOG_LEVEL": "ERROR",
        **extra,
    }
