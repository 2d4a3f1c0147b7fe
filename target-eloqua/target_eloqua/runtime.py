"""What one run shares across streams: the Eloqua client, metadata caches, writers, rejects."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from target_eloqua.bulk import BulkClient, BulkField, CustomObject
from target_eloqua.convert import DateOptions
from target_eloqua.errors import ApiError, MappingConfigError
from target_eloqua.mapping import (
    ContactsConfig,
    MappingConfig,
    ResolvedMapping,
    mapping_for_stream,
    pick_custom_object,
    resolve_mapping,
)
from target_eloqua.rejects import RejectLog
from target_eloqua.writer import StreamWriter, WriterSettings

LOGGER = logging.getLogger("target_eloqua")

MAX_POST_BYTES = 32_000_000  # Eloqua refuses data POSTs over 32 MB (with a 404; §3.2)
UPDATE_RULES = ("always", "ifNewIsNotNull", "ifExistingIsNull")


def config_problems(config: Mapping[str, Any]) -> list[str]:
    """Cross-field and range rules the JSON schema cannot say; each names its setting.

    Args:
        config: the target's config.

    Returns:
        One message per problem.
    """
    problems: list[str] = []
    upload = int(config.get("max_upload_bytes", 20_000_000))
    if not 256 <= upload <= MAX_POST_BYTES:
        problems.append(
            f"max_upload_bytes must be between 256 and {MAX_POST_BYTES} (Eloqua refuses larger "
            f"POSTs); got {upload}"
        )
    if int(config.get("max_sync_bytes", 200_000_000)) < 1:
        problems.append("max_sync_bytes must be positive")
    ratio = float(config.get("max_reject_ratio", 0))
    if not 0 <= ratio <= 1:
        problems.append(f"max_reject_ratio must be between 0 and 1; got {ratio:g}")
    if config.get("update_rule", "always") not in UPDATE_RULES:
        problems.append(f"update_rule must be one of {', '.join(UPDATE_RULES)}")
    zone = config.get("date_timezone", "America/New_York")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"date_timezone {zone!r} is not an IANA time zone, e.g. America/New_York")
    if float(config.get("sync_timeout", 3600)) <= 0:
        problems.append("sync_timeout must be positive")
    return problems


def writer_settings(config: Mapping[str, Any]) -> WriterSettings:
    """The writers' settings from the target's config.

    Args:
        config: the target's config.

    Returns:
        The settings.
    """
    return WriterSettings(
        max_upload_bytes=int(config.get("max_upload_bytes", 20_000_000)),
        max_sync_bytes=int(config.get("max_sync_bytes", 200_000_000)),
        max_sync_rows=int(config.get("max_sync_rows", 250_000)),
        poll_interval=float(config.get("sync_poll_interval", 2)),
        sync_timeout=float(config.get("sync_timeout", 3600)),
        update_rule=str(config.get("update_rule", "always")),
        max_reject_ratio=float(config.get("max_reject_ratio", 0)),
        dry_run=bool(config.get("dry_run", False)),
        dates=DateOptions(
            fmt=str(config.get("date_format", "%Y-%m-%d %H:%M:%S")),
            tz=ZoneInfo(str(config.get("date_timezone", "America/New_York"))),
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
            login_url=str(config.get("login_url") or "https://login.eloqua.com"),
            base_url=config.get("base_url") or None,
            timeout=float(config.get("request_timeout", 300)),
        )
        self.rejects = RejectLog(config.get("reject_file"), dry_run=self.settings.dry_run)
        self.writers: list[StreamWriter] = []
        self._objects: list[CustomObject] | None = None
        self._by_id: dict[int, CustomObject] = {}
        self._fields: dict[int, list[BulkField]] = {}

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
        writer = StreamWriter(stream, self.client, mapping, self.settings, self.rejects)
        self.writers.append(writer)
        return writer

    @property
    def busy(self) -> bool:
        """Whether a writer is in the middle of staging or committing."""
        return any(w.busy for w in self.writers)

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
