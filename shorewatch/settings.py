"""Process settings from the environment: where the services are and the secrets to reach them.

Site knowledge (sensors, zones, thresholds) lives in YAML (`shorewatch.config`); this holds only
what differs per deployment and must never sit in a file in the repository.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

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
    mqtt_username: str | None = Field(
        default=None, description="Broker user (overrides one in the URL)."
    )
    mqtt_password: SecretStr | None = Field(default=None, description="Broker password.")
    mqtt_ca_file: Path | None = Field(
        default=None,
        description="CA certificate(s) to verify the broker's TLS certificate (mqtts://); "
        "unset uses the system's trust store.",
    )
    mqtt_cert_file: Path | None = Field(
        default=None, description="Client certificate, for brokers that require one (mqtts://)."
    )
    mqtt_key_file: Path | None = Field(default=None, description="The client certificate's key.")
    client_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="This instance's MQTT identity (its sessions are `<id>-<role>`); unset: "
        "host and topic root. Give each of two instances of a role on one host its own.",
    )
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

    @model_validator(mode="after")
    def _tls_files_need_tls(self) -> Settings:
        tls_files = (self.mqtt_ca_file, self.mqtt_cert_file, self.mqtt_key_file)
        if any(tls_files) and self.mqtt_url and not self.mqtt_url.startswith("mqtts://"):
            raise ValueError(
                "SHOREWATCH_MQTT_CA_FILE / _CERT_FILE / _KEY_FILE need an mqtts:// broker URL"
            )
        if (self.mqtt_cert_file is None) != (self.mqtt_key_file is None):
            raise ValueError("SHOREWATCH_MQTT_CERT_FILE and _KEY_FILE go together")
        return self

    def broker_url(self) -> str | None:
        """`mqtt_url` with the separately given credentials and TLS files folded in, in the
        form `shorewatch.bus.BrokerAddress` reads (secrets percent-encoded; never log it)."""
        if self.mqtt_url is None:
            return None
        return with_broker_options(
            self.mqtt_url,
            username=self.mqtt_username,
            password=self.mqtt_password.get_secret_value() if self.mqtt_password else None,
            ca_file=self.mqtt_ca_file,
            cert_file=self.mqtt_cert_file,
            key_file=self.mqtt_key_file,
        )


def with_broker_options(
    url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    ca_file: Path | None = None,
    cert_file: Path | None = None,
    key_file: Path | None = None,
) -> str:
    parts = urlsplit(url)
    user = username if username is not None else parts.username
    secret = password if password is not None else parts.password
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    if user is not None:
        credentials = quote(unquote(user) if username is None else user, safe="")
        if secret is not None:
            encoded = unquote(secret) if password is None else secret
            credentials += ":" + quote(encoded, safe="")
        netloc = f"{credentials}@{netloc}"
    query = parse_qsl(parts.query)
    for key, path in (("ca", ca_file), ("cert", cert_file), ("key", key_file)):
        if path is not None:
            query = [(k, v) for k, v in query if k != key] + [(key, str(path))]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))
