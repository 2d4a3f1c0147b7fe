"""One stream's writes into Eloqua: convert, collapse, chunk, stage, sync, account for rejects."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from target_eloqua.bulk import BulkClient, Sync, SyncStatus
from target_eloqua.convert import (
    Converter,
    DateOptions,
    RejectCode,
    ValueRejected,
    compile_row,
    make_converter,
)
from target_eloqua.encode import Chunk, RowEncoder, Spill
from target_eloqua.errors import (
    ApiError,
    OutcomeUnknownError,
    RejectRatioError,
    SyncFailedError,
)
from target_eloqua.leftovers import definition_name
from target_eloqua.mapping import ResolvedMapping
from target_eloqua.rejects import Reject, RejectLog
from target_eloqua.summary import StreamStats

LOGGER = logging.getLogger("target_eloqua.writer")

MAX_POSTS_PER_SYNC = 500  # the 501st data POST of a sync is refused (eloqua-api.md §3.2, 24D)
MAX_RECOVERIES = 3
WARNING_ONLY_CODES = frozenset({"ELQ-00040"})  # written anyway; RUD treats it as success (§3.5)
CREATED_CODE = "ELQ-00007"
UPDATED_CODE = "ELQ-00012"


@dataclass(frozen=True)
class WriterSettings:
    """The knobs of one stream's writer (from the target's config)."""

    max_upload_bytes: int = 20_000_000
    max_sync_bytes: int = 200_000_000
    max_sync_rows: int = 250_000
    max_posts_per_sync: int = MAX_POSTS_PER_SYNC
    poll_interval: float = 2.0
    sync_timeout: float = 3600.0
    update_rule: str = "always"
    max_reject_ratio: float = 0.0
    dry_run: bool = False
    dates: DateOptions = field(default_factory=DateOptions)
    auto_delete: str = "P1D"
    data_retention: str = "P7D"


class StreamWriter:
    """Stages one stream's rows on one import definition and commits them in syncs.

    Rows are converted and encoded as they arrive into the current chunk; a full chunk is
    POSTed at once and kept in a spill file until its sync commits, so memory holds one chunk
    plus a set of identifier hashes. A row whose identifier was already POSTed in the current
    sync first commits that sync (Eloqua may reject duplicate identifiers within a sync).
    """

    def __init__(
        self,
        stream: str,
        client: BulkClient | None,
        mapping: ResolvedMapping,
        settings: WriterSettings,
        rejects: RejectLog,
        *,
        before_first_definition: Callable[[], None] | None = None,
    ) -> None:
        """Prepare the converters; nothing is sent until the first chunk is full.

        Args:
            stream: the stream name.
            client: the Bulk client (None only in a dry run).
            mapping: the resolved mapping.
            settings: the writer's settings.
            rejects: where rejects go.
            before_first_definition: called once, before the first import definition is
                created (the runtime clears the stream's leftovers there).
        """
        self._before_first_definition = before_first_definition
        self.stream = stream
        self.client = client
        self.mapping = mapping
        self.settings = settings
        self.rejects = rejects
        self.stats = StreamStats()
        self.definition_uri: str | None = None
        self.busy = False
        self._columns: list[tuple[str, str, Converter]] = [
            (c.key, c.dataset_field, make_converter(c.kind, settings.dates))
            for c in mapping.columns
        ]
        # Precompiled once: the record -> values function, and the row encoder.
        self._convert_row = compile_row(
            [source for _, source, _ in self._columns], [c for _, _, c in self._columns]
        )
        self._encoder = RowEncoder([key for key, _, _ in self._columns])
        self._id_key = mapping.identifier.key
        self._id_index = [c.key for c in mapping.columns].index(self._id_key)
        self._chunk = Chunk()
        self._spill = Spill()
        self._posted_ids: set[int] = set()
        self._sync_bytes = 0
        self._sync_posts = 0
        self._sync_rows = 0

    # ---- state ------------------------------------------------------------------------------
    @property
    def pending_rows(self) -> int:
        """Rows staged or chunked but not yet committed."""
        return self._sync_rows + len(self._chunk)

    @property
    def needs_commit(self) -> bool:
        """Whether the staged data reached a sync's size, POST or row budget."""
        return (
            self._sync_bytes + self._chunk.size >= self.settings.max_sync_bytes
            or self._sync_posts >= self.settings.max_posts_per_sync
            or self.pending_rows >= self.settings.max_sync_rows
        )

    # ---- rows -------------------------------------------------------------------------------
    def add(self, record: Mapping[str, Any]) -> None:
        """Convert one record and stage it (rejecting it if Eloqua would certainly refuse it).

        Args:
            record: the Singer record.
        """
        self.stats.received += 1
        try:
            values = self._convert_row(record)
        except ValueRejected:
            self._reject_values(record)
            return
        key = values[self._id_index]
        if key is None or key == "":
            self._reject_here(
                self._row(values), [self._id_key], RejectCode.IDENTIFIER,
                "the identifier is missing",
            )  # fmt: skip
            return
        encoded = self._encoder.encode(values)
        limit = self.settings.max_upload_bytes
        if len(encoded) + 2 > limit:
            self._reject_here(
                self._row(values), [self._id_key], RejectCode.SIZE,
                f"the row alone exceeds max_upload_bytes ({limit})",
            )  # fmt: skip
            return
        # Set for the whole mutation: a signal-driven drain must never see half a row staged.
        self.busy = True
        try:
            if hash(key) in self._posted_ids:
                # Already POSTed in this sync: commit it first, so the later row wins.
                self.commit()
            chunk = self._chunk
            if key not in chunk and chunk.size_with(encoded) > limit:
                self._post_chunk()
            if chunk.put(key, encoded):
                self.stats.collapsed += 1
        finally:
            self.busy = False

    def _row(self, values: list[Any]) -> dict[str, Any]:
        return dict(zip(self._encoder.keys, values, strict=True))

    def _reject_values(self, record: Mapping[str, Any]) -> None:
        """The slow path of a row with refused values: name every bad field in the reject."""
        row: dict[str, Any] = {}
        bad: list[tuple[str, ValueRejected]] = []
        for key, source, convert in self._columns:
            value = record.get(source)
            try:
                row[key] = convert(value)
            except ValueRejected as exc:
                row[key] = value
                bad.append((key, exc))
        message = "; ".join(f"{key}: {exc.message}" for key, exc in bad)
        self._reject_here(row, [key for key, _ in bad], bad[0][1].code, message)

    def _reject_here(self, row: dict[str, Any], fields: list[str], code: str, message: str) -> None:
        self.stats.rejected += 1
        self.stats.rejected_here += 1
        self.rejects.write(Reject(self.stream, row, fields, str(code), message, "target"))

    # ---- staging ----------------------------------------------------------------------------
    def _post_chunk(self) -> None:
        chunk = self._chunk
        if not chunk:
            return
        if self._sync_posts >= self.settings.max_posts_per_sync:
            self._sync_staged()
        rows = len(chunk)
        self._posted_ids.update(map(hash, chunk.keys()))
        body = chunk.take_body()  # the chunk's own buffer: no second copy of up to 20 MB
        if not self.settings.dry_run:
            self._upload(body)
            self._spill.append(body)
        self._sync_bytes += len(body)
        self._sync_posts += 1
        self._sync_rows += rows
        self.stats.posts += 1

    def _client(self) -> BulkClient:
        assert self.client is not None, "a dry run never talks to Eloqua's write endpoints"
        return self.client

    def _definition(self) -> str:
        if self.definition_uri is None:
            if self._before_first_definition is not None:
                prepare, self._before_first_definition = self._before_first_definition, None
                prepare()
            body = self.definition_body()
            self.definition_uri = self._client().create_import(self.mapping.object_id, body)
            LOGGER.info("Stream '%s': import definition %s", self.stream, self.definition_uri)
        return self.definition_uri

    def _upload(self, body: bytes | bytearray) -> None:
        for attempt in range(MAX_RECOVERIES + 1):
            try:
                self._client().upload(self._definition(), body)
                return
            except (OutcomeUnknownError, ApiError) as exc:
                if not _recoverable(exc) or attempt == MAX_RECOVERIES:
                    raise
                self._restage(exc)

    def _restage(self, cause: Exception) -> None:
        """Throw away the definition and its staging area, then stage this sync's data again."""
        LOGGER.warning(
            "Stream '%s': %s; staging this sync's %d POST(s) again on a new definition",
            self.stream, cause, len(self._spill),
        )  # fmt: skip
        self._drop_definition()
        uri = self._definition()
        for body in self._spill.bodies():
            self._client().upload(uri, body)

    def _drop_definition(self) -> None:
        uri, self.definition_uri = self.definition_uri, None
        if uri is None:
            return
        try:
            self._client().delete_import(uri)
        except ApiError as exc:
            LOGGER.warning("Could not delete %s (%s); Eloqua deletes it automatically", uri, exc)

    def definition_body(self) -> dict[str, Any]:
        """The import definition for this stream (eloqua-api.md §3.1).

        Returns:
            The JSON body.
        """
        body: dict[str, Any] = {
            # Named so that a later run can find and delete it (leftovers.py).
            "name": definition_name(self.stream),
            "fields": {c.key: c.statement for c in self.mapping.columns},
            "identifierFieldName": self._id_key,
            # Always explicit: the docs disagree on its default (eloqua-api.md §10.4).
            "isSyncTriggeredOnImport": False,
            "updateRule": self.settings.update_rule,
            "dataRetentionDuration": self.settings.data_retention,
            "autoDeleteDuration": self.settings.auto_delete,
        }
        contacts = self.mapping.contacts
        if contacts is not None:
            body.update(
                mapDataCards=True,
                mapDataCardsEntityType="Contact",
                mapDataCardsEntityField=f"{{{{Contact.Field({contacts.contact_field})}}}}",
                mapDataCardsSourceField=self.mapping.contact_source_key(),
                mapDataCardsCaseSensitiveMatch=contacts.case_sensitive,
            )
        return body

    # ---- commit -----------------------------------------------------------------------------
    def commit(self) -> None:
        """POST what is chunked, run a sync to a terminal status and account for its rejects.

        Raises:
            SyncFailedError: the sync ended in error.
            RejectRatioError: the run's rejects exceed `max_reject_ratio`.
        """
        self._post_chunk_now()
        self._sync_staged()

    def _sync_staged(self) -> None:
        if self._sync_posts:
            if self.settings.dry_run:
                self.stats.syncs += 1
                self.stats.sent += self._sync_rows
            else:
                self._run_sync()
        self._posted_ids = set()
        self._spill.reset()
        self._sync_bytes = self._sync_posts = self._sync_rows = 0
        self.check_ratio()

    def _post_chunk_now(self) -> None:
        if self._chunk:
            self._post_chunk()

    def _run_sync(self) -> None:
        client = self._client()
        sync = self._start_sync()
        done = client.wait_for_sync(
            sync.uri, self.settings.poll_interval, self.settings.sync_timeout
        )
        self.stats.syncs += 1
        self._account(done)
        self.stats.sent += self._sync_rows

    def _start_sync(self) -> Sync:
        for attempt in range(MAX_RECOVERIES + 1):
            try:
                return self._client().create_sync(self._definition())
            except OutcomeUnknownError as exc:
                # A sync may or may not exist on this definition: never start a second one
                # there; stage everything again on a fresh definition instead (§6.1).
                if attempt == MAX_RECOVERIES:
                    raise
                self._restage(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def _account(self, sync: Sync) -> None:
        client = self._client()
        logs = client.logs(sync.uri)
        for log in logs:
            if log.status_code == CREATED_CODE:
                self.stats.created += log.count
            elif log.status_code == UPDATED_CODE:
                self.stats.updated += log.count
        if sync.status is not None and sync.status.is_failure:
            detail = "; ".join(
                f"{log.status_code} {log.message} ({log.count})"
                for log in logs
                if log.severity != "information"
            )
            raise SyncFailedError(
                f"Eloqua sync {sync.uri} of stream '{self.stream}' ended with status "
                f"{sync.raw_status}: {detail or 'no log detail'}. No STATE was emitted for its "
                "rows; they are sent again on the next run."
            )
        if sync.status is SyncStatus.WARNING:
            self._collect_rejects(sync.uri)

    def _collect_rejects(self, sync_uri: str) -> None:
        for item in self._client().rejects(sync_uri):
            if item.status_code in WARNING_ONLY_CODES:
                self.stats.warnings += 1
                LOGGER.warning(
                    "Stream '%s': Eloqua warned %s on %s: %s",
                    self.stream, item.status_code, item.invalid_fields, item.message,
                )  # fmt: skip
                continue
            self.stats.rejected += 1
            reject = Reject(
                self.stream, item.field_values, item.invalid_fields,
                item.status_code, item.message, "eloqua",
            )  # fmt: skip
            self.rejects.write(reject)

    def check_ratio(self) -> None:
        """Fail when the run's rejects exceed `max_reject_ratio`.

        Raises:
            RejectRatioError: they do.
        """
        stats = self.stats
        if stats.rejected and stats.reject_ratio > self.settings.max_reject_ratio:
            if self.settings.dry_run:
                return
            raise RejectRatioError(
                f"Stream '{self.stream}': {stats.rejected} of {stats.attempted} rows rejected "
                f"({stats.reject_ratio:.2%}), more than max_reject_ratio "
                f"{self.settings.max_reject_ratio:g} allows; see reject_file for each row. "
                "No STATE was emitted for these rows."
            )

    # ---- end ------------------------------------------------------------------------------
    def close(self) -> None:
        """Delete the definition and the spill file (also after a failure)."""
        self._spill.close()
        if self.client is not None and not self.settings.dry_run:
            self._drop_definition()


def _recoverable(exc: Exception) -> bool:
    """Failures after which re-staging on a new definition is safe and useful."""
    if isinstance(exc, OutcomeUnknownError):
        return True
    # A definition gone (auto-deleted, or deleted by someone) answers 404.
    return isinstance(exc, ApiError) and exc.status == 404
