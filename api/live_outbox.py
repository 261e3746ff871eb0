"""What one live WebSocket sends next: alert changes (and replies) ahead of the picture.

The picture is handed over as a few chunks (a 10,000-target picture is ~4 MB); the one writer
takes an alert before the next chunk, so an alert waits behind one chunk at most, never behind
a whole picture. A new picture is made only once the last one is out, so a client that is
behind is not queued a backlog: its next message carries the newest state of each target.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Outbox:
    def __init__(self) -> None:
        self._urgent: deque[str] = deque()
        self._picture: deque[str] = deque()
        self._ready = asyncio.Event()
        """Something is waiting to be sent."""
        self._picture_out = asyncio.Event()
        """No picture chunk is waiting: the next picture may be made."""
        self._picture_out.set()

    def put_urgent(self, text: str) -> None:
        self._urgent.append(text)
        self._ready.set()

    def put_picture(self, chunks: list[str]) -> None:
        if not chunks:
            return
        self._picture.extend(chunks)
        self._picture_out.clear()
        self._ready.set()

    async def picture_sent(self) -> None:
        """Returns once every picture chunk handed over has been taken by the writer."""
        await self._picture_out.wait()

    async def next(self) -> str:
        """The next message to send: the oldest alert, else the next picture chunk."""
        while not self._urgent and not self._picture:
            self._ready.clear()
            await self._ready.wait()
        if self._urgent:
            return self._urgent.popleft()
        text = self._picture.popleft()
        if not self._picture:
            self._picture_out.set()
        return text
