"""TAK (ATAK/iTAK/WinTAK) links: where alerts and zones go as Cursor-on-Target, where crews'
own CoT positions come in from, and which CoT sender is which patrol unit."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shorewatch.events import Level, UnitId


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TakOutput(Strict):
    """A TAK server (tcp:// or tls://) or a multicast/unicast group (udp://) to send CoT to."""

    url: str = Field(description="tcp://host:8087, tls://host:8089 or udp://239.2.3.1:6969")
    protocol: Literal["xml", "stream", "mesh"] = Field(
        default="stream", description="xml, or TAK protocol v1 (stream for TCP, mesh for UDP)."
    )
    min_level: Level = Level.YELLOW
    stale_s: float = Field(default=600.0, gt=0, description="How long a marker stays fresh.")
    zones_every_s: float = Field(default=600.0, gt=0, description="Re-send the zones this often.")
    tracks: Literal["none", "alerted", "all"] = Field(
        default="alerted",
        description="Fused-picture targets sent as markers: none, those with an open alert "
        "(at or above min_level), or all (small areas only: capped by tracks_max).",
    )
    tracks_every_s: float = Field(
        default=5.0, gt=0, description="Send the changed targets' markers this often."
    )
    tracks_max: int = Field(
        default=500, ge=1, le=100_000, description="At most this many target markers per send."
    )
    link_base: str | None = Field(
        default=None, description="https://host of the API, to make alert/snapshot links absolute."
    )
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    reconnect_max_s: float = Field(default=30.0, gt=0)

    @field_validator("url")
    @classmethod
    def _scheme(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("tcp", "tls", "udp") or not parts.hostname or not parts.port:
            raise ValueError("url must be tcp://, tls:// or udp:// with a host and a port")
        return url

    @model_validator(mode="after")
    def _framing(self) -> Self:
        scheme = urlsplit(self.url).scheme
        if scheme == "udp" and self.protocol == "stream":
            raise ValueError("udp carries one event per datagram: protocol xml or mesh")
        if scheme != "udp" and self.protocol == "mesh":
            raise ValueError("tcp/tls carry a stream: protocol xml or stream")
        return self


class TakInput(Strict):
    """Crews' CoT (their devices' position reports) arriving as UDP datagrams (mesh SA)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
    host: str = "0.0.0.0"
    port: int = Field(ge=0, le=65535)


class TakConfig(Strict):
    outputs: list[TakOutput] = Field(default_factory=list)
    inputs: list[TakInput] = Field(default_factory=list)
    units: dict[str, UnitId] = Field(
        default_factory=dict,
        description="CoT uid or callsign -> unit id; a sender not listed is ignored (counted).",
    )
