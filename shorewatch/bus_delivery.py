"""Delivery bookkeeping of the bus: when a received message may be acknowledged, the worker
thread that runs a subscription's handler, and the pacing and tracking of our own publishes.

A received message is acknowledged once every handler it went to is done and every message
those handlers published meanwhile has been acknowledged by the broker: until then the broker
holds it for us, and redelivers it if we go away.
"""

from __future__ import annotations

import queue
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import structlog

log = structlog.get_logger("shorewatch.bus")


class _Countdown(ABC):
    """Held by whoever still has work to finish; when the last lets go, `_done` runs once."""

    __slots__ = ("_left", "_lock")

    def __init__(self, left: int) -> None:
        self._left = left
        self._lock = threading.Lock()

    def hold(self) -> None:
        with self._lock:
            self._left += 1

    def release(self) -> None:
        with self._lock:
            self._left -= 1
            finished = self._left == 0
        if finished:
            self._done()

    @abstractmethod
    def _done(self) -> None: ...


class Delivery(_Countdown):
    """One received message. It is acknowledged to the broker once every handler it went to
    is done (a deferred handler: once its work is durable) and every message those handlers
    published has been acknowledged in turn; until then the broker holds it for us."""

    __slots__ = ("_finished", "generation", "mid", "qos")

    def __init__(
        self,
        finished: Callable[[Delivery], None],
        mid: int,
        qos: int,
        generation: int,
        handlers: int,
    ) -> None:
        super().__init__(handlers)
        self._finished = finished
        self.mid = mid
        self.qos = qos
        self.generation = generation

    def _done(self) -> None:
        self._finished(self)


class Held(Protocol):
    """What a publish made while handling holds until the broker acknowledges it."""

    def hold(self) -> None: ...

    def release(self) -> None: ...


class DeliveryGroup(_Countdown):
    """The deliveries of one batch, held as one: each publish its handler makes holds the
    group, not every delivery in it (a batch of n that publishes n alerts would otherwise
    cost n² holds and releases). The group holds each delivery once, and releases them once
    the handler is done and every publish it made has been acknowledged."""

    __slots__ = ("_deliveries",)

    def __init__(self, deliveries: tuple[Delivery, ...]) -> None:
        super().__init__(1)  # the handler, released when it returns
        for delivery in deliveries:
            delivery.hold()
        self._deliveries = deliveries

    def _done(self) -> None:
        for delivery in self._deliveries:
            delivery.release()


class Handling(threading.local):
    """The deliveries whose handler runs on this thread: what it publishes holds their ack."""

    deliveries: tuple[Held, ...] = ()


handling = Handling()
Deliver = Callable[[str, bytes, Delivery], None]
DeliverMany = Callable[[list[tuple[str, bytes]]], None]


class Subscription:
    """A queue and a worker thread that hands messages to one handler, in order. The paho
    callback only appends to the queue (never blocks): the broker's receive maximum, not this
    queue, bounds what waits here, because nothing is acknowledged before it is handled."""

    def __init__(
        self,
        name: str,
        deliver: Deliver | None,
        on_error: Callable[[str], None],
        *,
        deliver_many: DeliverMany | None = None,
        max_batch: int = 1,
    ) -> None:
        self.queue: queue.Queue[tuple[str, bytes, Delivery] | None] = queue.Queue()
        self._deliver = deliver
        self._deliver_many = deliver_many
        self._max_batch = max_batch
        self._on_error = on_error
        self._thread = threading.Thread(target=self._run, name=f"bus-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            items = [item]
            stopping = False
            while len(items) < self._max_batch:  # what has queued up meanwhile, at once
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                items.append(more)
            group = DeliveryGroup(tuple(d for _t, _p, d in items))
            handling.deliveries = (group,)
            try:
                if self._deliver_many is not None:
                    self._deliver_many([(t, p) for t, p, _d in items])
                else:
                    assert self._deliver is not None
                    self._deliver(*items[0])
            except Exception:
                # A message its handler cannot take (a bug, not an outage: the handlers retry
                # those) is counted and logged, and acknowledged, so it cannot wedge the stream.
                log.exception("bus handler failed", topic=items[0][0])
                self._on_error(items[0][0])
            finally:
                handling.deliveries = ()
                group.release()
                for _t, _p, delivery in items:
                    delivery.release()
                    self.queue.task_done()
            if stopping:
                break
        self.queue.task_done()

    def stop(self) -> None:
        self.queue.put(None)
        self._thread.join(timeout=5)


class PublishAcks:
    """Which deliveries wait for the broker to acknowledge which of our publishes.

    paho tells us a publish's id only after sending it, and its acknowledgement may already
    have come: such early acknowledgements are kept a short while (bounded, and only the
    recent ones, so a recycled id cannot match a stale one)."""

    KEEP = 1024
    KEEP_S = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[Held, ...]] = {}
        self._early: OrderedDict[int, float] = OrderedDict()

    def watch(self, mid: int, deliveries: tuple[Held, ...]) -> None:
        for delivery in deliveries:
            delivery.hold()
        with self._lock:
            seen = self._early.pop(mid, None)
            early = seen is not None and time.monotonic() - seen < self.KEEP_S
            if not early:
                self._waiting[mid] = deliveries
        if early:
            for delivery in deliveries:
                delivery.release()

    def acked(self, mid: int) -> None:
        with self._lock:
            deliveries = self._waiting.pop(mid, None)
            if deliveries is None:
                self._early[mid] = time.monotonic()
                while len(self._early) > self.KEEP:
                    self._early.popitem(last=False)
        for delivery in deliveries or ():
            delivery.release()


class PublishWindow:
    """Bounds our unacknowledged QoS 1 publishes, so a burst (a replayed file, a feed that
    reconnects with a backlog) is paced by the broker instead of overrunning the queues it
    keeps for subscribers, which Mosquitto and EMQX drop from when full."""

    def __init__(self, size: int) -> None:
        self._slots = threading.Semaphore(size)
        self._lock = threading.Lock()
        self._pending: set[int] = set()
        self._unpaced: set[int] = set()
        self._early: set[int] = set()

    def acquire(self, timeout_s: float) -> bool:
        return self._slots.acquire(timeout=timeout_s)

    def sent(self, mid: int) -> None:
        with self._lock:
            if mid in self._early:
                self._early.discard(mid)
                self._slots.release()
            else:
                self._pending.add(mid)

    def sent_unpaced(self, mid: int) -> None:
        """A message published without a slot (broker away): its ack must not free one."""
        with self._lock:
            if mid in self._early:
                self._early.discard(mid)
            else:
                self._unpaced.add(mid)

    def acked(self, mid: int) -> None:
        with self._lock:
            if mid in self._pending:
                self._pending.discard(mid)
                self._slots.release()
            elif mid in self._unpaced:
                self._unpaced.discard(mid)
            else:  # acknowledged before publish() returned its id
                self._early.add(mid)

    def unsent(self) -> None:
        self._slots.release()
