"""One camera's input settings, validated like the rest of the site YAML.

Kept apart from the reader so the site configuration can embed `CameraConfig` without
importing OpenCV. Credentials may sit in the URL (most cameras want them there): everything
that logs or reports a URL uses `redacted_url`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt"})


class CameraConfig(BaseModel):
    """How to read one camera (or a video file standing in for one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$", description="Sensor id.")
    url: str = Field(
        min_length=1,
        description="rtsp://user:pass@host:554/path, another FFmpeg URL, or a video file path.",
    )
    detect_fps: float = Field(default=5.0, gt=0, le=120, description="Frames handed on per s.")
    width: int | None = Field(default=None, ge=16, le=8192, description="Resize to this width.")
    height: int | None = Field(default=None, ge=16, le=8192, description="Resize to this height.")
    reconnect_min_s: float = Field(default=1.0, gt=0, le=600)
    reconnect_max_s: float = Field(default=30.0, gt=0, le=3600)
    open_timeout_s: float = Field(default=10.0, gt=0, le=120)
    read_timeout_s: float = Field(
        default=5.0, gt=0, le=120, description="Silence after which the camera is offline."
    )
    realtime: bool = Field(default=True, description="Files: pace at their own frame rate.")
    loop: bool = Field(default=False, description="Files: start again at the end (demo).")

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        scheme = urlsplit(url).scheme.lower()
        if "://" in url and scheme not in STREAM_SCHEMES | {"file"}:
            raise ValueError(f"unsupported URL scheme {scheme!r}")
        return url

    @model_validator(mode="after")
    def _backoff_order(self) -> Self:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        return self

    @property
    def is_file(self) -> bool:
        """A file ends (or loops); a stream is reconnected to when it drops."""
        return "://" not in self.url or urlsplit(self.url).scheme.lower() == "file"

    @property
    def source(self) -> str:
        """What OpenCV opens: the URL, or the plain path of a file:// URL."""
        if self.url.lower().startswith("file://"):
            return urlsplit(self.url).path
        return self.url

    @property
    def file_path(self) -> Path | None:
        return Path(self.source) if self.is_file else None

    @property
    def redacted_url(self) -> str:
        """The URL with any password replaced, safe for logs, statuses and the API."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        host = parts.hostname or ""
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        netloc = f"{parts.username}:***@{host}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
