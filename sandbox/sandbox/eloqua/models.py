"""In-memory state of the Eloqua emulator: custom objects, fields, records, contacts."""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import repeat
from operator import attrgetter, is_, itemgetter, methodcaller
from typing import cast

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
    """One custom-object record; `values` maps field id to the stored text (None = blank).

    A record that a bulk sync created or overwrote whole keeps that row as it came, `cells` for
    the fields of `layout`, until `values` is first used: a sync of many rows then stores them
    without building a dict for each.
    """

    id: int
    stored: dict[int, str | None] | None
    created_at: float
    updated_at: float
    contact_id: int | None = None
    external_id: str | None = None
    cells: tuple[str | None, ...] = ()
    layout: tuple[int, ...] = ()

    @property
    def values(self) -> dict[int, str | None]:
        """Field id → stored text (None = blank); fields never written are absent."""
        stored = self.stored
        if stored is None:
            stored = self.stored = dict(zip(self.layout, self.cells, strict=True))
            self.cells = ()
        return stored

    def get(self, field_id: int) -> str | None:
        """One value (None when blank or never written), without building `values`."""
        if self.stored is not None:
            return self.stored.get(field_id)
        if field_id in self.layout:
            return self.cells[self.layout.index(field_id)]
        return None


class RecordStore:
    """The records of one custom object, in creation order, with value indexes for matching."""

    def __init__(self) -> None:
        """Start empty."""
        self.by_id: dict[int, Record] = {}
        self._indexes: dict[int, dict[str, list[Record]]] = {}
        self._layouts: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._last_id = 0

    def __len__(self) -> int:
        return len(self.by_id)

    def index(self, field_id: int) -> dict[str, list[Record]]:
        """Value → records for one field, built on first use and kept up to date by `write`."""
        found = self._indexes.get(field_id)
        if found is None:
            found = {}
            for record in self.by_id.values():
                value = record.get(field_id)
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
        """`create` for many records at once."""
        ids = self._new_ids(len(rows))
        records = list(map(Record, ids, rows, repeat(now), repeat(now)))
        self.by_id.update(zip(ids, records, strict=True))
        for field_id, index in self._indexes.items():
            _index_new(index, records, list(map(methodcaller("get", field_id), rows)), fresh=False)

    def create_rows(
        self,
        layout: tuple[int, ...],
        cells: list[tuple[str | None, ...]],
        now: float,
        *,
        fresh: Mapping[int, Sequence[str]] | None = None,
    ) -> None:
        """`create_many` for rows given as the values of the fields of `layout` (bulk syncs).

        `fresh` may give, for some fields, the rows' values when the caller knows them to be
        distinct, never blank and not yet in that field's index, which spares checking again.
        """
        if len(set(layout)) != len(layout):
            # Two keys write one field, the last one winning: dicts settle that.
            self.create_many(list(map(dict, map(partial(zip, layout), cells))), now)
            return
        layout = self.layout(layout)
        ids = self._new_ids(len(cells))
        none, stamp = repeat(None), repeat(now)
        records = list(map(Record, ids, none, stamp, stamp, none, none, cells, repeat(layout)))
        self.by_id.update(zip(ids, records, strict=True))
        for field_id, index in self._indexes.items():
            known = fresh.get(field_id) if fresh else None
            if known is None and field_id not in layout:
                continue
            values = known or list(map(itemgetter(layout.index(field_id)), cells))
            _index_new(index, records, values, fresh=known is not None)

    def overwrite_rows(
        self, records: list[Record], layout: tuple[int, ...], cells: list[tuple[str | None, ...]]
    ) -> bool:
        """Replace all values of records that hold just the fields of `layout`, as rows.

        Returns False, changing nothing, unless every record is such a row (its dict was never
        built); the caller keeps any index right (the values it indexes must not change).
        """
        layout = self.layout(layout)
        if not all(map(is_, map(attrgetter("layout"), records), repeat(layout))):
            return False
        if not all(map(is_, map(attrgetter("stored"), records), repeat(None))):
            return False
        deque(map(setattr, records, repeat("cells"), cells), maxlen=0)
        return True

    def layout(self, field_ids: tuple[int, ...]) -> tuple[int, ...]:
        """The one tuple equal to `field_ids` that records share (compared by identity)."""
        return self._layouts.setdefault(field_ids, field_ids)

    def _new_ids(self, count: int) -> range:
        first = self._last_id + 1
        self._last_id += count
        return range(first, first + count)

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


def _index_new(
    index: dict[str, list[Record]],
    records: list[Record],
    values: Sequence[str | None],
    *,
    fresh: bool,
) -> None:
    """Index new records under their values; `fresh`: known distinct, not blank, not indexed."""
    if not fresh:
        distinct = set(values)
        fresh = (
            len(distinct) == len(values)
            and None not in distinct
            and index.keys().isdisjoint(distinct)
        )
    if fresh:
        # New distinct values (a unique field, the usual index): one C-level update.
        index.update(zip(cast("Sequence[str]", values), map(list, zip(records)), strict=True))
        return
    for record, value in zip(records, values, strict=True):
        if value is not None:
            index.setdefault(value, []).append(record)


def derive_internal_name(name: str, taken: Iterable[str]) -> str:
    """Eloqua-style internal name: the display name with `_` for non-word runs, then a counter."""
    base = re.sub(r"\W+", "_", name).strip("_") or "Field"
    existing = set(taken)
    counter = 1
    while f"{base}{counter}" in existing:
        counter += 1
    return f"{base}{counter}"
