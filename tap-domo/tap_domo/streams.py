"""The DataSet stream: schema from Domo's columns, read method choice, batch-boundary state."""

from __future__ import annotations

import contextlib
import typing as t
from collections.abc import Iterator
from decimal import Decimal
from functools import cached_property
from typing import Any

from singer_sdk import Stream
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform

from tap_domo.client import DomoClient, Target
from tap_domo.datasets import DataSetInfo
from tap_domo.export import ExportReader
from tap_domo.query import QueryReader
from tap_domo.settings import Settings
from tap_domo.types import BATCH_ID, batch_number, json_schema
from tap_domo.writer import BufferedWriter

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context, Record

Number = int | Decimal


class DataSetStream(Stream):
    """One Domo DataSet.

    With `_BATCH_ID_` it is INCREMENTAL on it, and the bookmark only ever names a batch all of
    whose rows have been emitted: the SDK's per-record bookmark update is replaced by
    `_complete_batch`, called when the generator is resumed after a batch's last row (so that
    row's RECORD message is already written). Without `_BATCH_ID_` it is FULL_TABLE.
    """

    # Records are built from JSON-native values (str, int, float, Decimal, None) already.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    is_sorted = True

    def __init__(
        self,
        tap: Tap,
        *,
        name: str,
        info: DataSetInfo,
        client: DomoClient,
        settings: Settings,
    ) -> None:
        schema = {
            "type": "object",
            "properties": {col.name: json_schema(col.name, col.kind) for col in info.columns},
        }
        super().__init__(tap, schema=schema, name=name)
        self.info = info
        self.client = client
        self.settings = settings
        self.target = Target(info.id, name)
        self.primary_keys = []
        self.replication_key = BATCH_ID if info.has_batch_id else None
        self.read_method_used: str | None = None

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, Any]]:
        """Rows of the DataSet: past the bookmark when incremental, all of them otherwise.

        Args:
            context: unused (no partitions).

        Yields:
            Records.
        """
        for chunk in self.record_chunks(context):
            yield from chunk

    def record_chunks(self, context: Context | None) -> Iterator[list[dict[str, Any]]]:
        """The records of `get_records`, in lists; a list never holds rows of two batches.

        A batch is bookmarked (and its STATE written) when the list after its last row is
        asked for, so the caller must have written every list it was given by then.

        Args:
            context: unused (no partitions).

        Yields:
            Lists of records.
        """
        if self.info.pdp_enabled:
            self.logger.warning(
                "%s has PDP enabled: Domo may silently filter the rows this API client's user "
                "can see",
                self.target,
            )
        try:
            if self.replication_key is None:
                yield from self._full_table()
            else:
                yield from self._incremental(context)
        except BaseException:
            # The records read before a failure still go out (the target may use them), but a
            # failing write (a closed pipe) must not hide the error that stopped the run.
            with contextlib.suppress(OSError, ValueError):
                self._flush_output()
            raise
        # The SDK writes a final STATE only when the state changed (never for FULL_TABLE), and
        # `Tap.sync_all` is final: so the buffered RECORDs are written out here.
        self._flush_output()

    def _full_table(self) -> Iterator[list[dict[str, Any]]]:
        method = self._choose("export", f"{BATCH_ID} is absent, so all rows are read (FULL_TABLE)")
        if method == "query":
            yield from self._query_reader().full_table_chunks()
        else:
            yield from self._export_reader().chunks()

    def _incremental(self, context: Context | None) -> Iterator[list[dict[str, Any]]]:
        bookmark = self._bookmark(context)
        lower = bookmark if bookmark is not None else self.settings.start_batch_id
        first_full_load = lower is None
        reader = self._query_reader()
        upper = reader.max_batch()
        if upper is None or (lower is not None and upper <= lower):
            self.logger.info("%s: no batch past %s; nothing to read", self.target, lower)
            if upper is not None and lower is not None and upper < lower:
                self.logger.warning(
                    "%s: the highest %s (%s) is below the bookmark (%s); if the DataSet was "
                    "replaced, clear this stream's state to read it again",
                    self.target,
                    BATCH_ID,
                    upper,
                    lower,
                )
            return
        self.logger.info("%s: reading batches in (%s, %s]", self.target, lower, upper)
        if self._choose_incremental(first_full_load) == "query":
            yield from self._sorted_batches(reader.incremental_chunks(lower, upper), context)
        else:
            yield from _window(self._export_reader().chunks(), lower, upper, self)
        self._complete_batch(upper, context)

    def _sorted_batches(
        self, chunks: Iterator[list[dict[str, Any]]], context: Context | None
    ) -> Iterator[list[dict[str, Any]]]:
        current: Any = None
        for chunk in chunks:
            batch = chunk[0][BATCH_ID]
            if batch != current:
                if current is not None:
                    self._complete_batch(current, context)
                current = batch
            yield chunk

    def _choose_incremental(self, first_full_load: bool) -> str:
        if first_full_load:
            return self._choose("export", "first full load: no bookmark and no start_batch_id")
        return self._choose("query", "incremental: filtered on the server past the bookmark")

    def _choose(self, auto_choice: str, reason: str) -> str:
        method = self.settings.read_method
        if method == "auto":
            method = auto_choice
            self.logger.info("%s: read_method auto chose %s (%s)", self.target, method, reason)
        else:
            self.logger.info("%s: reading with %s (read_method setting)", self.target, method)
        self.read_method_used = method
        return method

    def _bookmark(self, context: Context | None) -> Number | None:
        state = self.get_context_state(context)
        if state.get("replication_key") != BATCH_ID:
            return None
        return batch_number(state.get("replication_key_value"))

    def _complete_batch(self, batch: Number, context: Context | None) -> None:
        """Advance the bookmark to `batch` (all of its rows are emitted) and emit STATE."""
        super()._increment_stream_state({BATCH_ID: batch}, context=context)
        self.state_manager.is_flushed = False
        self._write_state_message()

    def _sync_records(
        self,
        context: Context | None = None,
        *,
        write_messages: bool = True,
    ) -> t.Generator[dict[str, Any], t.Any, t.Any]:
        """Write the records a list at a time when nothing needs them one by one.

        The SDK's loop spends more per record than reading and encoding it (a limit check,
        child contexts, a stream-map call, a message, a counter update, a timestamp); with
        every column selected, no stream map, no child stream and no record limit, none of
        that changes a line, so each list of records goes straight to the writer. Anything
        else takes the SDK's loop.

        Args:
            context: the stream partition, if any.
            write_messages: whether to write Singer messages.

        Yields:
            The records, in the SDK's loop only (nothing iterates them on this one).
        """
        writer = self._tap.message_writer
        if not (
            write_messages and context is None and self._fast_output and self.selected
        ) or not isinstance(writer, BufferedWriter):
            yield from super()._sync_records(context, write_messages=write_messages)
            return
        alias = self.stream_maps[0].stream_alias
        record_counter = self.get_record_counter()
        with record_counter, self.get_sync_timer() as timer:
            record_counter.with_context({})
            timer.with_context({})
            self._write_starting_replication_value(None)
            for chunk in self.record_chunks(None):
                # One read time per list: its rows came from one answer or one stretch of
                # the export, milliseconds apart.
                writer.write_records(alias, chunk, self._stream_version, utc_now())
                record_counter.increment(len(chunk))
            self._finalize_state(self.get_context_state(None))
        self._finalize_state(self.stream_state)
        self._write_state_message()

    @property
    def _fast_output(self) -> bool:
        """Whether records are written as read: one identity stream map, no limit, no child."""
        maps = self.stream_maps
        return (
            self._all_selected
            and len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and not maps[0].flattening_enabled
            and not self.child_streams
            and not self.partitions
            and self.ABORT_AT_RECORD_COUNT is None
            and type(self).post_process is Stream.post_process
        )

    def _process_record(
        self,
        record: Record,
        child_context: Context | None = None,
        partition_context: Context | None = None,
    ) -> None:
        """Skip the SDK's per-record child-stream work: a DataSet has no children or partitions.

        The SDK copies every record to make a child context and then finds no child to sync.

        Args:
            record: the record.
            child_context: the child context.
            partition_context: the partition context.
        """
        if self.child_streams or partition_context:
            super()._process_record(record, child_context, partition_context)

    def _flush_output(self) -> None:
        writer = self._tap.message_writer
        if isinstance(writer, BufferedWriter):
            writer.flush()

    def _write_record_message(self, record: Record) -> None:
        """Write RECORD messages straight to the buffered writer when every column is selected.

        Building a `RecordMessage` per record (and its dict, and its timestamp conversion)
        costs more than encoding the line; the line written is the same.

        Args:
            record: the record.
        """
        writer = self._tap.message_writer
        if not self._all_selected or not isinstance(writer, BufferedWriter):
            super()._write_record_message(record)
            return
        extracted = utc_now()
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                writer.write_record(
                    stream_map.stream_alias, mapped, self._stream_version, extracted
                )
        self.state_manager.is_flushed = False

    @cached_property
    def _all_selected(self) -> bool:
        mask = self.mask
        return all(mask.get(("properties", name), True) for name in self.schema["properties"])

    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        """Ignore per-record bookmarks: a record's batch may not be complete yet."""

    def _query_reader(self) -> QueryReader:
        return QueryReader(
            self.client, self.target, self.info.columns, self.settings.page_size, self.logger
        )

    def _export_reader(self) -> ExportReader:
        return ExportReader(
            self.client,
            self.target,
            self.info.columns,
            empty_string_is_null=self.settings.csv_empty_string_is_null,
            policy=self.client.policy,
            logger=self.logger,
        )


def _window(
    chunks: Iterator[list[dict[str, Any]]],
    lower: Number | None,
    upper: Number,
    stream: DataSetStream,
) -> Iterator[list[dict[str, Any]]]:
    """Keep export rows with lower < `_BATCH_ID_` <= upper (the export cannot filter)."""
    outside = nulls = 0
    for chunk in chunks:
        if lower is None:
            kept = [r for r in chunk if (b := r[BATCH_ID]) is not None and b <= upper]
        else:
            kept = [r for r in chunk if (b := r[BATCH_ID]) is not None and lower < b <= upper]
        if len(kept) < len(chunk):
            dropped_nulls = sum(1 for r in chunk if r[BATCH_ID] is None)
            nulls += dropped_nulls
            outside += len(chunk) - len(kept) - dropped_nulls
        if kept:
            yield kept
    if nulls:
        stream.logger.warning(
            "%s: %d rows have a null %s and were not read (they can never be bookmarked)",
            stream.target,
            nulls,
            BATCH_ID,
        )
    stream.logger.info("%s: %d exported rows were outside the batch window", stream.target, outside)
