"""A batch's deliveries are acknowledged only once its handler is done and every message it
published has been acknowledged, held as one group (shorewatch/bus_delivery.py)."""

from __future__ import annotations

from shorewatch.bus_delivery import Delivery, DeliveryGroup, PublishAcks


def test_a_batch_is_acknowledged_after_its_last_publish_is() -> None:
    finished: list[int] = []
    batch = tuple(Delivery(lambda d: finished.append(d.mid), n, 1, 0, 1) for n in range(3))
    group = DeliveryGroup(batch)
    acks = PublishAcks()
    acks.watch(101, (group,))  # the handler publishes two alerts
    acks.watch(102, (group,))
    group.release()  # the handler returns, and the subscription lets go of each message
    for delivery in batch:
        delivery.release()
    assert finished == []
    acks.acked(102)
    assert finished == []
    acks.acked(101)
    assert finished == [0, 1, 2]


def test_a_batch_that_published_nothing_is_acknowledged_when_handled() -> None:
    finished: list[int] = []
    batch = tuple(Delivery(lambda d: finished.append(d.mid), n, 1, 0, 1) for n in range(2))
    group = DeliveryGroup(batch)
    group.release()
    assert finished == []
    for delivery in batch:
        delivery.release()
    assert finished == [0, 1]
