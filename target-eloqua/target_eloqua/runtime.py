"""What one run shares across streams: the Eloqua client, metadata caches, writers, rejects."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from target_eloqua.bulk import BulkClient, BulkField, CustomObject
from target_eloqua.convert import DEFAULT_DATE_FORMAT, DateOptions
from target_eloqua.errors import ApiError, MappingConfigError
from target_eloqua.leftovers import clear_leftovers
from target_eloqua.mapping import (
    ContactsConfig,
    MappingConfig,
    ResolvedMapping,
    mapping_for_stream,
    pick_custom_object,
    resolve_mapping,
)
from target_eloqua.rejects import RejectLog
from target_eloqua.urls import url_problem
from target_eloqua.writer import StreamWriter, WriterSettings

LOGGER = logging.getLogger("target_eloqua")

MAX_POST_BYTES = 33_554_432  # Eloqua refuses data POSTs over 32 MB (with a 404; §3.2)
MIN_POST_BYTES = 256  # room for one row of a few fields
UPDATE_RULES = ("always", "ifNewIsNotNull", "ifExistingIsNull")
# Defaults of the settings read here; an explicit null (the schema allows it) means the same.
DEFAULTS: dict[str, Any] = {
    "max_upload_bytes": 20_000_000,
    "max_sync_bytes": 200_000_000,
    "max_sync_rows": 250_000,
    "sync_poll_interval": 2,
    "sync_timeout": 3600,
    "request_timeout": 300,
    "max_reject_ratio": 0,
    "update_rule": "always",
    "date_format": DEFAULT_DATE_FORMAT,
    "date_timezone": "America/New_York",
    "login_url": "https://login.eloqua.com",
}
# A moment with every field distinct, to tell whether a date_format writes anything usable.
_PROBE_MOMENT = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.UTC)


def setting(config: Mapping[str, Any], name: str) -> Any:
    """A setting's value, or its default when it is missing or null.

    Args:
        config: the target's config.
        name: a setting of `DEFAULTS`.

    Returns:
        The value.
    """
    value = config.get(name)
    return DEFAULTS[name] if value is None else value


def as_number(value: Any) -> float:
    """A numeric setting as a float: a number or a numeric string (Meltano passes strings).

    Args:
        value: the setting's value.

    Returns:
        The number.

    Raises:
        ValueError: not a finite number.
    """
    if isinstance(value, bool):
        raise ValueError(value)
    number = float(value.strip() if isinstance(value, str) else value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


#: `max_reject_ratio` is read like every numeric setting.
reject_ratio = as_number


def config_problems(config: Mapping[str, Any]) -> list[str]:
    """Cross-field and range rules the JSON schema cannot say; each names its setting.

    Runs after the JSON schema check, so every value has its declared type.

    Args:
        config: the target's config.

    Returns:
        One message per problem.
    """
    problems = _url_problems(config)
    problems += _size_problems(config)
    problems += _time_problems(config)
    try:
        ratio = reject_ratio(setting(config, "max_reject_ratio"))
    except ValueError:
        ratio = -1.0
    if not 0 <= ratio <= 1:
        problems.append(
            f"max_reject_ratio must be a number between 0 and 1 (e.g. 0.05); got "
            f"{config.get('max_reject_ratio')!r}"
        )
    if setting(config, "update_rule") not in UPDATE_RULES:
        problems.append(f"update_rule must be one of {', '.join(UPDATE_RULES)}")
    problems += _date_problems(config)
    return problems


def _url_problems(config: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for name in ("login_url", "base_url"):
        value = config.get(name)
        if value is None or (name == "base_url" and value == ""):
            continue  # base_url is optional: discovery finds it
        problem = url_problem(name, value)
        if problem is not None:
            problems.append(problem)
    return problems


def _size_problems(config: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    upload = setting(config, "max_upload_bytes")
    if not MIN_POST_BYTES <= upload <= MAX_POST_BYTES:
        problems.append(
            f"max_upload_bytes must be between {MIN_POST_BYTES} and {MAX_POST_BYTES} (Eloqua "
            f"refuses POSTs over 32 MB); got {upload}"
        )
    for name in ("max_sync_bytes", "max_sync_rows"):
        if setting(config, name) < 1:
            problems.append(f"{name} must be a positive integer; got {config.get(name)}")
    return problems


def _time_problems(config: Mapping[str, Any]) -> list[str]:
    """Seconds settings: finite, and positive (the poll interval may be 0)."""
    problems: list[str] = []
    # (setting, the least allowed value or None for "more than zero")
    rules = (("sync_poll_interval", 0.0), ("sync_timeout", None), ("request_timeout", None))
    for name, minimum in rules:
        try:
            seconds = as_number(setting(config, name))
        except (TypeError, ValueError):
            seconds = math.nan
        allowed = seconds >= minimum if minimum is not None else seconds > 0
        if not (math.isfinite(seconds) and allowed):
            kind = "zero or more" if minimum is not None else "more than zero"
            problems.append(f"{name} must be a number of seconds, {kind}; got {config.get(name)}")
    return problems


def _date_problems(config: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    zone = setting(config, "date_timezone")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.append(f"date_timezone {zone!r} is not an IANA time zone, e.g. America/New_York")
    fmt = setting(config, "date_format")
    try:
        sample = _PROBE_MOMENT.strftime(str(fmt))
    except ValueError:
        sample = ""
    if not any(char.isdigit() for char in sample):
        problems.append(
            f"date_format {fmt!r} writes no date: give a strftime format such as "
            f"{DEFAULT_DATE_FORMAT!r}"
        )
    return problems


def writer_settings(config: Mapping[str, Any]) -> WriterSettings:
    """The writers' settings from the target's config.

    Args:
        config: the target's config.

    Returns:
        The settings.
    """
    return WriterSettings(
        max_upload_bytes=int(setting(config, "max_upload_bytes")),
        max_sync_bytes=int(setting(config, "max_sync_bytes")),
        max_sync_rows=int(setting(config, "max_sync_rows")),
        poll_interval=as_number(setting(config, "sync_poll_interval")),
        sync_timeout=as_number(setting(config, "sync_timeout")),
        update_rule=str(setting(config, "update_rule")),
        max_reject_ratio=reject_ratio(setting(config, "max_reject_ratio")),
        dry_run=bool(config.get("dry_run", False)),
        dates=DateOptions(
            fmt=str(setting(config, "date_format")),
            tz=ZoneInfo(str(setting(config, "date_timezone"))),
        ),
    )


def contacts_config(config: Mapping[str, Any]) -> ContactsConfig | None:
    """`map_to_contacts`, when set.

    Args:
        config: the target's config.

    Returns:
        The contact mapping, or None.

    Raises:
        MappingConfigError: it lacks `dataset_field`.
    """
    value = config.get("map_to_contacts")
    if not value:
        return None
    dataset_field = value.get("dataset_field")
    if not isinstance(dataset_field, str) or not dataset_field:
        raise MappingConfigError("`map_to_contacts.dataset_field` is required")
    return ContactsConfig(
        dataset_field=dataset_field,
        contact_field=str(value.get("contact_field") or "C_EmailAddress"),
        case_sensitive=bool(value.get("case_sensitive", False)),
    )


class Runtime:
    """The run's shared parts; created on the first stream, released when the run ends."""

    def __init__(self, config: Mapping[str, Any], client: BulkClient | None = None) -> None:
        """Build the client (no call is made yet).

        Args:
            config: the target's config.
            client: a ready client (tests); built from config otherwise.
        """
        self.config = config
        self.settings = writer_settings(config)
        self.client = client or BulkClient(
            company=str(config["company"]),
            username=str(config["username"]),
            password=str(config["password"]),
            login_url=str(setting(config, "login_url")),
            base_url=config.get("base_url") or None,
            timeout=as_number(setting(config, "request_timeout")),
        )
        self.rejects = RejectLog(config.get("reject_file"), dry_run=self.settings.dry_run)
        self.writers: list[StreamWriter] = []
        self._objects: list[CustomObject] | None = None
        self._by_id: dict[int, CustomObject] = {}
        self._fields: dict[int, list[BulkField]] = {}
        self._cleared: set[tuple[str, int]] = set()

    # ---- metadata ---------------------------------------------------------------------------
    def custom_object(self, mapping: MappingConfig) -> CustomObject:
        """The mapping's custom object, by id (one GET) or exact name (the list).

        Args:
            mapping: the stream's mapping.

        Returns:
            The custom object.

        Raises:
            MappingConfigError: it does not exist.
        """
        setting = f"{mapping.setting}.custom_object" if mapping.setting else "custom_object"
        wanted = mapping.custom_object
        if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.isdigit()):
            object_id = int(wanted)
            if object_id not in self._by_id:
                found = self.client.custom_object(object_id)
                if found is not None:
                    self._by_id[object_id] = found
            if object_id in self._by_id:
                return self._by_id[object_id]
        if self._objects is None:
            self._objects = self.client.custom_objects()
        return pick_custom_object(wanted, self._objects, setting)

    def fields(self, object_id: int) -> list[BulkField]:
        """The custom object's fields (cached for the run).

        Args:
            object_id: the custom object's id.

        Returns:
            The fields.
        """
        if object_id not in self._fields:
            self._fields[object_id] = self.client.fields(object_id)
        return self._fields[object_id]

    def resolve(self, stream: str, schema_properties: Mapping[str, Any] | None) -> ResolvedMapping:
        """Resolve and validate the stream's mapping (reads metadata, writes nothing).

        Args:
            stream: the stream name.
            schema_properties: the stream's schema properties; None skips that check.

        Returns:
            The resolved mapping.
        """
        mapping = mapping_for_stream(self.config, stream)
        custom_object = self.custom_object(mapping)
        return resolve_mapping(
            mapping,
            custom_object,
            self.fields(custom_object.id),
            schema_properties,
            contacts_config(self.config),
        )

    # ---- writers ----------------------------------------------------------------------------
    def new_writer(self, stream: str, mapping: ResolvedMapping) -> StreamWriter:
        """A writer for one sink of `stream`.

        Args:
            stream: the stream name.
            mapping: its resolved mapping.

        Returns:
            The writer.
        """
        writer = StreamWriter(
            stream, self.client, mapping, self.settings, self.rejects,
            before_first_definition=lambda: self.clear_leftovers(stream, mapping.object_id),
            before_sync=self.settle,
        )  # fmt: skip
        self.writers.append(writer)
        return writer

    def clear_leftovers(self, stream: str, object_id: int) -> None:
        """Once per stream and custom object in a run: delete earlier runs' definitions.

        Called before the stream's first import definition is created, so that a sync an
        earlier (killed) run left pending cannot land older values after this run's.

        Args:
            stream: the stream name.
            object_id: its custom object's id.
        """
        if (stream, object_id) in self._cleared:
            return
        ours = {uri for w in self.writers for uri in w.definition_uris}
        clear_leftovers(self.client, object_id, stream, keep=ours)
        self._cleared.add((stream, object_id))

    def settle(self) -> None:
        """Wait for every sync of the run in flight (one per stream at most).

        Called before any sync starts: streams may write the same custom object, and two
        syncs running at once would apply shared identifiers in an undefined order.
        """
        for writer in self.writers:
            writer.settle()

    @property
    def busy(self) -> bool:
        """Whether a writer is staging, uploading or committing, or has a sync in flight."""
        return any(w.busy or w.uploading or w.in_flight for w in self.writers)

    def release_writer(self, writer: StreamWriter) -> None:
        """Delete a writer's definition and log its summary line.

        Args:
            writer: the writer.
        """
        if writer not in self.writers:
            return
        self.writers.remove(writer)
        try:
            writer.close()
        except ApiError as exc:
            LOGGER.warning("Cleanup of stream '%s' incomplete: %s", writer.stream, exc)
        LOGGER.info(writer.stats.line(writer.stream, self.settings.dry_run))

    def release(self) -> None:
        """End the run: release every writer, close the reject file and the session."""
        for writer in list(self.writers):
            self.release_writer(writer)
        self.rejects.close()
        self.client.close()
