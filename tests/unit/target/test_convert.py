"""Value conversion per Eloqua field kind (eloqua-api.md §5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from target_eloqua.convert import (
    DateOptions,
    FieldKind,
    RejectCode,
    ValueRejected,
    compile_row,
    make_converter,
    to_text,
)

EASTERN = DateOptions(tz=ZoneInfo("America/New_York"))


def convert(kind: FieldKind, value: object, options: DateOptions = EASTERN) -> str | None:
    return make_converter(kind, options)(value)


def rejected(kind: FieldKind, value: object) -> RejectCode:
    with pytest.raises(ValueRejected) as info:
        convert(kind, value)
    return info.value.code


@pytest.mark.parametrize("kind", list(FieldKind))
def test_none_stays_none_for_every_kind(kind: FieldKind) -> None:
    assert convert(kind, None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("", ""),
        (True, "true"),
        (False, "false"),
        (12, "12"),
        (Decimal("1E+3"), "1000"),
        (Decimal("0.10"), "0.10"),
        (0.1, "0.1"),
        ({"a": [1, None]}, '{"a":[1,null]}'),
        (dt.date(2024, 1, 2), "2024-01-02"),
    ],
)
def test_text_renders_values_as_strings(value: object, expected: str) -> None:
    assert convert(FieldKind.TEXT, value) == expected


def test_text_length_limits() -> None:
    assert convert(FieldKind.TEXT, "x" * 250) == "x" * 250
    assert rejected(FieldKind.TEXT, "x" * 251) is RejectCode.LENGTH
    assert convert(FieldKind.LARGE_TEXT, "x" * 32_000) == "x" * 32_000
    assert rejected(FieldKind.LARGE_TEXT, "x" * 32_001) is RejectCode.LENGTH


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (7, "7"), (Decimal("5.000"), "5"), ("42", "42"), (" 3 ", "3"), ("", None)],
)
def test_number_accepts_non_negative_integers(value: object, expected: str | None) -> None:
    assert convert(FieldKind.NUMBER, value) == expected


@pytest.mark.parametrize("value", [-1, Decimal("1.5"), "abc", True, "NaN", Decimal("-0.5"), [1]])
def test_number_rejects_the_rest(value: object) -> None:
    assert rejected(FieldKind.NUMBER, value) is RejectCode.NUMBER


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.5678"), "1234.5678"),
        (Decimal("-12.5"), "-12.5"),
        (Decimal("1E+2"), "100"),
        (Decimal("1.50000"), "1.5"),  # Eloqua counts the places sent: zeros dropped
        (0.1, "0.1"),
        (10, "10"),
        ("999999999999999.9999", "999999999999999.9999"),
        ("", None),
    ],
)
def test_numeric_keeps_decimals_exact_without_exponent(value: object, expected: str) -> None:
    assert convert(FieldKind.NUMERIC, value) == expected


@pytest.mark.parametrize(
    "value", [Decimal("1.23456"), "1e-5", "1000000000000000", "Infinity", "x", False]
)
def test_numeric_rejects_too_precise_or_too_large(value: object) -> None:
    assert rejected(FieldKind.NUMERIC, value) is RejectCode.NUMERIC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-01T16:30:00Z", "2024-07-01 12:30:00"),  # EDT, UTC-4
        ("2024-01-15T16:30:00+00:00", "2024-01-15 11:30:00"),  # EST, UTC-5
        (dt.datetime(2024, 1, 15, 16, 30, tzinfo=dt.UTC), "2024-01-15 11:30:00"),
        (dt.datetime(2024, 1, 15, 16, 30), "2024-01-15 11:30:00"),  # naive = UTC
        ("2024-01-15", "2024-01-15 00:00:00"),  # a calendar date keeps its day
        (dt.date(2024, 1, 15), "2024-01-15 00:00:00"),
        ("", None),
    ],
)
def test_dates_are_formatted_in_the_configured_zone(value: object, expected: str | None) -> None:
    assert convert(FieldKind.DATE, value) == expected


def test_date_format_is_configurable() -> None:
    options = DateOptions(fmt="%m/%d/%Y", tz=dt.UTC)
    assert convert(FieldKind.DATE, "2024-03-04T23:00:00Z", options) == "03/04/2024"


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", 5])
def test_unparseable_dates_are_rejected(value: object) -> None:
    assert rejected(FieldKind.DATE, value) is RejectCode.DATE


@pytest.mark.parametrize("value", ["a@b.co", "first.last+tag@example.com"])
def test_valid_emails_pass(value: str) -> None:
    assert convert(FieldKind.EMAIL, value) == value


@pytest.mark.parametrize("value", ["Polar bear", "a@b", "a b@c.com", "@x.com", "a@@b.com"])
def test_invalid_emails_are_rejected(value: str) -> None:
    assert rejected(FieldKind.EMAIL, value) is RejectCode.EMAIL


def test_booleans_are_strings() -> None:
    assert convert(FieldKind.BOOLEAN, True) == "true"
    assert to_text(False) == "false"


def test_compiled_row_converter_matches_the_converters_one_by_one():
    kinds = [FieldKind.TEXT, FieldKind.NUMBER, FieldKind.NUMERIC, FieldKind.DATE, FieldKind.EMAIL]
    sources = ["id", "tickets count", "amount", "at", 'odd "name"']
    converters = [make_converter(kind, EASTERN) for kind in kinds]
    convert_row = compile_row(sources, converters)
    record = {
        "id": 7, "tickets count": 2, "amount": Decimal("10.50"), "at": "2024-01-15T16:30:00Z",
        'odd "name"': "ann@example.com", "unmapped": object(),
    }  # fmt: skip
    expected = [c(record.get(s)) for s, c in zip(sources, converters, strict=True)]
    assert (
        convert_row(record)
        == expected
        == ["7", "2", "10.50", "2024-01-15 11:30:00", "ann@example.com"]
    )
    assert convert_row({}) == [None] * 5
    with pytest.raises(ValueRejected):
        convert_row({**record, "amount": Decimal("1.23456")})


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2024, 3, 10, 6, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2024, 11, 3, 5, 30, tzinfo=dt.UTC),
        dt.datetime(999, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 12, tzinfo=dt.UTC),
    ],
)
def test_default_date_format_renders_as_strftime_does(moment: dt.datetime):
    local = moment.astimezone(EASTERN.tz)
    year = f"{local.year:04d}"  # strftime does not pad years before 1000; the target does
    expected = local.strftime("%Y-%m-%d %H:%M:%S").replace(str(local.year), year, 1)
    assert convert(FieldKind.DATE, moment.isoformat()) == expected
    other = DateOptions(fmt="%m/%d/%Y %I:%M %p", tz=EASTERN.tz)
    expected = local.strftime(other.fmt.replace("%Y", year))
    assert convert(FieldKind.DATE, moment.isoformat(), other) == expected


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("%Y-%m-%d %H:%M:%S", "0001-01-01 00:00:00"),
        ("%d.%m.%Y", "01.01.0001"),
        ("%F %T", "0001-01-01 00:00:00"),
        ("%G-W%V", "0001-W01"),
        ("%%Y %Y", "%Y 0001"),
    ],
)
def test_years_before_1000_are_zero_padded_in_every_format(fmt: str, expected: str) -> None:
    options = DateOptions(fmt=fmt, tz=dt.UTC)
    assert convert(FieldKind.DATE, "0001-01-01T00:00:00Z", options) == expected
    assert convert(FieldKind.DATE, "0001-01-01", options) == expected


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-10:00"])
def test_moment_outside_the_years_of_the_zone_is_a_date_reject(value: str) -> None:
    with pytest.raises(ValueRejected) as info:
        convert(FieldKind.DATE, value)
    assert info.value.code is RejectCode.DATE
    assert "out of the date range once converted to America/New_York" in info.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("2.500000"), "2.5"),
        ("2.500000", "2.5"),
        (Decimal("100.000000"), "100"),
        (Decimal("-0.000000"), "0"),
        (Decimal("1.123400000"), "1.1234"),
        (Decimal("49.00"), "49.00"),  # within 4 places: sent as it came
    ],
)
def test_numeric_zeros_past_four_places_are_dropped(value: object, expected: str) -> None:
    assert convert(FieldKind.NUMERIC, value) == expected


@pytest.mark.parametrize("value", [Decimal("2.123450"), "0.000010"])
def test_numeric_digits_past_four_places_stay_a_reject(value: object) -> None:
    assert rejected(FieldKind.NUMERIC, value) is RejectCode.NUMERIC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("10.50"), "10.50"),
        (Decimal("-0.1234"), "-0.1234"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1.50000"), "1.5"),  # Eloqua counts the places sent: zeros dropped
        (Decimal("999999999999999.9999"), "999999999999999.9999"),
        (Decimal("-0"), "-0"),
    ],
)
def test_numeric_fast_and_slow_paths_agree(value: Decimal, expected: str):
    assert convert(FieldKind.NUMERIC, value) == expected


@pytest.mark.parametrize("value", [Decimal("1.23456"), Decimal("1000000000000000"), Decimal("NaN")])
def test_numeric_out_of_range_is_still_refused(value: Decimal):
    assert rejected(FieldKind.NUMERIC, value) is RejectCode.NUMERIC


def test_text_takes_integers_and_refuses_long_values():
    assert convert(FieldKind.TEXT, 12345) == "12345"
    assert convert(FieldKind.TEXT, True) == "true"
    assert convert(FieldKind.TEXT, "x" * 250) == "x" * 250
    assert rejected(FieldKind.TEXT, "x" * 251) is RejectCode.LENGTH
    assert rejected(FieldKind.TEXT, 10**250) is RejectCode.LENGTH
