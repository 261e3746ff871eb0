"""Field-report photos on disk: typed by their bytes, named by us, kept for a limited time.

Nothing the client sends chooses a path or a type: the type comes from the file's magic bytes
and the name from the report id. Photos older than the retention, or beyond a total size cap
(oldest first), are deleted, so a flood of reports cannot fill the disk.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Literal

MAX_PHOTO_BYTES = 2 * 1024 * 1024
MAX_PHOTO_BASE64_CHARS = (MAX_PHOTO_BYTES + 2) // 3 * 4
DEFAULT_MAX_TOTAL_BYTES = 2 * 1024**3
PhotoType = Literal["image/jpeg", "image/png"]
_MAGIC: dict[PhotoType, tuple[bytes, str]] = {
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
}


def suffix(content_type: PhotoType) -> str:
    return _MAGIC[content_type][1]


class PhotoRejected(ValueError):
    """Not a photo we accept; the message says why, for the caller's 4xx."""


def decode_photo(text: str) -> tuple[bytes, PhotoType]:
    """Strict base64 to bytes and the sniffed content type; PhotoRejected otherwise."""
    if len(text) > MAX_PHOTO_BASE64_CHARS:
        raise PhotoRejected(f"photo is larger than {MAX_PHOTO_BYTES} bytes")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PhotoRejected(f"photo is not valid base64: {exc}") from exc
    if not data:
        raise PhotoRejected("photo is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected(f"photo is larger than {MAX_PHOTO_BYTES} bytes")
    return data, sniff(data)


def sniff(data: bytes) -> PhotoType:
    for content_type, (magic, _suffix) in _MAGIC.items():
        if data.startswith(magic):
            return content_type
    raise PhotoRejected("photo must be a JPEG or PNG image (checked by its content)")


class PhotoStore:
    def __init__(
        self,
        root: Path,
        retention: timedelta,
        *,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
        clock: Callable[[], float] = time.time,
        prune_every_s: float = 0.0,
    ) -> None:
        """`prune_every_s`: a store written often (camera snapshots, tens of thousands of
        files at 30 days) scans its folder at most that often instead of on every save."""
        self.root = root
        self._retention_s = retention.total_seconds()
        self._max_total = max_total_bytes
        self._clock = clock
        self._prune_every_s = prune_every_s
        self._pruned_at: float | None = None
        self._lock = threading.Lock()
        root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, report_id: uuid.UUID, content_type: PhotoType) -> Path:
        return self.root / f"{report_id}{suffix(content_type)}"

    def save(self, report_id: uuid.UUID, data: bytes) -> PhotoType:
        """Write atomically (a reader never sees half a file); returns the content type."""
        content_type = sniff(data)
        with self._lock:
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, self._path(report_id, content_type))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            now = self._clock()
            if self._pruned_at is None or now - self._pruned_at >= self._prune_every_s:
                self._pruned_at = now
                self._prune_locked()
        return content_type

    def read(self, report_id: uuid.UUID, content_type: PhotoType) -> bytes | None:
        """None when the photo has been removed by retention (or never arrived)."""
        try:
            return self._path(report_id, content_type).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, report_id: uuid.UUID, content_type: PhotoType) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(report_id, content_type).unlink()

    def prune(self) -> int:
        with self._lock:
            return self._prune_locked()

    def _prune_locked(self) -> int:
        """Delete expired photos, then the oldest until under the size cap; returns how many."""
        horizon = self._clock() - self._retention_s
        kept: list[tuple[float, int, Path]] = []
        removed = 0
        for path in self.root.iterdir():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if stat.st_mtime >= horizon:
                kept.append((stat.st_mtime, stat.st_size, path))
                continue
            path.unlink(missing_ok=True)
            removed += 1
        total = sum(size for _mtime, size, _path in kept)
        for _mtime, size, path in sorted(kept):
            if total <= self._max_total:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed
