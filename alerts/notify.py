"""Telling an assigned unit: an MQTT notice on its topic and a POST to its webhook.

Never raises into the dispatcher's request: the MQTT publish is handed to the bus at once and
confirmed in the background; the webhook is tried on a worker thread by `WebhookPoster`
(`alerts/webhooks.py`: a timeout, retries with back-off). Every outcome is counted
(`shorewatch_unit_notifications_total`) and failures are logged, so a unit that was not reached
shows on /metrics and in the assignment (`notified_at` stays empty).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial

import paho.mqtt.client as mqtt
import structlog

from alerts.webhooks import WebhookPoster
from shorewatch.bus import Bus
from shorewatch.events import UnitNotice
from shorewatch.metrics import Metrics

log = structlog.get_logger(__name__)
Delivered = Callable[[int, datetime], None]
"""Called with the assignment id and the time, once per channel that delivered."""


class UnitNotifier:
    def __init__(
        self,
        bus: Bus,
        metrics: Metrics,
        delivered: Delivered,
        clock: Callable[[], datetime],
        *,
        timeout_s: float = 5.0,
        attempts: int = 4,
        backoff_s: float = 0.5,
        workers: int = 4,
    ) -> None:
        self._bus = bus
        self._metrics = metrics
        self._delivered = delivered
        self._clock = clock
        self._timeout_s = timeout_s
        self._poster = WebhookPoster(
            partial(self._count, "webhook"),
            timeout_s=timeout_s,
            attempts=attempts,
            backoff_s=backoff_s,
        )
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="unit-notify")

    def notify(self, notice: UnitNotice, assignment_id: int, webhook_url: str | None) -> None:
        try:
            info = self._bus.publish(self._bus.topics.unit_assignments(notice.unit_id), notice)
        except Exception:
            log.exception("unit notice not published", unit=notice.unit_id, alert=notice.alert_id)
            self._count("mqtt", "failed")
        else:
            self._submit(partial(self._confirm_mqtt, info, notice, assignment_id))
        if webhook_url:
            self._submit(partial(self._post, webhook_url, notice, assignment_id))

    def close(self) -> None:
        """Abandon back-off waits and finish what is in flight (bounded by the timeout)."""
        self._poster.close()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _submit(self, task: Callable[[], None]) -> None:
        try:
            self._executor.submit(_guarded, task)
        except RuntimeError:  # shutting down: the service is stopping
            log.warning("unit notifier closed; notice not sent")

    def _confirm_mqtt(
        self, info: mqtt.MQTTMessageInfo, notice: UnitNotice, assignment_id: int
    ) -> None:
        try:
            info.wait_for_publish(self._timeout_s)
            published = info.is_published()
        except (ValueError, RuntimeError):
            published = False
        if published:
            self._count("mqtt", "delivered")
            self._record(assignment_id)
        else:
            # paho keeps a QoS 1 message queued and resends it on reconnect; we only know it
            # was not acknowledged in time.
            self._count("mqtt", "unconfirmed")
            log.warning(
                "unit notice not acknowledged by the broker",
                unit=notice.unit_id,
                alert=str(notice.alert_id),
                timeout_s=self._timeout_s,
            )

    def _post(self, url: str, notice: UnitNotice, assignment_id: int) -> None:
        delivered, error = self._poster.post(url, notice.model_dump_json().encode())
        if delivered:
            self._record(assignment_id)
        else:
            log.warning(
                "unit webhook failed", unit=notice.unit_id, alert=str(notice.alert_id), error=error
            )

    def _record(self, assignment_id: int) -> None:
        try:
            self._delivered(assignment_id, self._clock())
        except Exception:
            log.exception("could not record a delivered unit notice", assignment=assignment_id)

    def _count(self, channel: str, outcome: str) -> None:
        self._metrics.unit_notifications.labels(channel=channel, outcome=outcome).inc()


def _guarded(task: Callable[[], None]) -> None:
    """An executor keeps a task's exception in a future nobody reads: log it instead."""
    try:
        task()
    except Exception:
        log.exception("unit notification task failed")
