"""Typed RECORD lines: one msgspec decode both parses a record and checks it against its schema.

For a stream whose JSON schema is flat and simple (see `record_type`), a msgspec Struct typed
from the schema decodes the whole RECORD line, so a line it accepts needs neither a generic
decode to a dict nor a fastjsonschema pass. The typed decode is never more permissive than the
schema: any line it refuses (another message type, another stream, a record that does not match,
malformed JSON) goes the generic way, so errors and their texts stay those of the generic path.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

import msgspec

# What a simple schema may say, at the top and per property; anything else (defaults, which
# fastjsonschema fills in, enums, patterns, nested objects, ...) keeps the stream generic.
_SCHEMA_KEYS = frozenset(
    {"type", "properties", "required", "additionalProperties", "$schema", "title", "description"}
)
# `format` is not checked by the target's validator (fastjsonschema, use_formats=False).
_PROPERTY_KEYS = frozenset({"type", "format", "maxLength", "title", "description"})
_SCALARS: dict[frozenset[str], Any] = {
    frozenset({"string"}): str,
    frozenset({"integer"}): int,
    frozenset({"boolean"}): bool,
    # msgspec's Decimal also decodes JSON strings, and Decimal cannot share a union with str:
    # numbers decode untyped (floats as Decimal through the decoder's float_hook) and are
    # checked after decoding (`RecordType.check`).
    frozenset({"number"}): Any,
    frozenset({"integer", "number"}): Any,
}
_NUMBERS = frozenset({int, Decimal})
_NULLABLE_NUMBERS = frozenset({int, Decimal, type(None)})

RecordHandler = Callable[[Any], None]


@dataclass(frozen=True)
class RecordType:
    """The typed form of one stream's records.

    Attributes:
        struct: the Struct a record decodes into (attributes f0, f1, ... renamed to the
            schema's property names); `record.get(name)` reads it as the record's dict.
        attributes: property name → attribute name.
        check: None, or a function telling whether a decoded record's numbers are numbers (a
            number property decodes untyped; the check refuses strings, booleans and the rest).
    """

    struct: type[msgspec.Struct]
    attributes: Mapping[str, str]
    check: Callable[[Any], bool] | None


def record_type(schema: Mapping[str, Any], key_properties: Sequence[str]) -> RecordType | None:
    """The typed form of a stream's records, when its schema is simple enough to have one.

    Simple: an object schema of properties typed string / integer / number / boolean / null
    (a type or a list of them, at most one besides null, integer with number counting as
    number), with optional `format`, `maxLength` (strings), `title` and `description`;
    `required` naming properties; `additionalProperties` absent or a boolean. Required
    properties and key properties must be present; missing optional ones read as None, as
    `record.get` gives them.

    Args:
        schema: the stream's JSON schema, as its sink validates records against it.
        key_properties: the stream's key properties.

    Returns:
        The record type, or None to keep the stream on the generic path.
    """
    properties = schema.get("properties")
    required = schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    if (
        not set(schema) <= _SCHEMA_KEYS
        or "object" not in _types(schema.get("type", "object"))
        or not isinstance(properties, dict)
        or not isinstance(required, list)
        or not set(required) | set(key_properties) <= set(properties)
        or not isinstance(extra, bool)
    ):
        return None
    must = set(required) | set(key_properties)
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    attributes: dict[str, str] = {}
    numbers: list[tuple[str, bool]] = []
    for index, (name, spec) in enumerate(properties.items()):
        typed = _property_type(spec)
        if typed is None:
            return None
        attribute = attributes[name] = f"f{index}"
        annotation, nullable = typed
        if annotation is Any:
            numbers.append((attribute, nullable))
        fields.append((attribute, annotation) if name in must else (attribute, annotation, None))
    struct = msgspec.defstruct(
        "TypedRecord",
        fields,
        kw_only=True,
        forbid_unknown_fields=not extra,
        rename={attribute: name for name, attribute in attributes.items()},
        namespace={"get": _get, "_attributes": attributes},
        # Decoded JSON cannot form a reference cycle: keep records out of the cyclic GC.
        gc=False,
    )
    return RecordType(struct, attributes, _number_check(numbers))


def _get(record: Any, name: str, default: Any = None) -> Any:
    """`record.get(name)` of a typed record, as of the dict it stands for (slow paths only)."""
    attribute = record._attributes.get(name)
    return default if attribute is None else getattr(record, attribute)


def _types(declared: Any) -> frozenset[str]:
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list) and all(isinstance(name, str) for name in declared):
        return frozenset(declared)
    return frozenset()


def _property_type(spec: Any) -> tuple[Any, bool] | None:
    """(annotation, nullable) for one property, or None when it is not simple."""
    if not isinstance(spec, dict) or not set(spec) <= _PROPERTY_KEYS:
        return None
    types = _types(spec.get("type"))
    nullable = "null" in types
    scalar = types - {"null"}
    if not scalar:
        return (None, True) if nullable else None
    if scalar not in _SCALARS:
        return None
    base = _SCALARS[scalar]
    limit = spec.get("maxLength")
    if limit is not None:
        # fastjsonschema applies maxLength to strings only; msgspec counts code points, as it.
        if base is not str or type(limit) is not int or limit < 0:
            return None
        base = Annotated[str, msgspec.Meta(max_length=limit)]
    if base is Any:
        return Any, nullable
    return (Union[base, None] if nullable else base), nullable  # noqa: UP007 - a runtime type


def _number_check(numbers: Sequence[tuple[str, bool]]) -> Callable[[Any], bool] | None:
    """One generated function checking the untyped number attributes of a record.

    A missing optional number that may not be null reads as None and is refused here; the
    record then takes the generic path, which accepts it: slower, never wrong.
    """
    if not numbers:
        return None
    tests = " and ".join(
        f"record.{attribute}.__class__ in {'nullable' if nullable else 'numbers'}"
        for attribute, nullable in numbers
    )
    namespace: dict[str, Any] = {"numbers": _NUMBERS, "nullable": _NULLABLE_NUMBERS}
    code = f"def check(record):\n    return {tests}\n"
    exec(compile(code, "<target_eloqua number check>", "exec"), namespace)  # noqa: S102
    return t.cast("Callable[[Any], bool]", namespace["check"])


class TypedRecords:
    """The typed streams of a run, and `take`, which handles a line when it is one of theirs.

    Attributes:
        take: None while no stream is typed, else a function handling a line if it is a valid
            RECORD of a typed stream (True), doing nothing otherwise (False: the caller takes
            the generic path). An attribute rather than a method so that the reader can skip
            the call when no stream is typed.
    """

    def __init__(self) -> None:
        """Start with no typed stream."""
        self._streams: dict[str, tuple[RecordType, RecordHandler]] = {}
        self._decode: Callable[[str], Any] = _refuse
        self.take: Callable[[str], bool] | None = None

    def add(self, stream: str, record: RecordType, handler: RecordHandler) -> None:
        """Type a stream's RECORD lines from now on.

        Args:
            stream: the stream name.
            record: its record type.
            handler: called with each decoded record (a `record.struct`) of the stream.
        """
        self._streams[stream] = (record, handler)
        self._decode = _decoder(self._streams)
        self.take = self._take

    def clear(self) -> None:
        """Type no stream any more (a new SCHEMA may change any of them)."""
        self._streams.clear()
        self._decode = _refuse
        self.take = None

    def _take(self, line: str) -> bool:
        try:
            message = self._decode(line)
        except msgspec.DecodeError:  # a ValidationError too
            return False
        record = message.record
        check = message.check
        if check is not None and not check(record):
            return False
        message.handler(record)
        return True


def _refuse(line: str) -> Any:
    raise msgspec.DecodeError("no typed stream")


def _decoder(streams: Mapping[str, tuple[RecordType, RecordHandler]]) -> Callable[[str], Any]:
    """A decoder of the RECORD lines of these streams and no other line."""
    single = len(streams) == 1
    messages: list[Any] = []
    for stream, (record, handler) in streams.items():
        check = record.check
        namespace = {
            "check": None if check is None else staticmethod(check),
            "handler": staticmethod(handler),
        }
        fields: list[tuple[str, Any]] = [("type", Literal["RECORD"]), ("record", record.struct)]
        # A lone tagged struct would accept a line without the tag: one stream is a field.
        tag: dict[str, Any] = {"tag_field": "stream", "tag": stream}
        if single:
            fields.append(("stream", Literal[stream]))
            tag = {}
        messages.append(
            msgspec.defstruct("TypedRecordMessage", fields, namespace=namespace, gc=False, **tag)
        )
    target: Any = messages[0] if single else Union[tuple(messages)]  # noqa: UP007
    return msgspec.json.Decoder(target, float_hook=Decimal).decode
