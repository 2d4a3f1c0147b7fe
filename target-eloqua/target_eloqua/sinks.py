"""Singer → Eloqua: the sink hands records to a stream writer and commits at each drain."""

from __future__ import annotations

import sys
import typing as t
import uuid

import fastjsonschema
from singer_sdk.exceptions import InvalidJSONSchema, InvalidRecord
from singer_sdk.sinks import BatchSink
from singer_sdk.sinks.core import BaseJSONSchemaValidator

from target_eloqua.convert import RowConverter
from target_eloqua.errors import DrainReentryError
from target_eloqua.typed import RecordType, record_type
from target_eloqua.writer import StreamWriter

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk.target_base import Target

    from target_eloqua.runtime import Runtime

CONNECTION_TEST_STREAM = "meltano_test_stream"  # what `meltano config test` sends (Meltano 4)
BATCH_MARK = "eloqua_batch"
_NO_RECORD: dict[str, t.Any] = {}


class FastJSONSchemaValidator(BaseJSONSchemaValidator):
    """Record validation with fastjsonschema (about 15x faster than jsonschema here)."""

    def __init__(self, schema: dict[str, t.Any]) -> None:
        """Compile the schema.

        Args:
            schema: the stream's JSON schema.

        Raises:
            InvalidJSONSchema: the schema does not compile.
        """
        super().__init__(schema)
        try:
            self.validator = fastjsonschema.compile(schema, use_formats=False)
        except fastjsonschema.JsonSchemaDefinitionException as exc:
            msg = f"Schema Validation Error: {exc}"
            raise InvalidJSONSchema(msg) from exc

    @override
    def validate(self, record: dict[str, t.Any]) -> None:
        """Validate one record.

        Args:
            record: the record.

        Raises:
            InvalidRecord: it does not match the schema.
        """
        try:
            self.validator(record)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise InvalidRecord(exc.message, record) from exc  # it adds the SDK's prefix


