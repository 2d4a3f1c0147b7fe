"""Domo column types: JSON Schema for each, and parsers from query JSON and CSV text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from tap_domo.builder import Inline, Parser, RowBuilder, memo_cell, record_builder

BATCH_ID = "_BATCH_ID_"
CSV_NULL = "\\N"
#: Most records the readers hand on at once: enough to spread the per-call costs of writing
#: them out.
CHUNK_ROWS = 1000

__all__ = ["Inline", "Parser", "RowBuilder", "record_builder"]


class DomoType(StrEnum):
    """The column types a Domo DataSet schema can declare."""

    STRING = "STRING"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    DECIMAL = "DECIMAL"
    DATE = "DATE"
    DATETIME = "DATETIME"


NUMERIC_TYPES = frozenset({DomoType.LONG, DomoType.DOUBLE, DomoType.DECIMAL})

_SCHEMAS: dict[DomoType, dict[str, Any]] = {
    DomoType.STRING: {"type": ["string", "null"]},
    DomoType.LONG: {"type": ["integer", "null"]},
    DomoType.DOUBLE: {"type": ["number", "null"]},
    DomoType.DECIMAL: {"type": ["number", "null"]},
    DomoType.DATE: {"type": ["string", "null"], "format": "date"},
    DomoType.DATETIME: {"type": ["string", "null"], "format": "date-time"},
}


def domo_type(name: str) -> DomoType:
    """Read a schema type name; unknown names are read as STRING (values kept as text).

    Args:
        name: the `type` of a column in `schema.columns[]`.

    Returns:
        The Domo type.
    """
    try:
        return DomoType(name.upper())
    except ValueError:
        return DomoType.STRING


def json_schema(column: str, kind: DomoType) -> dict[str, Any]:
    """JSON Schema of one column; every column is nullable.

    `_BATCH_ID_` is typed `number`, not `integer`: Domo declares it DOUBLE and does not promise
    integral values, so `number` stays valid whatever arrives, while integral values (the usual
    case) are emitted as JSON integers.

    Args:
        column: the column name.
        kind: its Domo type.

    Returns:
        A fresh JSON Schema dict.
    """
    if column == BATCH_ID and kind in NUMERIC_TYPES:
        return {"type": ["number", "null"]}
    return dict(_SCHEMAS[kind])


def batch_number(value: Any) -> int | Decimal | None:
    """Normalise a `_BATCH_ID_` value: integral values (``410.0``) become ints.

    Args:
        value: int, float, Decimal or numeric text.

    Returns:
        An int when integral, else an exact Decimal; None for null.

    Raises:
        ValueError: when the value is not a finite number.
    """
    if value is None or value in ("", CSV_NULL):
        return None
    if isinstance(value, int):
        return value
    number = value if isinstance(value, Decimal) else _decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    if number == number.to_integral_value():
        return int(number)
    return number


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None


def parse_long(value: Any) -> int | None:
    """Parse a LONG (64-bit integer) from JSON or text; integral floats are accepted.

    Args:
        value: the raw value.

    Returns:
        The int, or None.

    Raises:
        ValueError: when the value is not an integer.
    """
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    number = batch_number(value)
    if not isinstance(number, int):
        raise ValueError(f"not an integer: {value!r}")
    return number


def parse_double(value: Any) -> float | int | None:
    """Parse a DOUBLE from JSON (int or Decimal) or text.

    Args:
        value: the raw value.

    Returns:
        A float (ints from JSON are kept as ints: the JSON text is the same), or None.
    """
    if value is None or isinstance(value, int | float):
        return value
    return float(value)


def parse_decimal(value: Any) -> Decimal | int | None:
    """Parse a DECIMAL exactly: never through float.

    Args:
        value: int or Decimal from JSON (decoded with a Decimal float hook), or text.

    Returns:
        An exact Decimal (ints kept as ints), or None.

    Raises:
        ValueError: for text that is not a finite decimal number, or a float (precision lost).
    """
    if value is None or isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        raise ValueError(f"DECIMAL value arrived as a binary float: {value!r}")
    number = _decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    return number


def parse_date(value: Any) -> str | None:
    """Parse a DATE to ``YYYY-MM-DD``; a midnight date-time (``2020-01-02T00:00:00``) is accepted.

    Args:
        value: the raw text.

    Returns:
        The ISO date, or None.

    Raises:
        ValueError: when the text is not a date.
    """
    if value is None:
        return None
    text = str(value).strip()
    if len(text) == 10:
        dt.date.fromisoformat(text)
        return text
    return _to_utc(text).date().isoformat()


def parse_datetime(value: Any) -> str | None:
    """Parse a DATETIME to RFC 3339 UTC with ``Z``.

    Domo stores DATETIMEs in UTC without an offset (domo-api.md §2.3). Accepted: ``T`` or space
    separator, optional fraction, optional ``Z`` or offset (converted to UTC).

    Args:
        value: the raw text.

    Returns:
        e.g. ``2019-03-19T18:49:02Z`` or ``2019-03-19T18:49:02.5Z``; None for null.

    Raises:
        ValueError: when the text is not a date-time.
    """
    if value is None:
        return None
    text = str(value)
    if len(text) == 19 and text[10] in "T ":
        # The common shape: validated by the C parser, rebuilt without formatting.
        dt.datetime.fromisoformat(text)
        return f"{text[:10]}T{text[11:]}Z"
    return _format_utc(_to_utc(text.strip()))


def _to_utc(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"date-time out of range once converted to UTC: {text!r}") from None


def _format_utc(moment: dt.datetime) -> str:
    text = moment.replace(tzinfo=None).isoformat()
    if moment.microsecond:
        text = text.rstrip("0")
    return f"{text}Z"


def memo(parse: Parser, nulls: tuple[str, ...] = ()) -> Parser:
    """Remember the last value: `_BATCH_LAST_RUN_` and dates repeat row after row.

    Args:
        parse: the parser to call on a new value.
        nulls: texts read as None without calling `parse` (the CSV export's null spellings).

    Returns:
        The memoised parser.
    """
    return memo_cell(parse, nulls)[0]


def _batch_text(value: str) -> int | Decimal | None:
    try:
        return int(value)
    except ValueError:
        return batch_number(value)


def _decimal_text(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    return number


_JSON_PARSERS: dict[DomoType, Parser | None] = {
    DomoType.STRING: None,
    DomoType.LONG: parse_long,
    DomoType.DOUBLE: parse_double,
    DomoType.DECIMAL: parse_decimal,
    DomoType.DATE: parse_date,
    DomoType.DATETIME: parse_datetime,
}

_TEXT_PARSERS: dict[DomoType, Parser] = {
    DomoType.DATE: parse_date,
    DomoType.DATETIME: parse_datetime,
}


def json_parser(column: str, kind: DomoType) -> Parser | None:
    """Parser for a value from the query API's JSON rows (numbers decoded as int/Decimal).

    Args:
        column: the column name (`_BATCH_ID_` gets integral normalisation).
        kind: its Domo type.

    Returns:
        A function raw value -> JSON-native value, or None when the JSON value is kept as is
        (STRING: a JSON string or null already).
    """
    if column == BATCH_ID and kind in NUMERIC_TYPES:
        return batch_number
    parse = _JSON_PARSERS[kind]
    if kind in (DomoType.DATE, DomoType.DATETIME) and parse is not None:
        return memo(parse)
    return parse


def csv_parser(column: str, kind: DomoType, *, empty_string_is_null: bool) -> Parser:
    r"""Parser for a field of the CSV export (always text).

    ``\N`` is null for every type; an empty field is null for every non-STRING type, and for
    STRING when `empty_string_is_null` (the export cannot tell an empty string from a null:
    domo-api.md §3.1).

    Args:
        column: the column name.
        kind: its Domo type.
        empty_string_is_null: read an empty STRING field as null.

    Returns:
        A function text -> JSON-native value (an `Inline`, for `record_builder`).
    """
    if kind is DomoType.STRING:
        if empty_string_is_null:
            return Inline(_string_or_null, "(None if {v} in _CSV_NULLS else {v})", _NAMES)
        return Inline(_string_unless_null_marker, "(None if {v} == _CSV_NULL else {v})", _NAMES)
    if column == BATCH_ID and kind in NUMERIC_TYPES:
        parse, cell = memo_cell(_batch_text, _CSV_NULLS)
        return Inline(parse, _MEMO, cell=cell)
    if kind in (DomoType.DATE, DomoType.DATETIME):
        return text_date_parser(kind, _CSV_NULLS)
    return _NUMBER_TEXT_PARSERS[kind]


def text_date_parser(kind: DomoType, nulls: tuple[str, ...] = ()) -> Inline:
    """Parser for a DATE or DATETIME given as text (or null), for `record_builder`.

    The usual shapes (``2023-05-26``, ``2024-01-15T03:10:00``) are checked by the C ISO parser
    and kept or completed inline; the last value is remembered; anything else goes through
    `parse_date` / `parse_datetime`.

    Args:
        kind: DATE or DATETIME.
        nulls: texts read as None.

    Returns:
        The parser.
    """
    parse, cell = memo_cell(_TEXT_PARSERS[kind], nulls)
    expression = _DATE if kind is DomoType.DATE else _DATETIME
    return Inline(parse, expression, _NAMES, cell)


_CSV_NULLS = ("", CSV_NULL)

# The expressions `record_builder` writes for the parsers below, each equal to calling the
# parser (see `Inline`). The ISO parsers raise ValueError as the parsers themselves would on
# these shapes; a date with no whitespace at either end is what `parse_date` would strip to.
_NAMES = {
    "_CSV_NULLS": _CSV_NULLS,
    "_CSV_NULL": CSV_NULL,
    "_Decimal": Decimal,
    "_date_iso": dt.date.fromisoformat,
    "_datetime_iso": dt.datetime.fromisoformat,
}
_MEMO = "({c}[1] if {v} == {c}[0] else {p}({v}))"
_DATE = (
    "({c}[1] if {v} == {c}[0] else {v} if {v}.__class__ is str and len({v}) == 10 "
    "and {v}[0].isdigit() and {v}[9].isdigit() and _date_iso({v}) else {p}({v}))"
)
_DATETIME = (
    '({c}[1] if {v} == {c}[0] else {v} + "Z" if {v}.__class__ is str and len({v}) == 19 '
    'and {v}[10] == "T" and _datetime_iso({v}) else {p}({v}))'
)


# One call per field: the null test and the conversion are made in one function, not a wrapper
# around a parser (a CSV export has every value as text, so this runs for each of them).
def _long_field(value: str) -> int | None:
    if value in _CSV_NULLS:
        return None
    try:
        return int(value)
    except ValueError:
        return parse_long(value)


def _double_field(value: str) -> float | None:
    return None if value in _CSV_NULLS else float(value)


def _decimal_field(value: str) -> Decimal | None:
    return None if value in _CSV_NULLS else _decimal_text(value)


# `int` and `Decimal` read exactly what `str.isdecimal` accepts (any Unicode decimal digits).
_NUMBER_TEXT_PARSERS: dict[DomoType, Parser] = {
    DomoType.LONG: Inline(_long_field, "(int({v}) if {v}.isdecimal() else {p}({v}))"),
    DomoType.DOUBLE: Inline(_double_field, "(None if {v} in _CSV_NULLS else float({v}))", _NAMES),
    DomoType.DECIMAL: Inline(
        _decimal_field,
        '(_Decimal({v}) if {v}.replace(".", "", 1).isdecimal() else {p}({v}))',
        _NAMES,
    ),
}


def _string_or_null(value: str) -> str | None:
    return None if value in _CSV_NULLS else value


def _string_unless_null_marker(value: str) -> str | None:
    return None if value == CSV_NULL else value
