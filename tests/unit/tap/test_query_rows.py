from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from tap_domo.datasets import Column
from tap_domo.query_rows import BatchDecoder, RowDecoder
from tap_domo.types import DomoType, csv_parser, record_builder

COLUMNS = [
    Column("Id", DomoType.LONG),
    Column("Name", DomoType.STRING),
    Column("Score", DomoType.DOUBLE),
    Column("Amount", DomoType.DECIMAL),
    Column("Day", DomoType.DATE),
    Column("Seen", DomoType.DATETIME),
    Column("_BATCH_ID_", DomoType.DOUBLE),
]


def raw(text: str) -> msgspec.Raw:
    return msgspec.Raw(text.encode())


def test_typed_rows_come_out_in_final_form():
    record = RowDecoder(COLUMNS).record(
        raw('[1, "Ada", 0.5, 8768.40, "2023-05-26", "2024-01-15T03:10:00", 410.0]')
    )
    assert record == {
        "Id": 1,
        "Name": "Ada",
        "Score": 0.5,
        "Amount": Decimal("8768.40"),
        "Day": "2023-05-26",
        "Seen": "2024-01-15T03:10:00Z",
        "_BATCH_ID_": 410,
    }
    assert type(record["Amount"]) is Decimal
    assert str(record["Amount"]) == "8768.40"
    assert type(record["_BATCH_ID_"]) is int


def test_decimal_stays_exact_beyond_float_precision():
    record = RowDecoder(COLUMNS).record(
        raw("[1, null, 3, 12345678901234567890.123456789, null, null, 2]")
    )
    assert record["Amount"] == Decimal("12345678901234567890.123456789")
    assert record["Score"] == 3
    assert type(record["Score"]) is int
    assert record["Name"] is None
    assert record["Day"] is None
    assert record["Seen"] is None


@pytest.mark.parametrize(
    ("row", "key", "expected"),
    [
        ('[5.0, "a", 1, 1, null, null, 1]', "Id", 5),  # a LONG sent as an integral float
        ("[1, 42, 1, 1, null, null, 1]", "Name", 42),  # a number in a STRING column
        ('[1, "a", "1.5", 1, null, null, 1]', "Score", 1.5),  # a DOUBLE sent as text
        ('[1, "a", 1, 1, null, null, "7"]', "_BATCH_ID_", 7),
    ],
)
def test_other_shapes_fall_back_to_the_generic_parsers(row, key, expected):
    assert RowDecoder(COLUMNS).record(raw(row))[key] == expected


@pytest.mark.parametrize(
    "row",
    [
        '[1, "a", 1, "NaN", null, null, 1]',
        '[1, "a", 1, 1.5, "2023-13-01", null, 1]',
        '[1.5, "a", 1, 1, null, null, 1]',
        '[1, "a", 1, 1, null, null]',
        '{"Id": 1}',
    ],
)
def test_unreadable_rows_raise_value_error(row):
    with pytest.raises(ValueError, match=r"not|row|month"):
        RowDecoder(COLUMNS).record(raw(row))


def test_batch_decoder_reads_only_the_batch():
    decoder = BatchDecoder(len(COLUMNS), 6)
    assert decoder.batch(raw('[1, "a", 1, 1, null, null, 410.0]')) == 410
    assert decoder.batch(raw('[1, "a", 1, 1, null, null, 4.5]')) == Decimal("4.5")
    assert decoder.batch(raw('[1, "a", 1, 1, null, null, "12"]')) == 12
    assert decoder.batch(raw('[1, "a", 1, 1, null, null, null]')) is None
    with pytest.raises(ValueError, match="has no _BATCH_ID_"):
        decoder.batch(raw("[1, 2]"))


def test_record_builder_binds_names_as_data_not_code():
    names = ["a'b", 'c"d', "{e}", "f\\n", "__import__('os')"]
    build = record_builder(names, [None, str.upper, None, None, None])
    assert build(["1", "x", "3", "4", "5"]) == dict(
        zip(names, ["1", "X", "3", "4", "5"], strict=True)
    )
    assert record_builder([], [])([]) == {}
    with pytest.raises(ValueError, match="zip"):
        build(["1"])


@pytest.mark.parametrize(
    ("kind", "empty_is_null", "text", "expected"),
    [
        (DomoType.STRING, True, "", None),
        (DomoType.STRING, False, "", ""),
        (DomoType.STRING, False, "\\N", None),
        (DomoType.LONG, True, "", None),
        (DomoType.LONG, True, "12", 12),
        (DomoType.LONG, True, "12.0", 12),
        (DomoType.DOUBLE, True, "\\N", None),
        (DomoType.DOUBLE, True, "0.25", 0.25),
        (DomoType.DECIMAL, True, "0.10", Decimal("0.10")),
        (DomoType.DATE, True, "", None),
        (DomoType.DATETIME, True, "2024-01-15 03:10:00", "2024-01-15T03:10:00Z"),
    ],
)
def test_csv_parsers_read_nulls_and_values_in_one_call(kind, empty_is_null, text, expected):
    parse = csv_parser("c", kind, empty_string_is_null=empty_is_null)
    assert parse(text) == expected
    # Memoised parsers must not confuse a null with the value read before it.
    assert parse("\\N") is None
    assert parse(text) == expected
