"""The SQL texts the query API received, with their outcome (inspected by tests for injection)."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.core.requestlog import BoundedLog


@dataclass
class ExecutedQuery:
    """One SQL text sent to `POST /v1/datasets/query/execute/{id}`."""

    dataset_id: str
    sql: str
    status: int
    error: str | None = None


class QueryLog(BoundedLog[ExecutedQuery]):
    """The SQL texts received (at most `limit`, the oldest dropped first)."""

    def __init__(self, limit: int = 10_000) -> None:
        """Keep at most `limit` queries."""
        super().__init__(limit)
