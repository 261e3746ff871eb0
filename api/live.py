"""Fan-out of alert changes to WebSocket clients, fed from the bus thread.

Each client has a bounded queue; a client too slow to keep up is disconnected rather than
allowed to grow memory without bound.
"""

from __future__ import annotations

import asyncio

import structlog

from shorewatch.events import Alert

log = structlog.get_logger(__name__)


class LiveFeed:
    def __init__(self, client_queue_size: int = 1000) -> None:
        self._clients: set[asyncio.Queue[Alert | None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._size = client_queue_size

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def subscribe(self) -> asyncio.Queue[Alert | None]:
        queue: asyncio.Queue[Alert | None] = asyncio.Queue(self._size)
        self._clients.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Alert | None]) -> None:
        self._clients.discard(queue)

    def publish_threadsafe(self, alert: Alert) -> None:
        """Called from any thread (the bus); delivery happens on the API's event loop."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._deliver, alert)

    def _deliver(self, alert: Alert) -> None:
        for queue in list(self._clients):
            try:
                queue.put_nowait(alert)
            except asyncio.QueueFull:
                log.warning("live client too slow; disconnecting it")
                self._clients.discard(queue)
                queue.get_nowait()  # make room for the close marker
                queue.put_nowait(None)
