"""target-eloqua: identity, config schema and default sink."""

from __future__ import annotations

import functools
import sys
import time
import typing as t

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError, SingerSDKError
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.plugin_base import _ConfigInput
from singer_sdk.singerlib.exceptions import SingerError
from singer_sdk.target_base import Target

from target_eloqua.cli import (
    config_file_problem,
    fail,
    input_problem,
    schema_problem,
    tune_gc,
)
from target_eloqua.errors import EloquaTargetError, TerminatedError
from target_eloqua.reader import LeanMsgSpecReader
from target_eloqua.redact import redact_logs
from target_eloqua.runtime import DEFAULTS, UPDATE_RULES, Runtime, config_problems
from target_eloqua.sinks import EloquaSink
from target_eloqua.typed import TypedRecords

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from types import FrameType

    import click

_UNKNOWN = object()  # a stream whose record path is not decided yet

PAIR = th.ObjectType(
    th.Property(
        "eloqua_field", th.StringType, required=True, title="Eloqua field",
        description="The Eloqua custom-object field: its internal name or its display name "
        "(exact match).",
    ),
    th.Property(
        "dataset_field", th.StringType, required=True, title="Dataset field",
        description="The stream (Domo DataSet) column that feeds it.",
    ),
)  # fmt: skip

MAPPING_SETTINGS = (
    th.Property(
        "custom_object", th.CustomType({"type": ["integer", "string"]}), title="Custom object",
        description="The custom object's id, or its exact name.",
    ),
    th.Property(
        "identifier_field", PAIR, title="Identifier field",
        description="The Eloqua field records are matched on (upsert key) and the stream "
        "column that feeds it. Large text and date fields cannot be identifiers.",
    ),
    th.Property(
        "optional_fields", th.ArrayType(PAIR), title="Optional fields",
        description="More Eloqua field ← stream column pairs. Only mapped columns are written.",
    ),
)  # fmt: skip


# A number, or the same as a string: Meltano cannot serialise the Decimal a `kind: decimal`
# setting from the environment becomes, so meltano.yml declares fractional settings strings
# (runtime.as_number reads both).
NUMERIC_OR_STRING = th.CustomType({"type": ["number", "string"]})