class EloquaSink(BatchSink):
    """Writes one stream into an Eloqua custom object through Bulk API imports."""

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict[str, t.Any],
        key_properties: t.Sequence[str] | None,
    ) -> None:
        """Keep the run's shared parts.

        Args:
            target: the target.
            stream_name: the stream.
            schema: its schema.
            key_properties: its key.
        """
        self._runtime: Runtime = target.runtime  # type: ignore[attr-defined]
        self._writer: StreamWriter | None = None
        self._typed_convert: RowConverter | None = None
        self._draining = False
        self._open_batch: str | None = None
        super().__init__(target, stream_name, schema, key_properties)
        validator = self._validator
        # The compiled function itself: one call less per record on the lean path.
        self._lean_validate: t.Callable[[t.Any], t.Any] | None = (
            validator.validator if isinstance(validator, FastJSONSchemaValidator) else None
        )

    # ---- the lean per-record path (see TargetEloqua._process_record_message) ----------------
    @property
    def takes_lean_path(self) -> bool:
        """Whether `accept` may stand in for the SDK's per-record sequence on this sink.

        Not when `add_record_metadata` is on (records then gain `_sdc_*` values), when a
        subclass changes `preprocess_record` (the lean path skips it), or when validation
        runs through another validator than the compiled fastjsonschema one.
        """
        return (
            not self.include_sdc_metadata_properties
            and type(self).preprocess_record is BatchSink.preprocess_record
            and (self._validator is None or self._lean_validate is not None)
        )

    def accept(self, record: dict[str, t.Any]) -> None:
        """Validate and stage one record: the SDK's per-record steps, minus the no-ops.

        Same order and guarantees as `Target._process_record_message` (singer-sdk 0.54.9)
        with the default stream map: batch context, schema validation, key-property check,
        read tally, `process_record`, record counter. Left out because they do nothing
        here: the shallow record copy (nothing else holds the message), the stream-map
        transform (identity without maps or flattening), timestamp parsing (overridden
        below), `preprocess_record` (not overridden, see `takes_lean_path`) and the
        debug-only `_after_process_record`. `_sdc_*` keys are stripped, as the SDK does,
        only when the record fails validation: that is the one step they can affect, since
        no mapped column can name them (they are not in the sink's schema).

        Args:
            record: the record (it may be changed in place, as the SDK's path does).
        """
        context = self._pending_batch
        if context is None:
            context = self._get_context(record)
        validate = self._lean_validate
        if validate is not None:
            try:
                validate(record)
            except fastjsonschema.JsonSchemaValueException:
                self._remove_sdc_metadata_from_record(record)
                self._validate_and_parse(record)  # raises InvalidRecord if still bad
        if self._key_properties:
            self._singer_validate_message(record)
        self._total_records_read += 1  # tally_record_read(), inlined
        self._batch_records_read += 1
        if self._writer is not None:
            self._writer.add(record)
        self._record_counter.increment()

    def prepare_typed(self) -> RecordType | None:
        """Set up `accept_typed` and return the stream's record type, when it can be typed.

        Only for a sink on the lean path (`takes_lean_path`) that validates with the compiled
        fastjsonschema validator and writes (not the connection test): a typed decode stands
        in for that validator and for the key-property check (key properties are required
        fields of the record type), so it must not apply where they would not run.

        Returns:
            The record type (typed.py), or None to keep the stream's records on the lean path.
        """
        writer = self._writer
        if writer is None or self._lean_validate is None or not self.takes_lean_path:
            return None
        typed = record_type(self.schema, self._key_properties)
        if typed is None:
            return None
        self._typed_convert = writer.typed_converter(typed.attributes)
        return typed if self._typed_convert is not None else None

    def accept_typed(self, record: t.Any) -> None:
        """Stage one record that its typed decode found valid: `accept`, minus the checks.

        The decode already did what `accept` checks (schema validation, key properties), so
        what is left is the batch context, the read tally, staging and the record counter.
        `_sdc_*` keys never reach the record: they are not fields of its type.

        Args:
            record: the decoded record (a `RecordType.struct` of `prepare_typed`).
        """
        if self._pending_batch is None:
            self._get_context(_NO_RECORD)  # BatchSink's context does not look at the record
        self._total_records_read += 1
        self._batch_records_read += 1
        writer = self._writer
        if writer is not None:
            writer.add(record, self._typed_convert)
        self._record_counter.increment()

    @property
    def is_connection_test(self) -> bool:
        """Whether this is Meltano's loader test stream (validated, never written)."""
        return self.stream_name == CONNECTION_TEST_STREAM

    @override
    def get_validator(self) -> BaseJSONSchemaValidator | None:
        """A fastjsonschema validator, unless `validate_records` is false.

        Returns:
            The validator or None.
        """
        return FastJSONSchemaValidator(self.schema) if self.validate_schema else None

    @override
    def _parse_timestamps_in_record(
        self, record: dict[str, t.Any], schema: dict[str, t.Any], treatment: t.Any
    ) -> None:
        """Leave date strings as they are: the field converters parse the mapped ones.

        The SDK parses every date-like property of every record (about a fifth of the CPU of
        a fast target, performance.md §4b), most of them never written to Eloqua; the date
        converter parses RFC 3339 strings itself and rejects what it cannot read.
        """

    @override
    def _validate_and_parse(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Validate a record as the SDK does, without logging a traceback for a bad one.

        The SDK logs every invalid record with `logger.exception`; here the run stops with
        the target's one-line message instead (`TargetEloqua.invoke`).

        Args:
            record: the record.

        Returns:
            The record (date strings are left to the field converters).

        Raises:
            InvalidRecord: it does not match the stream's schema.
        """
        if self._validator is not None:
            try:
                self._validator.validate(record)
            except InvalidRecord as exc:
                if self.fail_on_record_validation_exception:
                    raise
                self.logger.warning("Stream '%s': %s", self.stream_name, exc)
        return record

    @override
    def setup(self) -> None:
        """Resolve and validate the mapping before any record is written."""
        super().setup()
        if self.is_connection_test:
            mapping = self._runtime.resolve(self.stream_name, None)
            self.logger.info(
                "Connection test: authenticated and resolved custom object '%s' (id %s) "
                "with %d mapped fields; nothing is written for stream '%s'",
                mapping.object_name, mapping.object_id, len(mapping.columns), self.stream_name,
            )  # fmt: skip
            return
        mapping = self._runtime.resolve(self.stream_name, self.schema.get("properties", {}))
        self._writer = self._runtime.new_writer(self.stream_name, mapping)
        self.logger.info(
            "Stream '%s' → custom object '%s' (id %s), identifier %s, %d fields",
            self.stream_name, mapping.object_name, mapping.object_id,
            mapping.identifier.key, len(mapping.columns),
        )  # fmt: skip

    @property
    @override
    def is_full(self) -> bool:
        """Full when the staged data reached a sync's budget (bytes, POSTs, rows).

        The SDK's default of 10,000 rows would mean one Eloqua sync per 10,000 rows; syncs are
        rationed (about 2,000 per hour per instance), so only `batch_size_rows`, when set,
        adds a row limit.

        Returns:
            Whether to drain now.
        """
        if self._writer is not None and self._writer.needs_commit:
            return True
        rows = self.batch_size_rows
        return rows is not None and self._batch_records_read >= rows

    @property
    @override
    def current_size(self) -> int:
        """Rows of the open batch, plus those of a sync still in flight.

        The SDK's `drain_one` skips a sink whose size is 0, and `drain_all` then writes
        STATE: a sync started by `launch_batch` must keep the sink drainable until a
        blocking `process_batch` has seen it terminal.

        Returns:
            The rows not yet known to be committed in this sink's batches.
        """
        writer = self._writer
        in_flight = writer.rows_in_flight if writer is not None else 0
        return self._batch_records_read + in_flight

    @override
    def start_batch(self, context: dict[str, t.Any]) -> None:
        """Mark the batch so a drain can tell it from an empty or foreign context.

        Args:
            context: the new batch context.
        """
        context[BATCH_MARK] = self._open_batch = str(uuid.uuid4())

    @override
    def process_record(self, record: dict[str, t.Any], context: dict[str, t.Any]) -> None:
        """Stage one record (chunks are POSTed as they fill).

        Args:
            record: the record.
            context: the batch context.
        """
        if self._writer is not None:
            self._writer.add(record)

    @override
    def process_batch(self, context: dict[str, t.Any]) -> None:
        """Commit everything received; return only once every sync finished and was accounted.

        The SDK calls it from `drain_all` (before each STATE), from its max-age drain and
        from its own record path: it waits for a sync `launch_batch` left in flight, then
        syncs what is staged, and raises if either failed.

        Args:
            context: the batch context being drained.
        """
        self._drain(context, wait=True)

    def launch_batch(self, context: dict[str, t.Any]) -> None:
        """Start the sync of everything staged and return without waiting for it.

        Only for the lean record path of a full sink (`TargetEloqua._launch_one`), which
        writes no STATE; the next `launch_batch` or `process_batch` waits for this sync
        first and raises if it failed.

        Args:
            context: the batch context being drained.
        """
        self._drain(context, wait=False)

    def _drain(self, context: dict[str, t.Any], *, wait: bool) -> None:
        """Commit (`wait`) or launch the staged rows, refusing a nested or foreign drain.

        Args:
            context: the batch context being drained.
            wait: return only once everything is committed.

        Raises:
            DrainReentryError: the drain was re-entered, or the context is not the open batch
                while rows are pending (meltano/sdk#3775): never acknowledge those rows.
        """
        writer = self._writer
        if writer is None:
            return
        if self._draining or writer.busy:
            msg = (
                f"Stream '{self.stream_name}': a drain started while another was committing; "
                "stopping without acknowledging uncommitted rows"
            )
            raise DrainReentryError(msg)
        if context.get(BATCH_MARK) != self._open_batch and writer.pending_rows:
            msg = (
                f"Stream '{self.stream_name}': asked to commit a batch that is not the open one "
                f"while {writer.pending_rows} rows are pending; stopping without acknowledging them"
            )
            raise DrainReentryError(msg)
        self._draining = True
        writer.busy = True
        try:
            if wait:
                writer.commit()
            else:
                writer.launch()
        finally:
            writer.busy = False
            self._draining = False
        self._open_batch = None

    @override
    def clean_up(self) -> None:
        """Delete the import definition and log the stream's summary."""
        if self._writer is not None:
            self._runtime.release_writer(self._writer)
        super().clean_up()
