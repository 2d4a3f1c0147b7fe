"""A log of the API requests a server answered (the control plane's own requests excluded)."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class LoggedRequest:
    """One answered request. Credentials are never recorded."""

    method: str
    path: str
    query: str
    status: int
    request_bytes: int
    content_type: str
    started: float
    seconds: float
    fault: str | None = None


class RequestLog:
    """Thread-safe, bounded list of answered requests."""

    def __init__(self, limit: int = 200_000) -> None:
        """Keep at most `limit` entries (oldest dropped first)."""
        self._entries: list[LoggedRequest] = []
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, entry: LoggedRequest) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)
            if len(self._entries) > self._limit:
                del self._entries[: len(self._entries) - self._limit]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()

    def entries(self) -> list[dict[str, Any]]:
        """A JSON-ready snapshot."""
        with self._lock:
            return [asdict(e) for e in self._entries]


def now() -> float:
    """Wall-clock seconds, for `started`."""
    return time.time()
