"""In-memory state of the Eloqua emulator: custom objects, fields, records, contacts."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from operator import methodcaller

#: REST data types (CS `FieldDataType.cs`) and what the Bulk API reports for them (BTYPES).
BULK_TYPES: dict[str, str] = {
    "text": "string",
    "largeText": "string",
    "number": "number",
    "numeric": "number",
    "date": "date",
    "emailAddress": "emailAddress",
}
#: REST `dataType` and `displayType` of each type; e-mail fields are text fields with an email role.
REST_TYPES: dict[str, tuple[str, str]] = {
    "text": ("text", "text"),
    "largeText": ("largeText", "textArea"),
    "number": ("number", "text"),
    "numeric": ("numeric", "text"),
    "date": ("date", "text"),
    "emailAddress": ("text", "text"),
}


def iso_time(moment: float) -> str:
    """Bulk JSON timestamp: 7 fractional digits and `Z` (as in Eloqua's responses, §5)."""
    stamp = datetime.fromtimestamp(moment, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}0Z"


def unix_time(moment: float) -> str:
    """REST timestamp: Unix seconds as a string."""
    return str(int(moment))


@dataclass(slots=True)
class Field:
    """One custom-object field."""

    id: int
    object_id: int
    name: str
    internal_name: str
    data_type: str
    read_only: bool = False
    unique: bool = False
    not_null: bool = False
    default_value: str = ""
    created_at: float = field(default_factory=time.time)

    @property
    def statement(self) -> str:
        """The EML statement an import definition maps to."""
        return f"{{{{CustomObject[{self.object_id}].Field[{self.id}]}}}}"

    @property
    def uri(self) -> str:
        """The Bulk API uri of the field."""
        return f"/customObjects/{self.object_id}/fields/{self.id}"

    def bulk_json(self, created_by: str) -> dict[str, object]:
        """The field as `GET /customObjects/{id}/fields` lists it (COFLD)."""
        stamp = iso_time(self.created_at)
        return {
            "name": self.name,
            "internalName": self.internal_name,
            "dataType": BULK_TYPES[self.data_type],
            "defaultValue": self.default_value,
            "hasReadOnlyConstraint": self.read_only,
            "hasNotNullConstraint": self.not_null,
            "hasUniquenessConstraint": self.unique,
            "statement": self.statement,
            "uri": self.uri,
            "createdAt": stamp,
            "createdBy": created_by,
            "updatedAt": stamp,
            "updatedBy": created_by,
        }

    def rest_json(self) -> dict[str, object]:
        """The field as the REST application API describes it (SW-RCO)."""
        data_type, display_type = REST_TYPES[self.data_type]
        return {
            "type": "CustomObjectField",
            "id": str(self.id),
            "name": self.name,
            "internalName": self.internal_name,
            "dataType": data_type,
            "displayType": display_type,
            "defaultValue": self.default_value,
        }


@dataclass(slots=True)
class Record:
    """One custom-object record; `values` maps field id to the stored text (None = blank)."""

    id: int
    values: dict[int, str | None]
    created_at: float
    updated_at: float
    contact_id: int | None = None
    external_id: str | None = None


class RecordStore:
    """The records of one custom object, in creation order, with value indexes for matching."""

    def __init__(self) -> None:
        """Start empty."""
        self.by_id: dict[int, Record] = {}
        self._indexes: dict[int, dict[str, list[Record]]] = {}
        self._last_id = 0

    def __len__(self) -> int:
        return len(self.by_id)

    def index(self, field_id: int) -> dict[str, list[Record]]:
        """Value → records for one field, built on first use and kept up to date by `write`."""
        found = self._indexes.get(field_id)
        if found is None:
            found = {}
            for record in self.by_id.values():
                value = record.values.get(field_id)
                if value is not None:
                    found.setdefault(value, []).append(record)
            self._indexes[field_id] = found
        return found

    def indexed_fields(self) -> set[int]:
        """The fields that have an index."""
        return set(self._indexes)

    def create(self, values: dict[int, str | None], now: float) -> Record:
        """Store a new record with a new id and index its values."""
        self._last_id += 1
        record = Record(self._last_id, values, now, now)
        self.by_id[record.id] = record
        for field_id, index in self._indexes.items():
            value = values.get(field_id)
            if value is not None:
                index.setdefault(value, []).append(record)
        return record

    def create_many(self, rows: list[dict[int, str | None]], now: float) -> None:
        """`create` for many records at once (the bulk path of a sync)."""
        first = self._last_id + 1
        ids = range(first, first + len(rows))
        records = list(map(Record, ids, rows, repeat(now), repeat(now)))
        self._last_id += len(records)
        self.by_id.update(zip(ids, records, strict=True))
        for field_id, index in self._indexes.items():
            values = list(map(methodcaller("get", field_id), rows))
            distinct = set(values)
            fresh = len(distinct) == len(values) and index.keys().isdisjoint(distinct)
            if fresh and None not in distinct:
                # New distinct values (a unique field, the usual index): one C-level update.
                index.update(zip(values, map(list, zip(records)), strict=True))
                continue
            for record, value in zip(records, values, strict=True):
                if value is not None:
                    index.setdefault(value, []).append(record)

    def write(self, record: Record, field_id: int, value: str | None) -> None:
        """Change one value of a stored record, keeping any index of that field right."""
        index = self._indexes.get(field_id)
        if index is not None:
            old = record.values.get(field_id)
            if old is not None:
                index[old].remove(record)
                if not index[old]:
                    del index[old]
            if value is not None:
                index.setdefault(value, []).append(record)
        record.values[field_id] = value

    def drop_field(self, field_id: int) -> None:
        """Forget a deleted field's values."""
        self._indexes.pop(field_id, None)
        for record in self.by_id.values():
            record.values.pop(field_id, None)


@dataclass
class CustomObject:
    """A custom object: its fields (by id, in creation order) and its records."""

    id: int
    name: str
    fields: dict[int, Field] = field(default_factory=dict)
    records: RecordStore = field(default_factory=RecordStore)
    created_at: float = field(default_factory=time.time)
    description: str = ""

    @property
    def uri(self) -> str:
        """The Bulk API uri."""
        return f"/customObjects/{self.id}"

    def role_field(self, role: str) -> Field | None:
        """The unique-code (`unique`), e-mail (`email`) or display-name (`display`) field."""
        for candidate in self.fields.values():
            if role == "unique" and candidate.unique:
                return candidate
            if role == "email" and candidate.data_type == "emailAddress":
                return candidate
        if role == "display":
            texts = [f for f in self.fields.values() if f.data_type in ("text", "emailAddress")]
            return texts[0] if texts else None
        return None

    def bulk_json(self, created_by: str) -> dict[str, object]:
        """The custom object as the Bulk API describes it (COBULK)."""
        stamp = iso_time(self.created_at)
        item: dict[str, object] = {
            "name": self.name,
            "uri": self.uri,
            "createdAt": stamp,
            "createdBy": created_by,
            "updatedAt": stamp,
            "updatedBy": created_by,
        }
        for key, role in (
            ("uniqueFieldUri", "unique"),
            ("emailAddressFieldUri", "email"),
            ("displayNameFieldUri", "display"),
        ):
            found = self.role_field(role)
            if found is not None:
                item[key] = found.uri
        return item

    def record_statements(self, created_by: str) -> list[dict[str, object]]:
        """The record-level `Id`/`ExternalId` statements the fields endpoint also lists (NEWCO)."""
        stamp = iso_time(self.created_at)
        common = {
            "defaultValue": "",
            "hasReadOnlyConstraint": False,
            "hasNotNullConstraint": False,
            "hasUniquenessConstraint": False,
            "createdAt": stamp,
            "createdBy": created_by,
            "updatedAt": stamp,
            "updatedBy": created_by,
        }
        return [
            {
                "name": "Custom Object Record Id",
                "internalName": "CustomObjectRecordId",
                "dataType": "number",
                "statement": f"{{{{CustomObject[{self.id}].Id}}}}",
                "uri": f"{self.uri}/fields/Id",
                **common,
            },
            {
                "name": "External Id",
                "internalName": "ExternalId",
                "dataType": "string",
                "statement": f"{{{{CustomObject[{self.id}].ExternalId}}}}",
                "uri": f"{self.uri}/fields/ExternalId",
                **common,
            },
        ]


@dataclass(slots=True)
class Contact:
    """A contact; `fields` keyed by contact field internal name (e.g. `C_EmailAddress`)."""

    id: int
    fields: dict[str, str]


def derive_internal_name(name: str, taken: Iterable[str]) -> str:
    """Eloqua-style internal name: the display name with `_` for non-word runs, then a counter."""
    base = re.sub(r"\W+", "_", name).strip("_") or "Field"
    existing = set(taken)
    counter = 1
    while f"{base}{counter}" in existing:
        counter += 1
    return f"{base}{counter}"
