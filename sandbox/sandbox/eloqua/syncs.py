"""Syncs (eloqua-api.md §3.3): status values, the explicit schedule advancing them, JSON."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sandbox.eloqua.imports import Upload
from sandbox.eloqua.models import iso_time


class SyncStatus(StrEnum):
    """The swagger's SyncStatusType (SSTAT spells the failure `errored`; rendered by setting)."""

    PENDING = "pending"
    ACTIVE = "active"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


TERMINAL = (SyncStatus.SUCCESS, SyncStatus.WARNING, SyncStatus.ERROR)
SCHEDULE_MODES = ("immediate", "polls", "seconds")
FORCED_OUTCOMES = ("error", "never")


@dataclass(frozen=True)
class Schedule:
    """How a sync advances (style.md rule 8).

    `immediate`: terminal at the first GET. `polls`: pending for the first `pending_polls` GETs,
    active for the next `active_polls`, terminal at the one after. `seconds`: active until
    `seconds` have passed since creation, then terminal.
    """

    mode: str = "immediate"
    pending_polls: int = 0
    active_polls: int = 0
    seconds: float = 0.0

    def phase(self, polls: int, elapsed: float) -> SyncStatus | None:
        """The status the schedule dictates now; None means "terminal" (run the sync)."""
        if self.mode == "seconds":
            return SyncStatus.ACTIVE if elapsed < self.seconds else None
        if self.mode == "polls":
            if polls <= self.pending_polls:
                return SyncStatus.PENDING
            if polls <= self.pending_polls + self.active_polls:
                return SyncStatus.ACTIVE
            return None
        return SyncStatus.PENDING if polls == 0 else None


@dataclass
class LogEntry:
    """One sync log line: a count per status code (§3.4)."""

    status_code: str
    count: int
    severity: str
    message: str


@dataclass
class Outcome:
    """What a finished sync did to the record store."""

    status: SyncStatus
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    linked: int = 0
    logs: list[LogEntry] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Sync:
    """One import sync of a definition's staged uploads."""

    id: int
    synced_instance_uri: str
    parent_id: int
    definition_id: int
    uploads: list[Upload]
    created_by: str
    schedule: Schedule
    forced: str | None = None
    #: Applied by the background worker (`background_syncs`), not by a poll.
    background: bool = False
    status: SyncStatus = SyncStatus.PENDING
    polls: int = 0
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None
    outcome: Outcome | None = None

    @property
    def uri(self) -> str:
        """`/syncs/{id}`, relative to `/api/bulk/2.0`."""
        return f"/syncs/{self.id}"

    @property
    def terminal(self) -> bool:
        """Whether the sync has finished."""
        return self.status in TERMINAL

    @property
    def row_count(self) -> int:
        """Rows staged for this sync."""
        return sum(upload.row_count for upload in self.uploads)

    def due(self, now: float) -> SyncStatus | None:
        """Move to the schedule's phase; None when the sync must now run to its end."""
        phase = self.schedule.phase(self.polls, now - self.created_at)
        if phase is None and self.forced == "never":
            phase = SyncStatus.ACTIVE
        if phase is SyncStatus.ACTIVE and self.started_at is None:
            self.started_at = now
        if phase is not None:
            self.status = phase
        return phase

    def finish(self, outcome: Outcome, now: float) -> None:
        """Record the outcome; staged rows are released."""
        self.outcome = outcome
        self.status = outcome.status
        self.started_at = self.started_at or now
        self.ended_at = now
        self.uploads = [
            Upload([], u.keys, u.bytes, u.content_type, u.created_at) for u in self.uploads
        ]

    def to_json(self, failure_status: str) -> dict[str, Any]:
        """The sync as `GET /syncs/{id}` returns it (SW-SYNC)."""
        status = str(self.status)
        if self.status is SyncStatus.ERROR:
            status = failure_status
        data: dict[str, Any] = {
            "syncedInstanceUri": self.synced_instance_uri,
            "status": status,
            "createdAt": iso_time(self.created_at),
            "createdBy": self.created_by,
            "uri": self.uri,
        }
        if self.started_at is not None:
            data["syncStartedAt"] = iso_time(self.started_at)
        if self.ended_at is not None:
            data["syncEndedAt"] = iso_time(self.ended_at)
        return data

    def summary(self, failure_status: str) -> dict[str, Any]:
        """The sync with its row counts, for the control plane."""
        outcome = self.outcome
        data = self.to_json(failure_status)
        data.update(
            {
                "id": self.id,
                "uploads": len(self.uploads),
                "rows": outcome.rows if outcome else self.row_count,
                "created": outcome.created if outcome else 0,
                "updated": outcome.updated if outcome else 0,
                "rejected": outcome.rejected if outcome else 0,
                "linked": outcome.linked if outcome else 0,
                "polls": self.polls,
            }
        )
        return data

    def log_json(self) -> list[dict[str, Any]]:
        """The sync's logs as `GET /syncs/{id}/logs` items (§3.4)."""
        if self.outcome is None:
            return []
        stamp = iso_time(self.ended_at or self.created_at)
        return [
            {
                "syncUri": self.uri,
                "count": entry.count,
                "severity": entry.severity,
                "statusCode": entry.status_code,
                "message": entry.message,
                "createdAt": stamp,
            }
            for entry in self.outcome.logs
        ]
