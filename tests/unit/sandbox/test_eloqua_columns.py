"""Eloqua emulator: column-wise validation of uploads gives what checking cell by cell gives."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox.eloqua import columns as c
from sandbox.eloqua import values as v

KINDS = [
    ("Code", "text", True),
    ("Name", "text", False),
    ("Notes", "largeText", False),
    ("Tickets", "number", False),
    ("Amount", "numeric", False),
    ("When", "date", False),
    ("Email", "emailAddress", False),
]


def columns(truncate: bool = False) -> list[c.Column]:
    made = []
    for field_id, (key, kind, unique) in enumerate(KINDS, start=100):
        check = v.validator_for(kind, unique=unique, truncate=truncate)
        limit = v.UNIQUE_CODE_LIMIT if unique else v.TEXT_LIMIT
        made.append(c.Column(key, field_id, check, "always", kind, limit))
    return made


def good_row(i: int) -> dict[str, Any]:
    """A valid row whose values are mostly distinct, as a chunked load's are."""
    return {
        "Code": f"C{i:06d}",
        "Name": f"name {i % 7}",
        "Notes": f"note {i}",
        "Tickets": str(i),
        "Amount": f"{i}.{i % 100:02d}",
        "When": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}:00",
        "Email": f"user.{i}@mail-{i % 5}.example.com",
    }


def reference(rows: list[Any], cols: list[c.Column]) -> tuple[list[Any], dict[int, Any]]:
    """Each row's converted values, and each rejected row's (code, invalid keys), cell by cell."""
    converted: list[Any] = []
    errors: dict[int, tuple[str, list[str]]] = {}
    for position, row in enumerate(rows):
        if type(row) is not dict:
            errors[position] = (v.ELQ_MALFORMED, [])
            converted.append(None)
            continue
        cells = []
        for column in cols:
            result = c._convert(column, row.get(column.key, c.ABSENT))
            if isinstance(result, v.InvalidValue):
                errors.setdefault(position, (result.code, []))[1].append(column.key)
                result = None
            cells.append(result)
        converted.append(tuple(cells))
    return converted, errors


def check(rows: list[Any], cols: list[c.Column] | None = None) -> c.ValidatedUpload:
    cols = cols or columns()
    batch = c.ValidatedUpload(rows, cols, keep_distinct=0)
    converted, errors = reference(rows, cols)
    assert {p: (e.code, e.invalid) for p, e in batch.errors.items()} == errors
    for position, expected in enumerate(converted):
        if position not in errors:
            assert batch.tuples[position] == expected, position
            assert batch.values(position) == {
                col.field_id: value
                for col, value in zip(cols, expected, strict=True)
                if value is not c.ABSENT
            }
    return batch


# Values that a fast path could wrongly accept or leave unconverted, by column.
TRICKY: list[tuple[str, Any]] = [
    ("Tickets", "12\n34"),
    ("Tickets", 0),
    ("Tickets", False),
    ("Tickets", 7),
    ("Tickets", ""),
    ("Tickets", None),
    ("Amount", "1.23456"),
    ("Amount", 2.5),
    ("Amount", "-0.5\n1"),
    ("When", "2024-02-30 00:00:00"),
    ("When", "2024-02-03"),
    ("When", "2024-02-03 00:00:00\n2024-02-03 00:00:00"),
    ("Email", "a@b.example.com\nc@d.example.com"),
    ("Email", "no-at-sign.example.com"),
    ("Email", "x@-bad.example.com"),
    ("Email", "x@bad-.example.com"),
    ("Email", "x@nodot"),
    ("Email", "x" * 60 + "@long.example.com"),
    ("Email", "x" * 65 + "@long.example.com"),
    ("Email", "x@" + "a" * 64 + ".example.com"),
    ("Email", ""),
    ("Email", []),
    ("Name", "y" * 251),
    ("Name", {"nested": True}),
    ("Name", ""),
    ("Notes", ["a"]),
    ("Code", "z" * 101),
]


@pytest.mark.parametrize("rows", [10, 5000])
def test_fast_paths_match_cell_by_cell_checks(rows: int) -> None:
    # 5000 rows: several blocks, and mostly distinct columns checked in row order.
    data = [good_row(i) for i in range(rows)]
    for n, (key, value) in enumerate(TRICKY):
        data[(n * 397 + 5) % rows][key] = value
    check(data)


@pytest.mark.parametrize("rows", [12, 2300])
@pytest.mark.parametrize(("key", "value"), TRICKY)
def test_each_tricky_value_alone(key: str, value: Any, rows: int) -> None:
    data = [good_row(i) for i in range(rows)]
    data[rows - 3][key] = value
    check(data)


def test_equal_numbers_of_different_types_are_converted_apart() -> None:
    data = [good_row(i) for i in range(4)]
    for row, value in zip(data, [0, False, 1, 1.0], strict=True):
        row["Tickets"] = value
    batch = check(data)
    assert [t[3] for t in batch.tuples[2:]] == ["1", None]
    assert sorted(batch.errors) == [1, 3]


def test_truncation_applies_in_every_block() -> None:
    data = [good_row(i) for i in range(2300)]
    data[10]["Name"] = "n" * 300
    data[2200]["Code"] = "k" * 120
    batch = check(data, columns(truncate=True))
    assert batch.tuples[10][1] == "n" * 250
    assert batch.tuples[2200][0] == "k" * 100
    assert batch.kept_distinct is None


def test_malformed_or_incomplete_rows_in_a_later_block() -> None:
    data: list[Any] = [good_row(i) for i in range(2300)]
    data[100]["Tickets"] = "-1"
    data[2100] = ["not", "an", "object"]
    del data[2250]["Amount"]
    batch = check(data)
    assert batch.has_absent
    assert sorted(batch.errors) == [100, 2100]


def test_identifier_distinct_values_are_kept_across_blocks() -> None:
    data = [good_row(i) for i in range(2300)]
    batch = check(data)
    assert batch.kept_distinct == {row["Code"] for row in data}
    data[2299]["Code"] = data[0]["Code"]
    assert check(data).kept_distinct == {row["Code"] for row in data}


@pytest.mark.parametrize(
    "email",
    [
        "a@b.co",
        "first.last+tag@sub-domain.example.org",
        "a-@b.co",
        "a@b-c-d.e-f.co",
        "a@b--c.co",
        "a@b.c-",
        "a@.b.co",
        "a@b..co",
        "a@b.co.",
        "@b.co",
        "a@@b.co",
        "é@b.co",
        "a@b.cö",
        "a b@c.co",
    ],
)
def test_joined_email_check_agrees_with_the_per_value_check(email: str) -> None:
    column = columns()[-1]
    try:
        valid = v.check_email(email) == email
    except v.InvalidValue:
        valid = False
    others = [f"u{i}@x.example.com" for i in range(3)]
    assert c._provably_valid([*others, email], column) is valid
    assert c._provably_valid({email}, column) is valid
