"""One console's live socket (api/live_session.py): an alert overtakes a large picture on its
way down a slow link, the picture goes in chunks, and a client that is behind is not queued a
backlog of pictures."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel
from starlette.types import Message

from api.live import LiveFeed
from api.live_session import PICTURE_CHUNK, LiveSession, picture_messages
from api.picture import Picture
from api.principal import Principal, Role
from shorewatch.config.site import parse_config
from shorewatch.events import Alert, EventKind, Level, PictureTrack, PictureUpdate, Source
from shorewatch.jurisdictions import build_jurisdictions

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
ADMIN = Principal("admin", Role.ADMIN, None)
BYTES_PER_S = 2_000_000
"""The fake link: a 3,000-target picture (~1 MB) takes about half a second to go down it."""


T = TypeVar("T")


def run_isolated(main: Callable[[], Coroutine[object, object, T]]) -> T:
    """`asyncio.run` on a thread of its own: in the whole suite the browser tests' Playwright
    (sync API) keeps an event loop running on the main thread, where asyncio.run refuses."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


class Received(BaseModel):
    """A message as the client reads it."""

    type: str
    tracks: list[PictureTrack] = []
    removed: list[str] = []


@dataclass(frozen=True)
class Sources:
    live: LiveFeed
    picture: Picture
    live_recheck_s: float = 60.0


class SlowSocket:
    """A client on a slow link: each message takes its size over `BYTES_PER_S` to send, and is
    recorded once it has gone (when the client would have it)."""

    def __init__(self, bbox: list[float]) -> None:
        self.sent: list[tuple[float, str]] = []
        self._viewport: str | None = json.dumps({"type": "viewport", "bbox": bbox})
        self._closed = asyncio.Event()

    async def receive(self) -> Message:
        if self._viewport is not None:
            text, self._viewport = self._viewport, None
            return {"type": "websocket.receive", "text": text}
        await self._closed.wait()
        return {"type": "websocket.disconnect", "code": 1000}

    async def send_text(self, data: str) -> None:
        await asyncio.sleep(len(data) / BYTES_PER_S)
        self.sent.append((time.monotonic(), data))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self._closed.set()

    def of_type(self, kind: str) -> list[tuple[float, Received]]:
        decoded = [(at, Received.model_validate_json(text)) for at, text in self.sent]
        return [(at, message) for at, message in decoded if message.type == kind]


