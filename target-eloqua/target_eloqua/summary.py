"""Per-stream counters and the summary line printed at the end of a run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class StreamStats:
    """What happened to one stream's rows during the run.

    Attributes:
        received: rows that reached the sink.
        sent: rows uploaded to Eloqua (after collapsing repeated identifiers).
        created: records Eloqua created (sync log ELQ-00007).
        updated: records Eloqua updated (sync log ELQ-00012).
        rejected: rows refused, by us before upload or by Eloqua.
        rejected_here: the part of `rejected` refused before upload.
        collapsed: rows replaced by a later row with the same identifier.
        warnings: Eloqua rejects that only warn (ELQ-00040).
        posts: data POSTs.
        syncs: syncs run.
        started: when the stream started (monotonic seconds).
    """

    received: int = 0
    sent: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    rejected_here: int = 0
    collapsed: int = 0
    warnings: int = 0
    posts: int = 0
    syncs: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def attempted(self) -> int:
        """Rows we tried to write: uploaded plus refused before upload."""
        return self.sent + self.rejected_here

    @property
    def reject_ratio(self) -> float:
        """Rejected over attempted (0 when nothing was attempted)."""
        return self.rejected / self.attempted if self.attempted else 0.0

    def line(self, stream: str, dry_run: bool = False) -> str:
        """The summary line.

        Args:
            stream: the stream name.
            dry_run: word the line as a dry run's report.

        Returns:
            One line.
        """
        seconds = time.monotonic() - self.started
        if dry_run:
            return (
                f"Dry run summary for stream '{stream}': received={self.received} "
                f"would_send={self.sent} would_reject={self.rejected} "
                f"collapsed={self.collapsed} posts={self.posts} syncs={self.syncs} "
                f"seconds={seconds:.1f} (nothing was written to Eloqua)"
            )
        return (
            f"Summary for stream '{stream}': received={self.received} sent={self.sent} "
            f"created={self.created} updated={self.updated} rejected={self.rejected} "
            f"collapsed={self.collapsed} warnings={self.warnings} posts={self.posts} "
            f"syncs={self.syncs} seconds={seconds:.1f}"
        )
