"""One console's live WebSocket: alert changes as they happen, the picture inside its
viewport about once a second, and its key checked again every few seconds (revoked or
disabled: closed with 1008).

Five tasks share the socket; when any ends (the client left, was too slow, or lost its key)
the others are cancelled. One writer sends everything, alerts first (`api/live_outbox.py`):
the picture goes in chunks an alert can overtake, and is made again only once the last one is
out. Sends are bounded by a timeout, so a client that stops reading is closed rather than
allowed to hold the server.

Timeouts are `asyncio.timeout`, never `asyncio.wait_for`: on Python 3.11 `wait_for` loses a
cancellation that lands as the awaited call completes (CPython issue 86296), and a task that
loses it loops on, so the session's end waited forever for it (seen as a hung test, about one
run in seven with the slow fake link).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Annotated, Literal, Protocol

import structlog
from fastapi import WebSocketDisconnect, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import Message

from api.live import LiveFeed
from api.live_outbox import Outbox
from api.picture import BBox, Entry, Picture
from api.principal import Principal
from shorewatch.events import Alert

log = structlog.get_logger(__name__)
PICTURE_INTERVAL_S = 1.0
PICTURE_CHUNK = 500
"""Targets per picture message (~200 kB): what an alert may have to wait behind."""
SEND_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 1.0
"""A client too slow to take a message will not take the close frame either."""


class Viewport(BaseModel):
    """`{"type": "viewport", "bbox": [west, south, east, north]}` from the console."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["viewport"]
    bbox: tuple[
        Annotated[float, Field(ge=-180, le=180)],
        Annotated[float, Field(ge=-90, le=90)],
        Annotated[float, Field(ge=-180, le=180)],
        Annotated[float, Field(ge=-90, le=90)],
    ]


class Closed(Exception):
    """The session ends: close the socket with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Sources(Protocol):
    """What a session reads from the service (`ApiContext` is one)."""

    @property
    def live(self) -> LiveFeed: ...
    @property
    def picture(self) -> Picture: ...
    @property
    def live_recheck_s(self) -> float: ...


class Socket(Protocol):
    """The part of Starlette's `WebSocket` a session uses."""

    async def receive(self) -> Message: ...
    async def send_text(self, data: str) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class LiveSession:
    def __init__(
        self,
        websocket: Socket,
        context: Sources,
        caller: Principal,
        authenticate: Callable[[], Principal | None],
    ) -> None:
        self._ws = websocket
        self._context = context
        self._caller = caller
        self._authenticate = authenticate
        self._outbox = Outbox()
        self._bbox: BBox | None = None
        self._full = asyncio.Event()
        """Set by a new viewport: the next picture message holds everything in view."""
        self._sent: dict[str, int] = {}
        """Picture keys this client holds, with the version it got."""

    async def run(self) -> None:
        queue = self._context.live.subscribe()
        tasks = [
            asyncio.create_task(self._writer()),
            asyncio.create_task(self._alerts(queue)),
            asyncio.create_task(self._receive()),
            asyncio.create_task(self._picture()),
            asyncio.create_task(self._recheck()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = task.exception()
                if isinstance(error, Closed):
                    await self._close(error.code, error.reason)
                elif error is not None and not isinstance(error, WebSocketDisconnect):
                    log.warning("live session ended", error=repr(error))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._context.live.unsubscribe(queue)

    async def _writer(self) -> None:
        """The only task that sends: alerts and replies first, then the picture's chunks."""
        while True:
            text = await self._outbox.next()
            try:
                async with asyncio.timeout(SEND_TIMEOUT_S):
                    await self._ws.send_text(text)
            except TimeoutError:
                raise Closed(status.WS_1013_TRY_AGAIN_LATER, "too slow") from None

    async def _close(self, code: int, reason: str) -> None:
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self._ws.close(code=code, reason=reason)
        except Exception:  # already gone: nothing to tell it
            log.debug("live close failed", code=code)

    async def _alerts(self, queue: asyncio.Queue[Alert | None]) -> None:
        while (alert := await queue.get()) is not None:
            if self._caller.sees_any(alert.all_jurisdictions()):
                self._outbox.put_urgent(alert.model_dump_json())
        raise Closed(status.WS_1013_TRY_AGAIN_LATER, "too slow")

    async def _receive(self) -> None:
        while True:
            message = await self._ws.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            text = message.get("text") or message.get("bytes") or b""
            try:
                viewport = Viewport.model_validate_json(text)
            except ValidationError as exc:
                detail = exc.errors()[0]["msg"] if exc.errors() else "invalid message"
                self._outbox.put_urgent(
                    json.dumps({"type": "error", "detail": f"ignored: {detail}"})
                )
                continue
            self._bbox = BBox(*viewport.bbox)
            self._full.set()

    async def _picture(self) -> None:
        """About once a second; at once after a new viewport. Never ahead of the client: the
        next picture is made once the last one is out, from the newest state then."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PICTURE_INTERVAL_S):
                    await self._full.wait()
            await self._outbox.picture_sent()
            bbox = self._bbox
            if bbox is None:
                continue
            full = self._full.is_set()
            self._full.clear()
            chunks, self._sent = await run_in_threadpool(self._diff, bbox, full)
            self._outbox.put_picture(chunks)

    def _diff(self, bbox: BBox, full: bool) -> tuple[list[str], dict[str, int]]:
        """On a worker thread: finding and joining what changed is ~10 ms for 10,000."""
        entries = self._context.picture.view(self._caller, bbox)
        return picture_messages(entries, self._sent, full)

    async def _recheck(self) -> None:
        """Revoking a key or disabling a user closes its feeds within one interval."""
        while True:
            await asyncio.sleep(self._context.live_recheck_s)
            caller = await run_in_threadpool(self._authenticate)
            if caller is None:
                raise Closed(status.WS_1008_POLICY_VIOLATION, "key revoked or user disabled")
            self._caller = caller  # a changed role or jurisdiction applies from now on


def picture_messages(
    entries: list[Entry], sent: dict[str, int], full: bool, chunk: int = PICTURE_CHUNK
) -> tuple[list[str], dict[str, int]]:
    """The picture messages for a client that holds `sent` (key -> version), and what it holds
    after them: targets new or changed in view (all in view when `full`, after a viewport
    change), `chunk` a message, and the keys it holds that left the view or the picture (in the
    first). No message: nothing to say."""
    in_view = {e.track.key: e for e in entries}
    changed = [e.json for key, e in in_view.items() if full or sent.get(key) != e.version]
    removed = [key for key in sent if key not in in_view]
    holds = {key: e.version for key, e in in_view.items()}
    if not changed and not removed and not full:
        return [], holds
    gone = json.dumps(removed)
    messages = []
    for start in range(0, max(1, len(changed)), chunk):
        body = ",".join(changed[start : start + chunk])
        messages.append(f'{{"type":"picture","tracks":[{body}],"removed":{gone}}}')
        gone = "[]"
    return messages, holds
