"""One retrying JSON POST, shared by every outgoing webhook (unit notices, alert changes).

A receiver that is briefly down or overloaded should still get the message, so connection
errors, 5xx, 408, 425 and 429 are retried with exponential back-off; anything else (a 4xx) is
the receiver refusing it and is not. The poster never raises: it reports the result and counts
each outcome through a callback, so each caller keeps its own metric.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

import httpx

from shorewatch import __version__

Count = Callable[[str], None]
"""Called with `delivered`, `retried` (once per retry) or `failed`."""
RETRY_STATUS = frozenset({408, 425, 429})


class WebhookPoster:
    def __init__(
        self,
        count: Count,
        *,
        timeout_s: float = 5.0,
        attempts: int = 4,
        backoff_s: float = 0.5,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._count = count
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._closing = threading.Event()

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> tuple[bool, str]:
        """POST `body` as JSON; (True, "") once delivered, else (False, the last error)."""
        sent = {
            "Content-Type": "application/json",
            "User-Agent": f"shorewatch/{__version__}",
            **(headers or {}),
        }
        error = ""
        with httpx.Client(timeout=self._timeout_s, follow_redirects=False) as client:
            for attempt in range(1, self._attempts + 1):
                try:
                    response = client.post(url, content=body, headers=sent)
                except httpx.HTTPError as exc:
                    error, retry = f"{type(exc).__name__}: {exc}", True
                else:
                    if response.is_success:
                        self._count("delivered")
                        return True, ""
                    status = response.status_code
                    error, retry = f"HTTP {status}", status >= 500 or status in RETRY_STATUS
                if not retry or attempt == self._attempts:
                    break
                self._count("retried")
                if self._closing.wait(self._backoff_s * 2 ** (attempt - 1)):
                    error = f"{error} (shutting down)"
                    break
        self._count("failed")
        return False, error

    def close(self) -> None:
        """Cut short the back-off waits of posts in flight; a later post tries once only."""
        self._closing.set()
