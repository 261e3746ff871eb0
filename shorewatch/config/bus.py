"""How the processes use the MQTT bus: durable sessions, flow control and batching.

A session that outlives a restart keeps what the broker holds for a process while it is down
(`session_expiry_s`); the broker sends a consumer at most `receive_maximum` messages it has not
acknowledged, and a message is acknowledged only once its work is durable, so a stalled store
holds the stream at the broker instead of in memory. Sensor reports travel in batches, and so do
the events the detector raised on one message and the alerts one transaction changed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BusConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    session_expiry_s: int = Field(
        default=3600,
        ge=0,
        le=4_294_967_295,
        description="How long the broker keeps a process's session (and queues its messages) "
        "while it is away; 0: a clean session on every start.",
    )
    receive_maximum: int = Field(
        default=100,
        ge=1,
        le=65_535,
        description="Unacknowledged messages the broker may have out to one consumer.",
    )
    batch_max: int = Field(
        default=200, ge=1, le=10_000, description="Sensor reports per bus message at most."
    )
    batch_linger_ms: float = Field(
        default=5.0,
        ge=0.0,
        le=1000.0,
        description="How long a sensor's first report waits for company before it is sent.",
    )
    alert_batch_max: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Alerts of one level per bus message at most, when one transaction of the "
        "alerts worker changed many (1: every alert in a message of its own).",
    )
    event_batch_max: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Events of one kind per bus message at most, when the detector's handling "
        "of one bus message (a sensor's batch of reports) raised many (1: every event in a "
        "message of its own).",
    )
    share_group: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="MQTT 5 shared-subscription group of the recorders and of the alerts "
        "workers, to run several that split one stream. Unset: each subscribes plainly, which "
        "Mosquitto keeps across its own restart (it does not keep shared subscriptions).",
    )
