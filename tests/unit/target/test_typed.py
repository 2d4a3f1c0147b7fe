"""Typed RECORD decoding: never more permissive than the schema, same values as the generic path."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import fastjsonschema
import pytest
from singer_sdk.contrib.msgspec import decoder as generic_decoder
from target_eloqua.convert import compile_row, text_converter
from target_eloqua.typed import RecordType, TypedRecords, record_type

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": ["string", "null"], "maxLength": 3},
        "count": {"type": ["integer", "null"]},
        "amount": {"type": ["number", "null"]},
        "score": {"type": "number"},
        "flag": {"type": ["boolean", "null"]},
        "seen": {"type": ["string", "null"], "format": "date-time"},
        "nothing": {"type": "null"},
    },
    "required": ["score"],
}
KEYS = ["id"]


def line(record: Any, stream: str = "s", kind: str = "RECORD") -> str:
    return json.dumps({"type": kind, "stream": stream, "record": record})


def base(**changes: Any) -> dict[str, Any]:
    record = {"id": "a", "name": "abc", "count": 1, "amount": 1.5, "score": 2, "flag": True}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not _DROP}


_DROP = object()


def taken(schema: dict[str, Any], text: str) -> Any:
    """The record the typed path handled, or None when it left the line to the generic path."""
    typed = record_type(schema, KEYS)
    assert typed is not None
    seen: list[Any] = []
    records = TypedRecords()
    records.add("s", typed, seen.append)
    assert records.take is not None
    return seen[0] if records.take(text) else None


def generic_valid(schema: dict[str, Any], text: str) -> bool:
    message = generic_decoder.decode(text)
    validate = fastjsonschema.compile(schema, use_formats=False)
    try:
        validate(message["record"])
    except fastjsonschema.JsonSchemaValueException:
        return False
    return any(key not in message["record"] for key in KEYS) is False


def assert_same_values(schema: dict[str, Any], text: str, record: Any) -> None:
    expected = generic_decoder.decode(text)["record"]
    for name in schema["properties"]:
        got, want = record.get(name), expected.get(name)
        assert (type(got), got) == (type(want), want), name
        if isinstance(want, Decimal):
            assert str(got) == str(want)  # the digits, trailing zeros included


@pytest.mark.parametrize(
    "text",
    [
        line(base()),
        line(base(amount=None, count=None, flag=None, name=None, seen=None)),
        line(base(name=_DROP, count=_DROP, amount=_DROP, flag=_DROP)),  # optional: may be missing
        line(base(name="ab😀")),  # maxLength counts code points
        line(base(extra={"any": ["thing"]})),  # additionalProperties absent: allowed
        line(base(count=123456789012345678901234567890)),
        '{"type":"RECORD","stream":"s","record":{"id":"a","score":8768.40,"amount":1E+3}}',
        '{"type":"RECORD","stream":"s","record":{"id":"a","score":0.1,"amount":-0.0}}',
        '{"type":"RECORD","stream":"s","record":{"id":"a","score":1,"score":2.50}}',
        '{"type":"RECORD","stream":"s","record":{"id":"a","score":"x","score":1}}',  # last wins
        '{"record":{"id":"a","score":1},"version":3,"stream":"s","type":"RECORD"}',
    ],
)
def test_valid_records_are_taken_with_the_generic_values(text: str):
    record = taken(SCHEMA, text)
    assert record is not None
    assert generic_valid(SCHEMA, text)
    assert_same_values(SCHEMA, text, record)


@pytest.mark.parametrize(
    "text",
    [
        line(base(count=1.0)),  # fastjsonschema refuses the Decimal 1.0 as an integer
        line(base(count=True)),
        line(base(count="1")),
        line(base(amount="1.5")),  # msgspec's Decimal alone would take a string
        line(base(amount=True)),
        line(base(amount=[1])),
        line(base(score=None)),  # not nullable
        line(base(score=_DROP)),  # required
        line(base(id=_DROP)),  # a key property
        line(base(id=None)),
        line(base(name="abcd")),
        line(base(flag=1)),
        line(base(nothing=0)),
        line(base(seen=20240101)),
        line(base(), stream="other"),
        line(base(), kind="SCHEMA"),
        '{"type":"RECORD","record":{"id":"a","score":1}}',
        '{"type":"RECORD","stream":"s","record":{"id":"a","score":1},"stream":"t"}',
        '{"type":"RECORD","stream":"s","record":{"id":"a","score":1}',
        '{"type":"STATE","value":{}}',
        "[1]",
    ],
)
def test_other_lines_are_left_to_the_generic_path(text: str):
    assert taken(SCHEMA, text) is None


def test_additional_properties_false_refuses_unknown_keys():
    closed = {**SCHEMA, "additionalProperties": False}
    assert taken(closed, line(base())) is not None
    assert taken(closed, line(base(_sdc_sequence=1))) is None


def test_optional_non_nullable_number_may_be_missing_but_the_generic_path_decides():
    schema = {"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "number"}}}
    assert taken(schema, line({"id": "a", "n": 1})) is not None
    assert taken(schema, line({"id": "a"})) is None  # reads as None: refused, never wrong
    assert generic_valid(schema, line({"id": "a"}))


@pytest.mark.parametrize(
    "change",
    [
        {"properties": {"id": {"type": "string"}, "o": {"type": "object"}}},
        {"properties": {"id": {"type": "string"}, "e": {"type": "string", "enum": ["x"]}}},
        {"properties": {"id": {"type": "string"}, "d": {"type": "string", "default": "x"}}},
        {"properties": {"id": {"type": ["string", "integer"]}}},
        {"properties": {"id": {"type": "string", "maxLength": 2.5}}},
        {"properties": {"id": {"type": "integer", "maxLength": 2}}},
        {"properties": {"id": {}}},
        {"additionalProperties": {"type": "string"}},
        {"required": ["missing"]},
        {"minProperties": 1},
        {"type": "array"},
    ],
)
def test_schemas_that_are_not_simple_stay_generic(change: dict[str, Any]):
    assert record_type({**SCHEMA, **change}, KEYS) is None


def test_key_property_outside_the_schema_stays_generic():
    assert record_type(SCHEMA, ["nope"]) is None


def test_two_streams_decode_by_their_own_types():
    typed = record_type(SCHEMA, KEYS)
    other = record_type({"properties": {"id": {"type": "integer"}}}, [])
    assert typed is not None
    assert other is not None
    seen: list[tuple[str, Any]] = []
    records = TypedRecords()
    records.add("s", typed, lambda r: seen.append(("s", r)))
    records.add("t", other, lambda r: seen.append(("t", r)))
    assert records.take is not None
    assert records.take(line(base()))
    assert records.take(line({"id": 7}, stream="t"))
    assert not records.take(line({"id": "7"}, stream="t"))
    assert not records.take('{"type":"RECORD","record":{"id":7}}')
    assert [(stream, r.get("id")) for stream, r in seen] == [("s", "a"), ("t", 7)]
    records.clear()
    assert records.take is None


def test_row_converter_reads_typed_attributes():
    typed: RecordType | None = record_type(SCHEMA, KEYS)
    assert typed is not None
    record = taken(SCHEMA, line(base()))
    convert = compile_row(["name", "id"], [text_converter(10)] * 2, typed.attributes)
    assert convert(record) == ["abc", "a"]
    with pytest.raises(ValueError, match="not attribute names"):
        compile_row(["id"], [text_converter(10)], {"id": "a.b"})
