"""The SQL texts the query API received, with their outcome (inspected by tests for injection)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class ExecutedQuery:
    """One SQL text sent to `POST /v1/datasets/query/execute/{id}`."""

    dataset_id: str
    sql: str
    status: int
    error: str | None = None


class QueryLog:
    """Thread-safe, bounded list of the SQL texts received (the oldest dropped first)."""

    def __init__(self, limit: int = 10_000) -> None:
        """Keep at most `limit` entries."""
        self._entries: list[ExecutedQuery] = []
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, entry: ExecutedQuery) -> None:
        """Record one query."""
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
