"""The inline expressions of the record builder: the same values and errors as their parsers."""

from __future__ import annotations

import gc
from decimal import Decimal

import msgspec
import pytest
from tap_domo.builder import Inline, memo_cell, record_builder
from tap_domo.cli import GC_YOUNG_THRESHOLD, tune_gc
from tap_domo.datasets import Column
from tap_domo.query_rows import RowDecoder
from tap_domo.types import BATCH_ID, DomoType, csv_parser

# Texts of every shape the parsers meet: the usual ones (taken inline) and all the others
# (handed to the parser), nulls, padding, signs, exponents, other digits, malformed values.
TEXTS = [
    "",
    "\\N",
    "0",
    "12",
    "-5",
    "+7",
    " 12 ",
    "1_000",
    "12.0",
    "7.50",
    "1e3",
    "1.2.3",
    ".",
    "NaN",
    "inf",
    "abc",
    "\u0661\u0662\u0663",  # Arabic-Indic digits
    "\u0661\u0662.\u0665",
    "²",
    "410",
    "410.0",
    "2023-05-26",
    "2023-5-26",
    "2023/05/26",
    " 2023-05-2",
    "2023-13-01",
    "2024-01-15T03:10:00",
    "2024-01-15 03:10:00",
    "2024-01-15T03:10:00Z",
    "2024-01-15T03:10:00+02:00",
    "2024-01-15T03:10:00.5",
    "2024-01-15T25:10:00",
    "2024-01-15X03:10:00",
    "'-",
]


def outcome(function, value):
    try:
        result = function(value)
    except ValueError:
        return "error"
    return f"{type(result).__name__} {result!r}"  # by repr: NaN is not equal to itself


@pytest.mark.parametrize("kind", list(DomoType))
@pytest.mark.parametrize("column", ["c", BATCH_ID])
@pytest.mark.parametrize("empty_is_null", [True, False])
def test_inline_csv_parsing_equals_calling_the_parser(kind, column, empty_is_null):
    parser = csv_parser(column, kind, empty_string_is_null=empty_is_null)
    reference = csv_parser(column, kind, empty_string_is_null=empty_is_null)
    build = record_builder(["c"], [parser])
    # Twice over, so that memoised parsers also answer from their memo.
    for text in TEXTS + TEXTS[::-1]:
        assert outcome(lambda v: build([v])["c"], text) == outcome(reference, text), text


def test_every_csv_parser_is_inlined():
    for kind in DomoType:
        for column in ("c", BATCH_ID):
            assert isinstance(csv_parser(column, kind, empty_string_is_null=True), Inline)


COLUMNS = [
    Column("Amount", DomoType.DECIMAL),
    Column("Day", DomoType.DATE),
    Column("Seen", DomoType.DATETIME),
    Column(BATCH_ID, DomoType.DOUBLE),
]
JSON_ROWS = [
    '[8768.40, "2023-05-26", "2024-01-15T03:10:00", 410]',
    '[8768.40, "2023-05-26", "2024-01-15T03:10:00", 410]',
    "[1, null, null, 410.0]",
    '[1e2, "2023-05-26T00:00:00", "2024-01-15 03:10:00", 4.5]',
    '[1, "2023-05-26", "2024-01-15T03:10:00+02:00", null]',
    '[1, "2023-13-01", null, 1]',
    '[1, null, "2024-01-15T25:10:00", 1]',
    '[1, null, null, "x"]',
]


def test_query_rows_decode_one_by_one_or_together_alike():
    one, many = RowDecoder(COLUMNS), RowDecoder(COLUMNS)
    expected = []
    for text in JSON_ROWS:
        try:
            expected.append(one.record(msgspec.Raw(text.encode())))
        except ValueError:
            expected.append("error")
    got = []
    for text in JSON_ROWS:
        try:
            got.extend(many.records([msgspec.Raw(text.encode())]))
        except ValueError:
            got.append("error")
    assert got == expected
    assert expected[0]["Seen"] == "2024-01-15T03:10:00Z"
    assert type(expected[2][BATCH_ID]) is int
    assert expected[3][BATCH_ID] == Decimal("4.5")
    assert expected[4]["Seen"] == "2024-01-15T01:10:00Z"
    assert expected[5:] == ["error"] * 3


def test_records_of_a_chunk_with_an_odd_row_take_the_generic_way():
    decoder = RowDecoder(COLUMNS)
    rows = [msgspec.Raw(t.encode()) for t in (JSON_ROWS[0], '["7.5", null, null, "12"]')]
    records = decoder.records(rows)
    assert records[0]["Amount"] == Decimal("8768.40")
    assert records[1] == {"Amount": Decimal("7.5"), "Day": None, "Seen": None, BATCH_ID: 12}


def test_memo_cell_remembers_the_last_value_only_after_parsing_it():
    calls = []

    def parse(value):
        calls.append(value)
        if value == "bad":
            raise ValueError("bad")
        return value.upper()

    memoised, cell = memo_cell(parse, ("",))
    assert memoised("a") == "A"
    assert memoised("a") == "A"
    assert cell == ["a", "A"]
    with pytest.raises(ValueError, match="bad"):
        memoised("bad")
    assert cell == ["a", "A"]
    assert memoised("") is None
    assert calls == ["a", "bad"]


def test_inline_names_cannot_replace_the_builder_s_own():
    with pytest.raises(ValueError, match="may not bind"):
        record_builder(["a"], [Inline(str, "{v}", {"_width": 1})])
    with pytest.raises(ValueError, match="may not bind"):
        record_builder(["a"], [Inline(str, "{v}", {"width": 1})])
    with pytest.raises(ValueError, match="different values"):
        record_builder(["a", "b"], [Inline(str, "{v}", {"_x": 1}), Inline(str, "{v}", {"_x": 2})])


def test_tune_gc_freezes_the_startup_objects():
    threshold = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
