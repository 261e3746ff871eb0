"""Event identities that are the same every time the same data is replayed."""

from __future__ import annotations

import uuid
from datetime import datetime

_NAMESPACE = uuid.UUID("5b0f3c1e-8a51-4d8e-9a55-2f1c6f3f7d10")


def episode_id(kind: str, targets: tuple[str, ...], start: datetime, scope: str = "") -> uuid.UUID:
    """Derived from what the episode is, never random, so replay and live agree on ids."""
    key = "|".join((kind, ",".join(targets), scope, start.isoformat()))
    return uuid.uuid5(_NAMESPACE, key)
