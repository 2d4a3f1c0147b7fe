"""Resolve and validate the field mapping against Eloqua's metadata (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from target_eloqua.bulk import BulkField, CustomObject
from target_eloqua.convert import FieldKind
from target_eloqua.errors import MappingConfigError

MAX_IMPORT_FIELDS = 100  # hard limit per import definition (eloqua-api.md §3.1, §4)
# Eloqua refuses large text, date and boolean identifiers (eloqua-api.md §3.1 identifierFieldName).
REFUSED_IDENTIFIER_KINDS = frozenset({FieldKind.LARGE_TEXT, FieldKind.DATE, FieldKind.BOOLEAN})


@dataclass(frozen=True)
class FieldPair:
    """One configured pair: an Eloqua field fed from a dataset (stream) field."""

    eloqua_field: str
    dataset_field: str


@dataclass(frozen=True)
class MappingConfig:
    """The mapping that applies to one stream, with the setting it came from (for messages)."""

    custom_object: int | str
    identifier: FieldPair
    optional: tuple[FieldPair, ...]
    setting: str


@dataclass(frozen=True)
class ContactsConfig:
    """`map_to_contacts`: link each record to the contact whose field matches a dataset field."""

    dataset_field: str
    contact_field: str = "C_EmailAddress"
    case_sensitive: bool = False


@dataclass(frozen=True)
class Column:
    """One column of the import: the JSON key, its Eloqua field and the stream field feeding it."""

    key: str
    dataset_field: str
    statement: str
    kind: FieldKind
    eloqua_name: str


@dataclass(frozen=True)
class ResolvedMapping:
    """A mapping that Eloqua will accept: ready to build an import definition."""

    object_id: int
    object_name: str
    columns: tuple[Column, ...]
    identifier: Column
    contacts: ContactsConfig | None = None

    def contact_source_key(self) -> str | None:
        """The column key matched against contacts, when `map_to_contacts` is set."""
        if self.contacts is None:
            return None
        for column in self.columns:
            if column.dataset_field == self.contacts.dataset_field:
                return column.key
        return None


def parse_pair(value: Any, setting: str) -> FieldPair:
    """Read a `{eloqua_field, dataset_field}` object from config.

    Args:
        value: the configured object.
        setting: its setting name, for the message.

    Returns:
        The pair.

    Raises:
        MappingConfigError: the object lacks one of the two names.
    """
    if not isinstance(value, Mapping):
        raise MappingConfigError(f"`{setting}` must be an object {{eloqua_field, dataset_field}}")
    eloqua, dataset = value.get("eloqua_field"), value.get("dataset_field")
    if not isinstance(eloqua, str) or not eloqua or not isinstance(dataset, str) or not dataset:
        raise MappingConfigError(
            f"`{setting}` needs both `eloqua_field` and `dataset_field` as non-empty strings"
        )
    return FieldPair(eloqua, dataset)


def mapping_for_stream(config: Mapping[str, Any], stream: str) -> MappingConfig:
    """The mapping that applies to `stream`: its `stream_mappings` entry over the top level.

    An entry may override any of `custom_object`, `identifier_field` and `optional_fields`;
    when it names another custom object, `optional_fields` no longer falls back to the top level.

    Args:
        config: the target's config.
        stream: the stream name.

    Returns:
        The mapping.

    Raises:
        MappingConfigError: the entry is not an object or a pair is incomplete.
    """
    overrides = (config.get("stream_mappings") or {}).get(stream)
    setting = f"stream_mappings.{stream}" if overrides is not None else ""
    if overrides is not None and not isinstance(overrides, Mapping):
        raise MappingConfigError(f"`{setting}` must be an object")
    overrides = overrides or {}
    custom_object = overrides.get("custom_object", config.get("custom_object"))
    own_object = "custom_object" in overrides
    identifier = overrides.get("identifier_field", config.get("identifier_field"))
    optional = overrides.get(
        "optional_fields", [] if own_object else config.get("optional_fields") or []
    )
    prefix = f"{setting}." if setting else ""
    if custom_object is None or custom_object == "":
        raise MappingConfigError(f"`{prefix}custom_object` is required")
    return MappingConfig(
        custom_object=custom_object,
        identifier=parse_pair(identifier, f"{prefix}identifier_field"),
        optional=tuple(
            parse_pair(item, f"{prefix}optional_fields[{i}]") for i, item in enumerate(optional)
        ),
        setting=setting,
    )


def pick_custom_object(
    wanted: int | str, objects: Sequence[CustomObject], setting: str
) -> CustomObject:
    """Find the configured custom object by id or by exact name.

    Args:
        wanted: the configured id or name.
        objects: every custom object of the instance.
        setting: the setting's name, for the message.

    Returns:
        The custom object.

    Raises:
        MappingConfigError: none or several match.
    """
    if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.isdigit()):
        by_id = [o for o in objects if o.id == int(wanted)]
        if by_id:
            return by_id[0]
    by_name = [o for o in objects if o.name == wanted]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        ids = ", ".join(str(o.id) for o in by_name)
        raise MappingConfigError(
            f"`{setting}`: several custom objects are named {wanted!r} (ids {ids}); "
            "set the id instead"
        )
    known = ", ".join(f"{o.name!r} ({o.id})" for o in objects[:20]) or "none"
    raise MappingConfigError(
        f"`{setting}`: no custom object with id or exact name {wanted!r}; known: {known}"
    )


def find_field(name: str, fields: Sequence[BulkField], setting: str) -> BulkField:
    """Find an Eloqua field by internal name or display name (exact; ambiguity refused).

    Args:
        name: the configured name.
        fields: the custom object's fields.
        setting: the setting's name, for the message.

    Returns:
        The field.

    Raises:
        MappingConfigError: no field, or several different fields, carry that name.
    """
    matches = {f.uri or f.internal_name: f for f in fields if name in (f.internal_name, f.name)}
    if len(matches) == 1:
        return next(iter(matches.values()))
    if matches:
        which = ", ".join(f"{f.name!r} ({f.internal_name})" for f in matches.values())
        raise MappingConfigError(
            f"`{setting}`: {name!r} names several Eloqua fields ({which}); use the internal name"
        )
    known = ", ".join(f"{f.name!r} ({f.internal_name})" for f in fields[:40]) or "none"
    raise MappingConfigError(f"`{setting}`: no Eloqua field named {name!r}; fields: {known}")


def field_kind(field: BulkField) -> FieldKind:
    """What an Eloqua field accepts, from the REST type where known, else the Bulk type.

    Args:
        field: the field.

    Returns:
        Its kind.
    """
    if field.data_type == "emailAddress" or field.rest_data_type == "emailAddress":
        return FieldKind.EMAIL
    # Record-level statements the fields endpoint also lists (eloqua-api.md §2.3, NEWCO).
    if field.statement.endswith(".Id}}"):
        return FieldKind.NUMBER
    if field.statement.endswith(".ExternalId}}"):
        return FieldKind.TEXT
    by_rest = {
        "text": FieldKind.TEXT,
        "largeText": FieldKind.LARGE_TEXT,
        "number": FieldKind.NUMBER,
        "numeric": FieldKind.NUMERIC,
        "date": FieldKind.DATE,
    }
    if field.rest_data_type in by_rest:
        return by_rest[field.rest_data_type]
    # The Bulk API alone cannot tell text from large text or integer from decimal (§2.1).
    by_bulk = {
        "string": FieldKind.LARGE_TEXT,
        "number": FieldKind.NUMERIC,
        "date": FieldKind.DATE,
        "boolean": FieldKind.BOOLEAN,
    }
    return by_bulk.get(field.data_type, FieldKind.LARGE_TEXT)


def resolve_mapping(
    config: MappingConfig,
    custom_object: CustomObject,
    fields: Sequence[BulkField],
    schema_properties: Mapping[str, Any] | None,
    contacts: ContactsConfig | None = None,
) -> ResolvedMapping:
    """Check a mapping against the custom object (and the stream's schema) and resolve it.

    Args:
        config: the stream's mapping.
        custom_object: the resolved custom object.
        fields: its fields.
        schema_properties: the stream's schema properties; None skips the dataset-field check.
        contacts: the `map_to_contacts` setting.

    Returns:
        The resolved mapping.

    Raises:
        MappingConfigError: the mapping cannot work; the message names the setting.
    """
    prefix = f"{config.setting}." if config.setting else ""
    pairs = [(config.identifier, f"{prefix}identifier_field")]
    pairs += [(p, f"{prefix}optional_fields[{i}]") for i, p in enumerate(config.optional)]
    if len(pairs) > MAX_IMPORT_FIELDS:
        raise MappingConfigError(
            f"`{prefix}optional_fields`: {len(pairs)} fields mapped, but an Eloqua import takes "
            f"at most {MAX_IMPORT_FIELDS}; map fewer fields"
        )
    columns = [_column(pair, setting, fields) for pair, setting in pairs]
    _check_unique(columns, pairs)
    identifier = columns[0]
    if identifier.kind in REFUSED_IDENTIFIER_KINDS:
        raise MappingConfigError(
            f"`{prefix}identifier_field`: Eloqua field {identifier.eloqua_name!r} is "
            f"{identifier.kind.value}, which Eloqua refuses as an import identifier; "
            "choose a text, number or email field (ideally the unique code field)"
        )
    if schema_properties is not None:
        _check_schema(pairs, schema_properties)
    if contacts is not None:
        _check_contacts(contacts, columns, schema_properties)
    return ResolvedMapping(
        object_id=custom_object.id,
        object_name=custom_object.name,
        columns=tuple(columns),
        identifier=identifier,
        contacts=contacts,
    )


def _column(pair: FieldPair, setting: str, fields: Sequence[BulkField]) -> Column:
    field = find_field(pair.eloqua_field, fields, f"{setting}.eloqua_field")
    if field.read_only:
        raise MappingConfigError(
            f"`{setting}.eloqua_field`: Eloqua field {field.name!r} is read-only; "
            "remove it from the mapping"
        )
    return Column(
        key=field.internal_name or field.name,
        dataset_field=pair.dataset_field,
        statement=field.statement,
        kind=field_kind(field),
        eloqua_name=field.name,
    )


def _check_unique(columns: Sequence[Column], pairs: Sequence[tuple[FieldPair, str]]) -> None:
    seen: dict[str, str] = {}
    for column, (_, setting) in zip(columns, pairs, strict=True):
        if column.key in seen:
            raise MappingConfigError(
                f"`{setting}.eloqua_field`: Eloqua field {column.eloqua_name!r} is already mapped "
                f"by `{seen[column.key]}`; map each Eloqua field once"
            )
        seen[column.key] = setting


def _check_schema(
    pairs: Sequence[tuple[FieldPair, str]], schema_properties: Mapping[str, Any]
) -> None:
    for pair, setting in pairs:
        if pair.dataset_field not in schema_properties:
            known = ", ".join(sorted(schema_properties)[:40]) or "none"
            raise MappingConfigError(
                f"`{setting}.dataset_field`: the stream has no field {pair.dataset_field!r}; "
                f"its fields: {known}"
            )


def _check_contacts(
    contacts: ContactsConfig,
    columns: Sequence[Column],
    schema_properties: Mapping[str, Any] | None,
) -> None:
    if schema_properties is not None and contacts.dataset_field not in schema_properties:
        raise MappingConfigError(
            f"`map_to_contacts.dataset_field`: the stream has no field {contacts.dataset_field!r}"
        )
    if not any(c.dataset_field == contacts.dataset_field for c in columns):
        raise MappingConfigError(
            f"`map_to_contacts.dataset_field`: {contacts.dataset_field!r} must also be mapped to "
            "an Eloqua field (identifier_field or optional_fields), since Eloqua matches "
            "contacts on an imported column"
        )
    if not contacts.contact_field or any(ch in contacts.contact_field for ch in "{}()"):
        raise MappingConfigError(
            "`map_to_contacts.contact_field`: give a contact field's internal name, "
            "e.g. C_EmailAddress"
        )
