from __future__ import annotations

from decimal import Decimal

import pytest
from tap_domo.types import (
    BATCH_ID,
    DomoType,
    batch_number,
    csv_parser,
    domo_type,
    json_parser,
    json_schema,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_double,
    parse_long,
)


@pytest.mark.parametrize(
    ("kind", "schema"),
    [
        (DomoType.STRING, {"type": ["string", "null"]}),
        (DomoType.LONG, {"type": ["integer", "null"]}),
        (DomoType.DOUBLE, {"type": ["number", "null"]}),
        (DomoType.DECIMAL, {"type": ["number", "null"]}),
        (DomoType.DATE, {"type": ["string", "null"], "format": "date"}),
        (DomoType.DATETIME, {"type": ["string", "null"], "format": "date-time"}),
    ],
)
def test_schema_per_type(kind, schema):
    assert json_schema("col", kind) == schema


def test_batch_id_schema_is_number():
    assert json_schema(BATCH_ID, DomoType.DOUBLE) == {"type": ["number", "null"]}
    assert json_schema(BATCH_ID, DomoType.STRING) == {"type": ["string", "null"]}


def test_domo_type_names():
    assert domo_type("decimal") is DomoType.DECIMAL
    assert domo_type("GEOGRAPHY") is DomoType.STRING


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (410, 410),
        (Decimal("410.0"), 410),
        ("410.0", 410),
        (410.0, 410),
        ("410", 410),
        (Decimal("410.5"), Decimal("410.5")),
        (None, None),
        ("\\N", None),
        ("", None),
        ("1E+3", 1000),
    ],
)
def test_batch_number(raw, value):
    result = batch_number(raw)
    assert result == value
    assert type(result) is type(value)


def test_batch_number_rejects_non_numbers():
    with pytest.raises(ValueError, match="not a number"):
        batch_number("abc")
    with pytest.raises(ValueError, match="finite"):
        batch_number("NaN")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (9223372036854775807, 9223372036854775807),
        ("-9223372036854775808", -9223372036854775808),
        ("-42", -42),
        (Decimal("7.0"), 7),
        ("7.0", 7),
        (None, None),
    ],
)
def test_parse_long(raw, value):
    assert parse_long(raw) == value


def test_parse_long_rejects_fraction():
    with pytest.raises(ValueError, match="not an integer"):
        parse_long("1.5")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (Decimal("0.0035"), 0.0035),
        ("1.5e-300", 1.5e-300),
        ("-2E+10", -2e10),
        (3, 3),
        ("-0.0", -0.0),
        (None, None),
    ],
)
def test_parse_double(raw, value):
    assert parse_double(raw) == value


def test_parse_decimal_exact():
    digits = "12345678901234567890.123456789012345678901234567890"
    assert str(parse_decimal(digits)) == digits
    assert str(parse_decimal(Decimal(digits))) == digits
    assert parse_decimal("-0.10") == Decimal("-0.10")
    assert str(parse_decimal("-0.10")) == "-0.10"
    assert parse_decimal(35000) == 35000
    with pytest.raises(ValueError, match="binary float"):
        parse_decimal(0.1)
    with pytest.raises(ValueError, match="finite"):
        parse_decimal("Infinity")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2024-02-29", "2024-02-29"),
        ("0001-01-01", "0001-01-01"),
        ("9999-12-31", "9999-12-31"),
        ("2020-01-02T00:00:00", "2020-01-02"),
        (None, None),
    ],
)
def test_parse_date(raw, value):
    assert parse_date(raw) == value


def test_parse_date_rejects_bad_dates():
    with pytest.raises(ValueError, match="day is out of range"):
        parse_date("2023-02-29")
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_date("yesterday")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2019-03-19T18:49:02", "2019-03-19T18:49:02Z"),
        ("2019-03-19 18:49:02", "2019-03-19T18:49:02Z"),
        ("2019-03-19T18:49:02Z", "2019-03-19T18:49:02Z"),
        ("2019-03-19T18:49:02.123", "2019-03-19T18:49:02.123Z"),
        ("2019-03-19 18:49:02.5Z", "2019-03-19T18:49:02.5Z"),
        ("2019-03-19T18:49:02.000", "2019-03-19T18:49:02Z"),
        ("2019-03-19T18:49:02+02:00", "2019-03-19T16:49:02Z"),
        ("2019-03-19T00:30:00-01:30", "2019-03-19T02:00:00Z"),
        ("0001-01-01T00:00:00", "0001-01-01T00:00:00Z"),
        ("9999-12-31 23:59:59", "9999-12-31T23:59:59Z"),
        ("2019-03-19T18:49:02.1234567", "2019-03-19T18:49:02.123456Z"),
        (None, None),
    ],
)
def test_parse_datetime(raw, value):
    assert parse_datetime(raw) == value


def test_parse_datetime_rejects():
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_datetime("19/03/2019 18:49")
    with pytest.raises(ValueError, match=r"month must be in 1\.\.12"):
        parse_datetime("2019-13-19T18:49:02")
    with pytest.raises(ValueError, match="out of range"):
        parse_datetime("0001-01-01T00:00:00+01:00")


def test_json_parsers():
    assert json_parser("s", DomoType.STRING) is None  # JSON strings are kept as they are
    assert json_parser(BATCH_ID, DomoType.DOUBLE)(Decimal("410.0")) == 410
    assert json_parser("d", DomoType.DOUBLE)(Decimal("410.0")) == 410.0


@pytest.mark.parametrize("kind", list(DomoType))
def test_csv_nulls_for_every_type(kind):
    parse = csv_parser("c", kind, empty_string_is_null=True)
    assert parse("\\N") is None
    assert parse("") is None


def test_csv_string_empty_option():
    assert csv_parser("c", DomoType.STRING, empty_string_is_null=False)("") == ""
    assert csv_parser("c", DomoType.STRING, empty_string_is_null=False)("\\N") is None
    assert csv_parser("c", DomoType.STRING, empty_string_is_null=True)("'-") == "'-"


def test_record_builder():
    from tap_domo.types import record_builder

    build = record_builder(["a", "b"], [None, json_parser(BATCH_ID, DomoType.DOUBLE)])
    assert build(["x", Decimal("410.0")]) == {"a": "x", "b": 410}
    with pytest.raises(ValueError, match="zip"):
        build(["only one"])


def test_csv_values():
    assert csv_parser("c", DomoType.LONG, empty_string_is_null=True)("-5") == -5
    assert csv_parser("c", DomoType.LONG, empty_string_is_null=True)("7.0") == 7
    with pytest.raises(ValueError, match="not a number"):
        csv_parser("c", DomoType.DECIMAL, empty_string_is_null=True)("abc")
    with pytest.raises(ValueError, match="finite"):
        csv_parser("c", DomoType.DECIMAL, empty_string_is_null=True)("NaN")
    assert csv_parser("c", DomoType.DECIMAL, empty_string_is_null=True)("1.10") == Decimal("1.10")
    assert csv_parser(BATCH_ID, DomoType.DOUBLE, empty_string_is_null=True)("410.0") == 410
    assert (
        csv_parser("c", DomoType.DATETIME, empty_string_is_null=True)("2019-03-19 18:49:02")
        == "2019-03-19T18:49:02Z"
    )