class TargetEloqua(Target):
    """Singer target that upserts records into Oracle Eloqua custom objects (Bulk API 2.0)."""

    name = "target-eloqua"
    default_sink_class = EloquaSink
    message_reader_class = LeanMsgSpecReader

    config_jsonschema = th.PropertiesList(
        th.Property("company", th.StringType, required=True, title="Company",
                    description="Eloqua company (site) name, as on the login page."),
        th.Property("username", th.StringType, required=True, title="Username",
                    description="Eloqua API user."),
        th.Property("password", th.StringType, required=True, secret=True, title="Password",
                    description="The Eloqua user's password."),
        th.Property("login_url", th.StringType, default=DEFAULTS["login_url"],
                    title="Login URL",
                    description="Where `/id` (base-URL discovery) lives; tests and the sandbox "
                    "point it elsewhere."),
        th.Property("base_url", th.StringType, title="Base URL",
                    description="The pod URL (e.g. https://secure.p03.eloqua.com); when set, "
                    "discovery is skipped."),
        th.Property("custom_object", th.CustomType({"type": ["integer", "string"]}),
                    required=True, title="Custom object",
                    description="The custom object's id, or its exact name."),
        th.Property("identifier_field", PAIR, required=True, title="Identifier field",
                    description="The Eloqua field records are matched on (upsert key) and the "
                    "stream column that feeds it. Large text and date fields cannot be "
                    "identifiers."),
        th.Property("optional_fields", th.ArrayType(PAIR), default=[], title="Optional fields",
                    description="More Eloqua field ← stream column pairs. Only mapped columns "
                    "are written."),
        th.Property("stream_mappings",
                    th.ObjectType(additional_properties=th.ObjectType(*MAPPING_SETTINGS)),
                    default={}, title="Stream mappings",
                    description="Stream name → {custom_object, identifier_field, "
                    "optional_fields}; overrides the top-level mapping for that stream. A "
                    "missing key falls back to the top level, except that optional_fields "
                    "defaults to [] when the entry names its own custom_object."),
        th.Property("update_rule", th.StringType, default=DEFAULTS["update_rule"],
                    title="Update rule", allowed_values=list(UPDATE_RULES),
                    description="Eloqua's update rule for matched records."),
        th.Property("map_to_contacts",
                    th.ObjectType(
                        th.Property("dataset_field", th.StringType, required=True,
                                    title="Dataset field",
                                    description="The stream column holding the contact's value; "
                                    "it must also be mapped to an Eloqua field."),
                        th.Property("contact_field", th.StringType, default="C_EmailAddress",
                                    title="Contact field",
                                    description="The contact field matched against it."),
                        th.Property("case_sensitive", th.BooleanType, default=False,
                                    title="Case sensitive",
                                    description="Whether the match is case-sensitive."),
                    ), title="Map to contacts",
                    description="Link each record to the contact it names (Eloqua "
                    "mapDataCards)."),
        th.Property("max_upload_bytes", th.IntegerType, default=DEFAULTS["max_upload_bytes"],
                    title="Max upload bytes",
                    description="Largest single data POST, measured on the encoded body "
                    "(Eloqua refuses more than 32 MB)."),
        th.Property("max_sync_bytes", th.IntegerType, default=DEFAULTS["max_sync_bytes"],
                    title="Max sync bytes",
                    description="Staged bytes after which a sync is started (Eloqua advises "
                    "about 250 MB)."),
        th.Property("max_sync_rows", th.IntegerType, default=DEFAULTS["max_sync_rows"],
                    title="Max sync rows",
                    description="Rows after which a sync is started (bounds memory: the "
                    "identifiers of one sync are remembered to collapse repeats)."),
        th.Property("sync_poll_interval", NUMERIC_OR_STRING, default=DEFAULTS["sync_poll_interval"],
                    title="Sync poll interval",
                    description="First polling interval in seconds (then x1.5, capped at 60)."),
        th.Property("sync_timeout", NUMERIC_OR_STRING, default=DEFAULTS["sync_timeout"],
                    title="Sync timeout",
                    description="Seconds to wait for one sync before giving up (no STATE)."),
        th.Property("reject_file", th.StringType, title="Reject file",
                    description="Append each rejected row, with the reason, as a JSON line."),
        th.Property("max_reject_ratio", NUMERIC_OR_STRING,
                    default=DEFAULTS["max_reject_ratio"], title="Max reject ratio",
                    description="Fail the run (non-zero exit, no STATE) when rejected/sent "
                    "exceeds it, per stream over the run; 0 means any reject fails. A number "
                    "from 0 to 1, or the same as a string (e.g. \"0.05\")."),
        th.Property("dry_run", th.BooleanType, default=False, title="Dry run",
                    description="Resolve and validate everything and report what would be "
                    "written and rejected; write nothing to Eloqua and emit no STATE."),
        th.Property("date_format", th.StringType, default=DEFAULTS["date_format"],
                    title="Date format",
                    description="strftime format for Eloqua date fields (the accepted import "
                    "format is unconfirmed; this is Eloqua's recommended one)."),
        th.Property("date_timezone", th.StringType, default=DEFAULTS["date_timezone"],
                    title="Date time zone",
                    description="IANA zone date-times are converted to before formatting "
                    "(Eloqua's import zone is unconfirmed; US Eastern is the safest guess)."),
        th.Property("request_timeout", NUMERIC_OR_STRING, default=DEFAULTS["request_timeout"],
                    title="Request timeout",
                    description="Per-request read timeout in seconds."),
    ).to_dict()  # fmt: skip

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Create the target; the Eloqua client is built on the first stream.

        Args:
            args: positional arguments for `Target`.
            kwargs: keyword arguments for `Target`.
        """
        self._runtime: Runtime | None = None
        # Stream → its sink when the lean record path applies, else None (see below).
        self._lean_sinks: dict[str, t.Any] = {}
        # Streams whose RECORD lines the reader decodes typed (see `_type_stream`).
        self._typed = TypedRecords()
        super().__init__(*args, **kwargs)
        if isinstance(self.message_reader, LeanMsgSpecReader):
            self.message_reader.typed = self._typed
        # Sinks share one Eloqua instance and its hourly sync quota: drain them one at a time.
        self.max_parallelism = 1

    @property
    def runtime(self) -> Runtime:
        """The run's shared Eloqua client, caches and writers."""
        if self._runtime is None:
            self._runtime = Runtime(self.config)
        return self._runtime

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # The schema first, without the SDK's default filling (which fails on an object
        # setting of another type); then the SDK's check, then the rules the schema cannot say.
        self.append_builtin_config(self.config_jsonschema)
        problem = schema_problem(self._config, self.config_jsonschema)
        errors = [problem] if problem else super()._validate_config(raise_errors=raise_errors)
        problems = [] if errors else config_problems(self.config)
        if (errors or problems) and raise_errors:
            found = errors + problems
            raise ConfigValidationError(
                "Config validation failed: " + "; ".join(found), errors=found
            )
        return errors + problems

    # ---- records -------------------------------------------------------------------------------
    @override
    def _process_record_message(self, message_dict: dict[str, t.Any]) -> None:
        """Hand a RECORD to its sink: a lean equivalent of the SDK's path where it applies.

        The SDK's `_process_record_message` (singer-sdk ~=0.54.9) costs more per record than
        everything this target does with it. Where no stream map renames, filters, adds or
        flattens (the identity `SameRecordTransform` only) and the sink allows it
        (`EloquaSink.takes_lean_path`), `EloquaSink.accept` runs the same steps minus the
        no-ops; then a full sink starts its sync without waiting for it (`_launch_one`), so
        records keep flowing while Eloqua works, and the max-record-age check runs as in
        the SDK. Everything else, malformed messages included, takes the SDK's path.

        Args:
            message_dict: the RECORD message.
        """
        stream: t.Any = message_dict.get("stream")
        record = message_dict.get("record")
        sink = self._lean_sinks.get(stream, _UNKNOWN) if stream.__class__ is str else None
        if sink is _UNKNOWN:
            sink = self._lean_sinks[stream] = self._lean_sink(stream)
            if sink is not None:
                self._type_stream(stream, sink)
        if sink is None or record.__class__ is not dict:
            super()._process_record_message(message_dict)
            return
        sink.accept(record)
        self._after_record(sink)

    def _type_stream(self, stream: str, sink: EloquaSink) -> None:
        """Have the reader decode the stream's next RECORD lines typed, when its schema allows.

        A typed decode (typed.py) parses and validates a record in one step; a line it
        refuses, the stream's first record (which gets here) and any other message still take
        the path above, so errors stay those of the SDK's path.
        """
        typed = sink.prepare_typed()
        if typed is not None:
            self._typed.add(stream, typed, functools.partial(self._process_typed_record, sink))

    def _process_typed_record(self, sink: EloquaSink, record: t.Any) -> None:
        """The lean path's steps for a record already decoded and validated (typed.py).

        Args:
            sink: the stream's sink.
            record: the decoded record.
        """
        sink.accept_typed(record)
        self._after_record(sink)

    def _after_record(self, sink: EloquaSink) -> None:
        """After a record was staged: start a full sink's sync, and the SDK's max-age check.

        Args:
            sink: the sink that took the record.
        """
        if sink.is_full:
            self.logger.info(
                "Target sink for '%s' is full. Current size is '%s'. Draining...",
                sink.stream_name, sink.current_size,
            )  # fmt: skip
            self._launch_one(sink)
        if time.time() - self._last_full_drain_at > self._MAX_RECORD_AGE_IN_MINUTES * 60:
            self._handle_max_record_age()

    @staticmethod
    def _launch_one(sink: EloquaSink) -> None:
        """The SDK's `drain_one`, except that the sync is started and not waited for.

        Safe because neither writes STATE: only `drain_all` does, and the blocking
        `process_batch` it calls first waits for this sync (the sink's `current_size`
        counts its rows, so `drain_one` does not skip the sink) and raises if it failed.

        Args:
            sink: the full sink.
        """
        context = sink.start_drain()
        with sink.batch_processing_timer:
            sink.launch_batch(context)
        sink.mark_drained()

    def _lean_sink(self, stream: str) -> EloquaSink | None:
        """The stream's sink when the lean record path applies to it, else None."""
        maps = self.mapper.stream_maps.get(stream)
        if not maps or len(maps) != 1:
            return None
        stream_map = maps[0]
        if (
            type(stream_map) is not SameRecordTransform
            or stream_map.stream_alias != stream
            or stream_map.flattening_enabled
        ):
            return None
        sink = self._sinks_active.get(stream)
        return sink if isinstance(sink, EloquaSink) and sink.takes_lean_path else None

    @override
    def _process_schema_message(self, message_dict: dict[str, t.Any]) -> None:
        """Register the schema; a new schema may bring a new sink or map, so recheck paths.

        Args:
            message_dict: the SCHEMA message.
        """
        self._lean_sinks.clear()
        self._typed.clear()
        super()._process_schema_message(message_dict)

    @override
    def _write_state_message(self, state: dict[str, t.Any]) -> None:
        if self.config.get("dry_run"):
            self.logger.info("Dry run: STATE withheld")
            return
        super()._write_state_message(state)

    def release(self) -> None:
        """Delete every import definition still open and log the summaries."""
        if self._runtime is not None:
            self._runtime.release()

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """On SIGTERM/SIGINT, drain only when nothing is being committed.

        In the middle of a commit, a nested drain would acknowledge rows Eloqua has not
        committed (meltano/sdk#3775); stop instead, emitting no STATE for them. A sync
        started and not yet accounted for counts as a commit in progress: the definitions
        are deleted on the way out, which stops it.

        Args:
            signum: the signal.
            frame: the interrupted frame.

        Raises:
            TerminatedError: a commit was in progress.
        """
        if self._runtime is not None and self._runtime.busy:
            msg = (
                f"stopped by signal {signum} while committing to Eloqua; no STATE was emitted "
                "for uncommitted rows, which are sent again on the next run"
            )
            raise TerminatedError(msg)
        super()._handle_termination(signum, frame)

    @classmethod
    @override
    def cb_config(
        cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]
    ) -> _ConfigInput:
        """Read the `--config` files, refusing one that is not a JSON object in one line.

        Args:
            ctx: the click context.
            param: the `--config` option.
            value: the files given.

        Returns:
            The merged config input.
        """
        problem = config_file_problem(value)
        if problem is not None:
            fail(problem)
        return super().cb_config(ctx, param, value)

    @classmethod
    @override
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: _ConfigInput | None = None,
        file_input: t.IO[str] | None = None,
    ) -> None:
        """Run the target; a user-facing failure ends as one line on stderr and exit 1.

        Args:
            about: print the about information.
            about_format: its format.
            config: the config inputs.
            file_input: read messages from this file instead of stdin.
        """
        if about:
            cls.print_about(about_format)
            sys.exit(0)
        tune_gc()
        redact_logs()
        cls.print_version(print_fn=cls.logger.info)
        config = config or _ConfigInput()
        target: TargetEloqua | None = None
        try:
            target = cls(
                config=config.config, validate_config=True, parse_env_config=config.parse_env
            )
            try:
                target.listen(file_input)
            finally:
                target.release()
        except ConfigValidationError as exc:
            fail("invalid config: " + "; ".join(exc.errors or [str(exc)]))
        except EloquaTargetError as exc:
            fail(str(exc))
        except (SingerError, SingerSDKError) as exc:
            # Malformed input (bad JSON, unknown type, a record before its schema or against
            # it, a missing key property): the run stops before acknowledging anything after.
            fail(input_problem(exc))
