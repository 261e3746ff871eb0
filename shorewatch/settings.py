"""Process settings from the environment: where the services are and the secrets to reach them.

Site knowledge (sensors, zones, thresholds) lives in YAML (`shorewatch.config`); this holds only
what differs per deployment and must never sit in a file in the repository.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

INSECURE_TOKENS = frozenset({"", "changeme", "change-me", "secret", "token", "admin", "test"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOREWATCH_", extra="forbid")

    database_url: str | None = Field(
        default=None, description="PostgreSQL DSN; unset starts an embedded PostgreSQL."
    )
    mqtt_url: str | None = Field(
        default=None, description="mqtt://host:port; unset starts an embedded broker."
    )
    topic_root: str = Field(default="shorewatch", pattern=r"^[A-Za-z0-9_\-/]+$")
    config: Path | None = Field(default=None, description="Site YAML; unset uses the default.")
    data_dir: Path = Path("var")
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    api_token: SecretStr | None = Field(default=None, description="Bearer token for the API.")
    log_level: str = "INFO"
    live_recheck_s: float = Field(
        default=5.0, gt=0, le=300, description="How often a live WebSocket's key is re-checked."
    )
    console_dir: Path | None = Field(
        default=None, description="The built console to serve at `/`; unset: console/dist."
    )

    @model_validator(mode="after")
    def _refuse_weak_token(self) -> Settings:
        token = self.api_token.get_secret_value() if self.api_token else None
        if token is not None and (token.lower() in INSECURE_TOKENS or len(token) < 16):
            raise ValueError(
                "SHOREWATCH_API_TOKEN is too weak: use at least 16 random characters "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(24))'`)"
            )
        return self