def crowd(count: int, step: int) -> PictureUpdate:
    tracks = tuple(
        PictureTrack(
            key=f"radar:crowd-{i}",
            sources=(Source.RADAR,),
            lat=58.0 + (i % 60) * 0.005,
            lon=11.0 + (i // 60) * 0.005 + step * 1e-5,
            sog_kn=5.0,
            last_seen=NOW,
        )
        for i in range(count)
    )
    return PictureUpdate(tile="58N011E", time=NOW, tracks=tracks)


def red_alert() -> Alert:
    return Alert(
        id=uuid.uuid4(),
        kind=EventKind.DARK_TARGET,
        target="radar:dark-1",
        score=85,
        level=Level.RED,
        lat=58.1,
        lon=11.1,
        event_ids=(uuid.uuid4(),),
        event_count=1,
        created_at=NOW,
        updated_at=NOW,
    )


def sources() -> Sources:
    site = parse_config('version: "test"\n', "t.yaml", Path())
    return Sources(LiveFeed(), Picture(build_jurisdictions(site), ttl_s=600))


async def open_session(feed: Sources, socket: SlowSocket) -> asyncio.Task[None]:
    feed.live.bind(asyncio.get_running_loop())
    session = LiveSession(socket, feed, ADMIN, lambda: ADMIN)
    return asyncio.create_task(session.run())


async def until(
    condition: Callable[[], bool], session: asyncio.Task[None], what: str, timeout_s: float = 30.0
) -> None:
    """Wait for `condition`, failing (rather than hanging the suite) when the session ends
    first or it takes longer than any slow machine would."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if session.done():
            raise AssertionError(f"the session ended before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout_s:g} s")
        await asyncio.sleep(0.01)


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_an_alert_overtakes_a_large_picture_on_a_slow_link() -> None:
    async def scenario() -> tuple[float, int, int]:
        feed = sources()
        feed.picture.apply(crowd(3000, 0))
        socket = SlowSocket([10.5, 57.5, 12.5, 58.8])
        task = await open_session(feed, socket)
        try:
            # the first chunk of the picture is out; the rest is going
            await until(lambda: bool(socket.sent), task, "a picture chunk")
            alert = red_alert()
            published = time.monotonic()
            feed.live.publish_threadsafe(alert)
            await until(lambda: bool(socket.of_type("alert")), task, "the alert")
            arrived = socket.of_type("alert")[0][0]
            await until(
                lambda: sum(len(m.tracks) for _, m in socket.of_type("picture")) >= 3000,
                task,
                "the whole picture",
            )
        finally:
            await stop(task)
        after = [m for at, m in socket.of_type("picture") if at > arrived]
        return arrived - published, len(after), len(socket.of_type("picture"))

    waited, chunks_after, chunks = run_isolated(scenario)
    # Sent whole, the ~1 MB picture would hold the alert for ~0.5 s; a chunk is a sixth of it.
    assert waited < 0.25, f"the alert waited {waited:.2f} s behind the picture"
    assert chunks == 3000 // PICTURE_CHUNK
    assert chunks_after >= 2, "the rest of the picture went after the alert"


def test_a_client_behind_gets_the_newest_state_not_a_backlog() -> None:
    async def scenario() -> list[int]:
        feed = sources()
        feed.picture.apply(crowd(3000, 0))
        socket = SlowSocket([10.5, 57.5, 12.5, 58.8])
        task = await open_session(feed, socket)
        for step in range(1, 31):  # every target moves ten times a second for three seconds
            await asyncio.sleep(0.1)
            feed.picture.apply(crowd(3000, step))
        await asyncio.sleep(1.5)
        await stop(task)
        counts: dict[str, int] = {}
        for _, message in socket.of_type("picture"):
            for track in message.tracks:
                counts[track.key] = counts.get(track.key, 0) + 1
        return sorted(counts.values())

    counts = run_isolated(scenario)
    # ~0.5 s to send each picture: each target goes about once per send, not 31 times.
    assert len(counts) == 3000
    assert counts[-1] <= 10, f"a target was sent {counts[-1]} times in 31 changes"


class FastSocket(SlowSocket):
    """A client on a fast link: every send completes on the next turn of the event loop."""

    async def send_text(self, data: str) -> None:
        await asyncio.sleep(0)
        self.sent.append((time.monotonic(), data))


def test_a_session_ends_when_cancelled_however_its_sends_fall() -> None:
    """A session cancelled while its writer sends alerts back to back ends at once, at every
    offset between a send and the cancellation. On Python 3.11 `asyncio.wait_for` loses a
    cancellation that lands as the awaited send completes (CPython issue 86296); the writer
    then looped on and the session never ended."""

    async def cancelled_after(turns: int) -> bool:
        """True when the session ended within 2 s of its cancellation."""
        feed = sources()
        socket = FastSocket([10.5, 57.5, 12.5, 58.8])
        task = await open_session(feed, socket)
        for _ in range(900):  # below the client queue's 1,000: the writer is busy throughout
            feed.live.publish_threadsafe(red_alert())
        while len(socket.sent) < 10:
            await asyncio.sleep(0)
        for _ in range(turns):  # the cancellation lands at another point of a send each time
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2.0)
        if not done:
            task.cancel()  # a second cancellation frees it
            await asyncio.wait({task}, timeout=2.0)
        return bool(done)

    async def scenario() -> list[int]:
        return [turns for turns in range(40) if not await cancelled_after(turns)]

    assert run_isolated(scenario) == []


def test_picture_messages_are_chunked_with_the_removals_first() -> None:
    feed = sources()
    feed.picture.apply(crowd(1200, 0))
    entries = feed.picture.view(ADMIN)
    held = {"radar:gone": 1}
    messages, holds = picture_messages(entries, held, False, chunk=500)
    decoded = [Received.model_validate_json(m) for m in messages]
    assert [len(m.tracks) for m in decoded] == [500, 500, 200]
    assert [m.removed for m in decoded] == [["radar:gone"], [], []]
    assert set(holds) == {e.track.key for e in entries}
    assert picture_messages(entries, holds, False) == ([], holds)
    empty, _ = picture_messages([], {}, True)
    assert [json.loads(m) for m in empty] == [{"type": "picture", "tracks": [], "removed": []}]
