"""A log of the API requests a server answered (the control plane's own requests excluded)."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


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


class BoundedLog(Generic[T]):
    """Thread-safe, bounded list of dataclass entries (the oldest dropped first)."""

    def __init__(self, limit: int) -> None:
        """Keep at most `limit` entries."""
        self._entries: list[T] = []
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, entry: T) -> None:
        """Record one entry."""
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
            return [asdict(e) for e in self._entries]  # type: ignore[call-overload]


class RequestLog(BoundedLog[LoggedRequest]):
    """The answered API requests (at most `limit`)."""

    def __init__(self, limit: int = 200_000) -> None:
        """Keep at most `limit` requests."""
        super().__init__(limit)


def now() -> float:
    """Wall-clock seconds, for `started`."""
    return time.time()
