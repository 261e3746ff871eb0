"""The disk spool of what ingest accepted and the broker has not acknowledged yet.

Sized for the longest broker outage the site must ride out: at a feed's rate r (bytes/s of
batched JSON, about 200 bytes per observation), `max_mb` holds max_mb / r seconds of it. Past
a bound the oldest records are dropped, counted (`shorewatch_spool_dropped`) and logged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SpoolConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=True,
        description="Write every observation batch to the spool before it is published.",
    )
    max_mb: float = Field(default=1024.0, gt=0, description="Unacknowledged bytes at most.")
    max_age_s: float = Field(
        default=7 * 24 * 3600.0, gt=0, description="Unacknowledged records older are dropped."
    )
    segment_mb: float = Field(default=8.0, gt=0, le=1024, description="One segment file's size.")
    fsync: Literal["always", "interval", "never"] = Field(
        default="interval",
        description="always: each append survives a power cut (slow); interval: at most "
        "`fsync_interval_ms` of appends may not; never: the OS decides. Every policy "
        "survives a crash of the process.",
    )
    fsync_interval_ms: float = Field(default=200.0, gt=0, le=60_000)
    inflight: int = Field(
        default=100, ge=1, le=10_000, description="Spooled messages out to the broker at once."
    )
    backlog_after_s: float = Field(
        default=60.0,
        gt=0,
        description="Records waiting longer than this make the process report a spool "
        "backlog in its heartbeat (health: degraded, named).",
    )
    replay_s: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="After a reconnect, publish again what the broker acknowledged this long "
        "before it went away: a broker that acknowledges before it saves (Mosquitto 2.0) "
        "loses those when it is killed. Duplicates are absorbed downstream.",
    )
