"""What health watches for: how often each process says it is alive, when silence counts as
stale, and which roles a deployment must have running (docs/operations.md, "Health")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RoleName = Literal["ingest", "recorder", "detector", "alerts", "api"]
ALL_ROLES: tuple[RoleName, ...] = ("ingest", "recorder", "detector", "alerts", "api")


class HealthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    heartbeat_interval_s: float = Field(
        default=10.0, gt=0, description="How often each process publishes its retained status."
    )
    stale_after_s: float = Field(
        default=35.0,
        gt=0,
        description="A process whose last heartbeat is older than this is named stale "
        "(leave room for clock skew between hosts and a missed beat or two).",
    )
    expected_roles: list[RoleName] = Field(
        default_factory=lambda: list(ALL_ROLES),
        description="Roles that must have a live process somewhere; a missing one is degraded.",
    )

    @model_validator(mode="after")
    def _stale_after_beats(self) -> HealthConfig:
        if self.stale_after_s <= self.heartbeat_interval_s:
            raise ValueError("stale_after_s must be longer than heartbeat_interval_s")
        return self
