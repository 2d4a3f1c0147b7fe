"""What the Eloqua Bulk API returns, as typed values, and the parsers of its JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class SyncStatus(StrEnum):
    """A Bulk sync's status; the docs disagree on `error` vs `errored`, so both exist."""

    PENDING = "pending"
    ACTIVE = "active"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"
    ERRORED = "errored"

    @property
    def is_terminal(self) -> bool:
        """Whether the sync has finished."""
        return self not in {SyncStatus.PENDING, SyncStatus.ACTIVE}

    @property
    def is_failure(self) -> bool:
        """Whether the sync failed as a whole."""
        return self in {SyncStatus.ERROR, SyncStatus.ERRORED}


@dataclass(frozen=True)
class CustomObject:
    """A custom object as the Bulk API lists it."""

    id: int
    name: str
    unique_field_uri: str | None = None


@dataclass(frozen=True)
class BulkField:
    """A custom-object field from the Bulk fields endpoint, with its REST data type."""

    name: str
    internal_name: str
    data_type: str
    statement: str
    uri: str
    read_only: bool = False
    not_null: bool = False
    unique: bool = False
    rest_data_type: str | None = None


@dataclass(frozen=True)
class Sync:
    """A Bulk sync: where it lives and how far it got."""

    uri: str
    status: SyncStatus | None
    raw_status: str


@dataclass(frozen=True)
class SyncLog:
    """One aggregate log line of a sync."""

    status_code: str
    message: str
    count: int
    severity: str


@dataclass(frozen=True)
class SyncReject:
    """One row Eloqua rejected during a sync."""

    field_values: dict[str, Any]
    invalid_fields: list[str]
    message: str
    status_code: str
    record_index: int | None


def object_id_from_uri(uri: str) -> int:
    """The numeric id at the end of a `/customObjects/{id}` uri.

    Args:
        uri: a uri such as "/customObjects/5".

    Returns:
        The id.
    """
    return int(uri.rstrip("/").rsplit("/", 1)[-1])


def parse_custom_object(item: dict[str, Any]) -> CustomObject:
    """A custom object from its Bulk JSON."""
    unique = item.get("uniqueFieldUri")
    return CustomObject(
        id=object_id_from_uri(str(item["uri"])),
        name=str(item.get("name", "")),
        unique_field_uri=str(unique) if unique else None,
    )


def parse_bulk_field(item: dict[str, Any], rest_types: dict[str, str]) -> BulkField:
    """A field from its Bulk JSON, with its REST data type when REST knows it."""
    uri = str(item.get("uri", ""))
    field_id = uri.rstrip("/").rsplit("/", 1)[-1]
    return BulkField(
        name=str(item.get("name", "")),
        internal_name=str(item.get("internalName", "")),
        data_type=str(item.get("dataType", "")),
        statement=str(item.get("statement", "")),
        uri=uri,
        read_only=bool(item.get("hasReadOnlyConstraint")),
        not_null=bool(item.get("hasNotNullConstraint")),
        unique=bool(item.get("hasUniquenessConstraint")),
        rest_data_type=rest_types.get(field_id),
    )


def parse_sync(body: Any) -> Sync:
    """A sync from its JSON (an unknown status string is kept raw, status None)."""
    raw = str(body.get("status", "")) if isinstance(body, dict) else ""
    try:
        status: SyncStatus | None = SyncStatus(raw.lower())
    except ValueError:
        status = None
    uri = str(body.get("uri", "")) if isinstance(body, dict) else ""
    return Sync(uri=uri, status=status, raw_status=raw)


def parse_log(item: dict[str, Any]) -> SyncLog:
    """A sync log line from its JSON."""
    return SyncLog(
        status_code=str(item.get("statusCode", "")),
        message=str(item.get("message", "")),
        count=int(item.get("count") or 0),
        severity=str(item.get("severity", "")),
    )


def parse_reject(item: dict[str, Any]) -> SyncReject:
    """A rejected row from its JSON."""
    index = item.get("recordIndex")
    return SyncReject(
        field_values=dict(item.get("fieldValues") or {}),
        invalid_fields=[str(f) for f in item.get("invalidFields") or []],
        message=str(item.get("message", "")),
        status_code=str(item.get("statusCode", "")),
        record_index=int(index) if isinstance(index, int) else None,
    )
