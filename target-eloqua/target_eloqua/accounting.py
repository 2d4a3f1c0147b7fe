"""What a terminal sync did: created and updated counts, failure, rejects, the reject ratio."""

from __future__ import annotations

import logging

from target_eloqua.bulk import BulkClient, Sync, SyncStatus
from target_eloqua.errors import RejectRatioError, SyncFailedError
from target_eloqua.rejects import Reject, RejectLog
from target_eloqua.summary import StreamStats

LOGGER = logging.getLogger("target_eloqua.accounting")

WARNING_ONLY_CODES = frozenset({"ELQ-00040"})  # written anyway; RUD treats it as success (§3.5)
CREATED_CODE = "ELQ-00007"
UPDATED_CODE = "ELQ-00012"


def account(
    client: BulkClient, stream: str, sync: Sync, stats: StreamStats, rejects: RejectLog
) -> None:
    """Read a terminal sync's logs (and rejects) into the stream's figures.

    Args:
        client: the Bulk client.
        stream: the stream name.
        sync: the terminal sync.
        stats: the stream's figures.
        rejects: where rejects go.

    Raises:
        SyncFailedError: the sync ended in error.
    """
    logs = client.logs(sync.uri)
    for log in logs:
        if log.status_code == CREATED_CODE:
            stats.created += log.count
        elif log.status_code == UPDATED_CODE:
            stats.updated += log.count
    if sync.status is not None and sync.status.is_failure:
        detail = "; ".join(
            f"{log.status_code} {log.message} ({log.count})"
            for log in logs
            if log.severity != "information"
        )
        raise SyncFailedError(
            f"Eloqua sync {sync.uri} of stream '{stream}' ended with status "
            f"{sync.raw_status}: {detail or 'no log detail'}. No STATE was emitted for its "
            "rows; they are sent again on the next run."
        )
    if sync.status is SyncStatus.WARNING:
        _collect_rejects(client, stream, sync.uri, stats, rejects)


def _collect_rejects(
    client: BulkClient, stream: str, sync_uri: str, stats: StreamStats, rejects: RejectLog
) -> None:
    for item in client.rejects(sync_uri):
        if item.status_code in WARNING_ONLY_CODES:
            stats.warnings += 1
            LOGGER.warning(
                "Stream '%s': Eloqua warned %s on %s: %s",
                stream, item.status_code, item.invalid_fields, item.message,
            )  # fmt: skip
            continue
        stats.rejected += 1
        reject = Reject(
            stream, item.field_values, item.invalid_fields,
            item.status_code, item.message, "eloqua",
        )  # fmt: skip
        rejects.write(reject)


def check_ratio(stream: str, stats: StreamStats, max_ratio: float) -> None:
    """Fail when the run's rejects of a stream exceed `max_reject_ratio`.

    Args:
        stream: the stream name.
        stats: the stream's figures.
        max_ratio: `max_reject_ratio`.

    Raises:
        RejectRatioError: they do.
    """
    if stats.rejected and stats.reject_ratio > max_ratio:
        raise RejectRatioError(
            f"Stream '{stream}': {stats.rejected} of {stats.attempted} rows rejected "
            f"({stats.reject_ratio:.2%}), more than max_reject_ratio "
            f"{max_ratio:g} allows; see reject_file for each row. "
            "No STATE was emitted for these rows."
        )
