"""Heartbeats: each process says, on its retained `status/{component}` topic, that it is alive,
which roles it runs and when it last said so; a board keeps the latest word of every process.

The bus's online flag (set on connect, cleared by the broker's last will) alone misses a
process whose connection lingers while it is gone or hung, and names no roles; a timestamp
every few seconds lets health call a silent one stale and say which part of the pipeline is
missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog
from pydantic import BaseModel, ValidationError

from shorewatch.events import MESSAGE_ADAPTER, ComponentStatus, Message, ProcessProblem

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
ProblemSource = Callable[[], Iterable[ProcessProblem]]


class StatusPublisher(Protocol):
    """What the heartbeat needs from the bus."""

    @property
    def connected(self) -> bool: ...

    def publish(self, topic: str, message: BaseModel, *, retain: bool = False) -> object: ...


class Heartbeat:
    """Publishes this process's retained status every `interval_s` while the bus is up."""

    def __init__(
        self,
        bus: StatusPublisher,
        topic: str,
        component: str,
        roles: Iterable[str],
        clock: Clock,
        interval_s: float,
    ) -> None:
        self._bus = bus
        self._topic = topic
        self._component = component
        self._roles = tuple(sorted(roles))
        self._clock = clock
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._sources: list[ProblemSource] = []

    def watch(self, source: ProblemSource) -> None:
        """Report what `source` says is wrong with this process in every heartbeat."""
        self._sources.append(source)

    def beat(self) -> None:
        if not self._bus.connected:
            return  # a beat queued while away would arrive late and claim a false freshness
        problems = tuple(p for source in self._sources for p in source())
        status = ComponentStatus(
            component=self._component,
            online=True,
            roles=self._roles,
            time=self._clock(),
            problems=problems,
        )
        self._bus.publish(self._topic, status, retain=True)

    def start(self) -> None:
        self.beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.beat()
            except Exception:
                log.exception("heartbeat failed")


@dataclass(frozen=True)
class ComponentState:
    component: str
    roles: tuple[str, ...]
    online: bool
    last_beat: datetime | None
    """The last heartbeat's time; None when only the bus's connect or will message was seen."""
    problems: tuple[ProcessProblem, ...] = ()
    """What the process said was wrong with its own work in its last heartbeat."""


class ComponentBoard:
    """The latest status of every process, fed from `status/+` (retained, so a new subscriber
    learns every known process at once). Roles and the last beat survive the will's offline
    message, which carries neither, so health can name what the dead process was doing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, ComponentState] = {}

    def on_payload(self, topic: str, payload: bytes) -> None:
        """For `Bus.subscribe_raw(topics.all_status, ...)`: an empty retained payload is how an
        operator clears a process that is gone for good, so it leaves the board too."""
        if not payload:
            with self._lock:
                self._states.pop(topic.rsplit("/", 1)[-1], None)
            return
        try:
            message = MESSAGE_ADAPTER.validate_json(payload)
        except ValidationError:
            log.warning("unreadable status message", topic=topic)
            return
        self.on_message(message)

    def on_message(self, message: Message) -> None:
        if not isinstance(message, ComponentStatus):
            return
        with self._lock:
            known = self._states.get(message.component)
            self._states[message.component] = ComponentState(
                component=message.component,
                roles=message.roles or (known.roles if known else ()),
                online=message.online,
                last_beat=message.time or (known.last_beat if known else None),
                problems=message.problems if message.time else (known.problems if known else ()),
            )

    def snapshot(self) -> list[ComponentState]:
        with self._lock:
            return sorted(self._states.values(), key=lambda s: s.component)
