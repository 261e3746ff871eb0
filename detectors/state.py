"""Per-target state held by a worker, expired in event time so memory stays bounded."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

S = TypeVar("S")


class TargetStates(Generic[S]):
    """Least-recently-seen first; entries silent for `ttl` (event time) or beyond `max_targets`
    are dropped, whatever order reports arrive in."""

    def __init__(self, factory: Callable[[], S], ttl: timedelta, max_targets: int) -> None:
        self._factory = factory
        self._ttl = ttl
        self._max = max_targets
        self._entries: OrderedDict[str, tuple[datetime, S]] = OrderedDict()
        self._latest: datetime | None = None

    def touch(self, key: str, at: datetime) -> S:
        """The state for `key`, created if new, marked as seen at `at`."""
        if self._latest is None or at > self._latest:
            self._latest = at
        entry = self._entries.pop(key, None)
        seen, state = (at, self._factory()) if entry is None else entry
        self._entries[key] = (max(seen, at), state)
        self._expire()
        return state

    def _expire(self) -> None:
        assert self._latest is not None
        horizon = self._latest - self._ttl
        while self._entries:
            key, (seen, _) = next(iter(self._entries.items()))
            if len(self._entries) > self._max or seen < horizon:
                del self._entries[key]
            else:
                break

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries
