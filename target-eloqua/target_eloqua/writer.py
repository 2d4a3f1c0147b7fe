"""One stream's writes into Eloqua: convert, collapse, chunk, stage, sync, account for rejects."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from target_eloqua.accounting import account, check_ratio
from target_eloqua.bulk import BulkClient, Sync
from target_eloqua.convert import (
    Converter,
    DateOptions,
    RejectCode,
    RowConverter,
    ValueRejected,
    compile_row,
    make_converter,
)
from target_eloqua.definition import definition_body
from target_eloqua.encode import Chunk, RowEncoder
from target_eloqua.errors import ApiError, OutcomeUnknownError
from target_eloqua.mapping import ResolvedMapping
from target_eloqua.rejects import Reject, RejectLog
from target_eloqua.slots import InFlight, Slot, SlotPair
from target_eloqua.summary import StreamStats
from target_eloqua.uploads import BackgroundUploads

LOGGER = logging.getLogger("target_eloqua.writer")

MAX_POSTS_PER_SYNC = 500  # the 501st data POST of a sync is refused (eloqua-api.md §3.2, 24D)
MAX_RECOVERIES = 3


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
    """Stages one stream's rows on two import definitions and commits them in syncs.

    Rows are converted and encoded as they arrive into the current chunk; a full chunk is
    POSTed to the staging definition on a worker thread while the next one fills (uploads.py)
    and kept in that definition's spill file until its sync is terminal, so memory holds two
    chunks plus one sync's identifier hashes.
    `launch` starts a sync without waiting for it, and rows then stage on the other
    definition (slots.py); `commit` returns only when everything received is committed. A row
    whose identifier was already POSTed in the staging sync first launches that sync (Eloqua
    may reject duplicate identifiers within a sync).
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
        before_sync: Callable[[], None] | None = None,
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
            before_sync: called before each sync is started (the runtime waits there for
                every sync of the run in flight, so no two ever run at once).
        """
        self._before_sync = before_sync
        self._before_first_definition = before_first_definition
        self.stream = stream
        self.client = client
        self.mapping = mapping
        self.settings = settings
        self.rejects = rejects
        self.stats = StreamStats()
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
        self._slots = SlotPair()
        # Read for every record: plain attributes, not lookups through the settings.
        self._max_upload_bytes = settings.max_upload_bytes
        self._max_sync_bytes = settings.max_sync_bytes
        self._max_sync_rows = settings.max_sync_rows
        self._max_posts = settings.max_posts_per_sync
        self._uploads = BackgroundUploads(stream)

    # ---- state ------------------------------------------------------------------------------
    @property
    def pending_rows(self) -> int:
        """Rows chunked, staged or in a sync in flight: not yet committed."""
        return self.staged_rows + self._slots.rows_in_flight

    @property
    def staged_rows(self) -> int:
        """Rows chunked or staged for the next sync."""
        return self._slots.staging.rows + len(self._chunk)

    @property
    def rows_in_flight(self) -> int:
        """Rows of the stream's sync started and not yet seen terminal."""
        return self._slots.rows_in_flight

    @property
    def in_flight(self) -> bool:
        """Whether a sync of the stream is started and not yet accounted for."""
        return self._slots.in_flight is not None

    @property
    def definition_uris(self) -> list[str]:
        """The stream's import definitions that exist (at most two)."""
        return self._slots.uris

    @property
    def needs_commit(self) -> bool:
        """Whether the staged data reached a sync's size, POST or row budget."""
        staging = self._slots.staging
        chunk = self._chunk
        rows = len(chunk)
        return (
            # `chunk.size` inlined (it is checked after every record): `[` + rows + `,`s + `]`.
            staging.bytes + (chunk.row_bytes + rows + 1 if rows else 2) >= self._max_sync_bytes
            or staging.posts >= self._max_posts
            or staging.rows + rows >= self._max_sync_rows
        )

    def typed_converter(self, attributes: Mapping[str, str]) -> RowConverter | None:
        """The row converter for records decoded into a typed struct (typed.py).

        Args:
            attributes: record field name → the struct attribute holding it.

        Returns:
            The converter, or None when a mapped field is not an attribute of the struct.
        """
        sources = [source for _, source, _ in self._columns]
        if not set(sources) <= set(attributes):
            return None
        return compile_row(sources, [c for _, _, c in self._columns], attributes)

    # ---- rows -------------------------------------------------------------------------------
    def add(self, record: Mapping[str, Any], convert: RowConverter | None = None) -> None:
        """Convert one record and stage it (rejecting it if Eloqua would certainly refuse it).

        Args:
            record: the Singer record: a dict, or a typed record (typed.py), which has `get`.
            convert: the row converter for a typed record (`typed_converter`); None for a
                dict.
        """
        self.stats.received += 1
        try:
            values = (convert or self._convert_row)(record)
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
        limit = self._max_upload_bytes
        if len(encoded) + 2 > limit:
            self._reject_here(
                self._row(values), [self._id_key], RejectCode.SIZE,
                f"the row alone exceeds max_upload_bytes ({limit})",
            )  # fmt: skip
            return
        # Set for the whole mutation: a signal-driven drain must never see half a row staged.
        self.busy = True
        try:
            if hash(key) in self._slots.staging.posted_ids:
                # Already POSTed in the staging sync: start that sync first, so the later
                # row lands in the next one, which starts only once it is terminal.
                self.launch()
            chunk = self._chunk
            if chunk.size_with(encoded) > limit and key not in chunk:
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
        if self._slots.staging.posts >= self._max_posts:
            self._launch_staged()
        slot = self._slots.staging
        rows = len(chunk)
        slot.posted_ids.update(map(hash, chunk.keys()))
        body = chunk.take_body()  # the chunk's own buffer: no second copy of up to 20 MB
        if not self.settings.dry_run:
            # On the worker thread: rows keep being encoded into the next chunk meanwhile.
            # The staging slot cannot change under it: every launch waits for it first.
            self._uploads.submit(lambda: self._upload_and_keep(slot, body))
        slot.bytes += len(body)
        slot.posts += 1
        slot.rows += rows
        self.stats.posts += 1

    def _upload_and_keep(self, slot: Slot, body: bytes | bytearray) -> None:
        """POST a body to the staging definition and keep it for a possible re-staging."""
        self._upload(body)
        slot.spill.append(body)

    @property
    def uploading(self) -> bool:
        """Whether a data POST was handed to the worker and its outcome not yet collected."""
        return self._uploads.outstanding

    def _client(self) -> BulkClient:
        assert self.client is not None, "a dry run never talks to Eloqua's write endpoints"
        return self.client

    def _definition(self) -> str:
        """The staging slot's definition, created on first use."""
        slot = self._slots.staging
        if slot.uri is None:
            if self._before_first_definition is not None:
                prepare, self._before_first_definition = self._before_first_definition, None
                prepare()
            body = definition_body(
                self.stream, self.mapping, update_rule=self.settings.update_rule,
                data_retention=self.settings.data_retention, auto_delete=self.settings.auto_delete,
            )  # fmt: skip
            slot.uri = self._client().create_import(self.mapping.object_id, body)
            LOGGER.info("Stream '%s': import definition %s", self.stream, slot.uri)
        return slot.uri

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
        """Throw away the staging definition, then stage its sync's data again on a new one.

        Only the staging slot is touched: the other one's sync, if in flight, keeps its
        definition.
        """
        slot = self._slots.staging
        LOGGER.warning(
            "Stream '%s': %s; staging this sync's %d POST(s) again on a new definition",
            self.stream, cause, len(slot.spill),
        )  # fmt: skip
        self._drop_definition(slot)
        uri = self._definition()
        for body in slot.spill.bodies():
            self._client().upload(uri, body)

    def _drop_definition(self, slot: Slot) -> None:
        uri, slot.uri = slot.uri, None
        if uri is None:
            return
        try:
            self._client().delete_import(uri)
        except ApiError as exc:
            LOGGER.warning("Could not delete %s (%s); Eloqua deletes it automatically", uri, exc)

    # ---- commit -----------------------------------------------------------------------------
    def commit(self) -> None:
        """Commit everything received: return only once every sync is terminal and accounted.

        Raises:
            SyncFailedError: a sync ended in error (also one started earlier by `launch`).
            SyncTimeoutError: a sync did not end within `sync_timeout`.
            RejectRatioError: the run's rejects exceed `max_reject_ratio`.
        """
        self.launch()
        self.settle()
        self.check_ratio()

    def launch(self) -> None:
        """POST what is chunked and start its sync, without waiting for that sync to end.

        The sync in flight before, if any, is waited for first (and its failure raised), so
        two syncs of the stream never run at once.
        """
        if self._chunk:
            self._post_chunk()
        self._launch_staged()

    def settle(self) -> None:
        """Wait for the sync in flight, if any, and account for it; raise if it failed."""
        self._slots.settle(self._finish)

    def _launch_staged(self) -> None:
        # Everything staged must be in Eloqua before its sync starts (and a failed POST
        # surfaces here, before any sync could be accounted as covering its rows).
        self._uploads.wait()
        slot = self._slots.staging
        if not slot.posts:
            return
        if self.settings.dry_run:
            self.stats.syncs += 1
            self.stats.sent += slot.rows
            slot.reset()
            self.check_ratio()
            return
        # Uploads may go on beside a running sync, but a sync starts only after the one
        # before it (of any stream) is terminal: overlapping syncs that share identifiers
        # would apply in an undefined order.
        if self._before_sync is not None:
            self._before_sync()
        self.settle()
        sync = self._start_sync()
        self._slots.launched(sync)

    def _finish(self, flight: InFlight) -> None:
        """Wait for one sync to be terminal and account for it (raising on failure)."""
        settings = self.settings
        done = self._client().wait_for_sync(
            flight.sync.uri, settings.poll_interval, settings.sync_timeout
        )
        self.stats.syncs += 1
        account(self._client(), self.stream, done, self.stats, self.rejects)
        self.stats.sent += flight.rows
        self.check_ratio()

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

    def check_ratio(self) -> None:
        """Fail when the run's rejects exceed `max_reject_ratio` (never in a dry run).

        Raises:
            RejectRatioError: they do.
        """
        if not self.settings.dry_run:
            check_ratio(self.stream, self.stats, self.settings.max_reject_ratio)

    # ---- end ------------------------------------------------------------------------------
    def close(self) -> None:
        """Delete both definitions and spill files (also after a failure).

        Deleting a definition stops a sync still pending or active on it (ELQ-00143), so a
        sync that was never accounted for cannot land after the run.
        """
        self._uploads.close()  # no POST may reach a definition after it is deleted
        self._slots.close()
        if self.client is not None and not self.settings.dry_run:
            for slot in self._slots.slots:
                self._drop_definition(slot)


def _recoverable(exc: Exception) -> bool:
    """Failures after which re-staging on a new definition is safe and useful."""
    if isinstance(exc, OutcomeUnknownError):
        return True
    # A definition gone (auto-deleted, or deleted by someone) answers 404.
    return isinstance(exc, ApiError) and exc.status == 404
