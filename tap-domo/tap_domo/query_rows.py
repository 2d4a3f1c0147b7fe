"""Decoding the query API's rows one at a time: typed per column, generic as a fallback."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from tap_domo.datasets import Column
from tap_domo.types import (
    BATCH_ID,
    NUMERIC_TYPES,
    DomoType,
    Inline,
    Parser,
    batch_number,
    json_parser,
    memo,
    record_builder,
    text_date_parser,
)

# The msgspec type of each column's JSON value. Numbers decode straight to their final form:
# ints stay ints, DOUBLEs become floats, and DECIMALs become exact Decimals read from the JSON
# text (never through a binary float). A value of another shape (a LONG sent as 5.0, a number
# in a STRING column) fails the typed decode, and that row is decoded generically instead.
_VALUE_TYPES: dict[DomoType, Any] = {
    DomoType.STRING: str | None,
    DomoType.LONG: int | None,
    DomoType.DOUBLE: int | float | None,
    DomoType.DECIMAL: int | Decimal | None,
    DomoType.DATE: str | None,
    DomoType.DATETIME: str | None,
}
_BATCH_TYPE: Any = int | Decimal | None
# Generic decoding keeps every number with a fraction or exponent exact, for `json_parser`.
_GENERIC = msgspec.json.Decoder(float_hook=Decimal)


def finite_decimal(value: int | Decimal | None) -> int | Decimal | None:
    """Pass a typed-decoded DECIMAL through, refusing NaN and infinities (sent as text).

    Args:
        value: the decoded value.

    Returns:
        The value.

    Raises:
        ValueError: for a non-finite Decimal.
    """
    if type(value) is Decimal and not value.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    return value


def _fast_parser(column: Column) -> Parser | None:
    """What is left to do to a typed-decoded value; None when it is final already."""
    if column.name == BATCH_ID and column.kind in NUMERIC_TYPES:
        # Integral batch ids decode as ints, which `batch_number` keeps as they are.
        return Inline(memo(batch_number), "({v} if {v}.__class__ is int else {p}({v}))")
    if column.kind is DomoType.DECIMAL:
        return Inline(
            finite_decimal,
            "({v} if {v}.__class__ is not _Decimal or {v}.is_finite() else {p}({v}))",
            {"_Decimal": Decimal},
        )
    if column.kind in (DomoType.DATE, DomoType.DATETIME):
        return text_date_parser(column.kind)
    return None


class RowDecoder:
    """Turns one row's JSON text into a record, for a given order of columns.

    Args:
        columns: the answer's columns, in row order.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        names = [col.name for col in columns]
        row_type = tuple.__class_getitem__(tuple(_VALUE_TYPES[col.kind] for col in columns))
        self._typed = msgspec.json.Decoder(row_type)
        self._build_typed = record_builder(names, [_fast_parser(col) for col in columns])
        self._build_generic = record_builder(
            names, [json_parser(col.name, col.kind) for col in columns]
        )

    def record(self, raw: msgspec.Raw) -> dict[str, Any]:
        """The record of one row.

        Args:
            raw: the row's JSON array text.

        Returns:
            The record.

        Raises:
            ValueError: when a value cannot be read as its column's type.
        """
        try:
            row = self._typed.decode(raw)
        except msgspec.ValidationError:
            return self._build_generic(_decode_generic(raw))
        return self._build_typed(row)

    def records(self, raws: Sequence[msgspec.Raw]) -> list[dict[str, Any]]:
        """The records of several rows (one call for many: rows are the hot path).

        Args:
            raws: the rows' JSON array texts.

        Returns:
            The records, in order.

        Raises:
            ValueError: when a value cannot be read as its column's type.
        """
        decode, build = self._typed.decode, self._build_typed
        try:
            return [build(decode(raw)) for raw in raws]
        except msgspec.ValidationError:
            # Some row has a value of another shape: each row then takes its own way.
            return [self.record(raw) for raw in raws]


class BatchDecoder:
    """Reads only the `_BATCH_ID_` of rows (to check a page's counts before any row is used).

    Args:
        width: the number of columns.
        index: the position of `_BATCH_ID_`.
    """

    def __init__(self, width: int, index: int) -> None:
        # The other values are only skipped over: a Raw is a slice of the text, not a value.
        types: list[Any] = [msgspec.Raw] * width
        types[index] = _BATCH_TYPE
        self._typed = msgspec.json.Decoder(tuple.__class_getitem__(tuple(types)))
        self._index = index
        self._parse = memo(batch_number)

    def batch(self, raw: msgspec.Raw) -> int | Decimal | None:
        """The `_BATCH_ID_` of one row.

        Args:
            raw: the row's JSON array text.

        Returns:
            The normalised batch id (see `batch_number`).

        Raises:
            ValueError: when the row or its batch id cannot be read.
        """
        try:
            value = self._typed.decode(raw)[self._index]
        except msgspec.ValidationError:
            row = _decode_generic(raw)
            if len(row) <= self._index:
                raise ValueError(f"a row of {len(row)} values has no {BATCH_ID}") from None
            value = row[self._index]
        result: int | Decimal | None = self._parse(value)
        return result


def _decode_generic(raw: msgspec.Raw) -> list[Any]:
    try:
        row = _GENERIC.decode(raw)
    except msgspec.DecodeError as exc:
        raise ValueError(f"unreadable row: {exc}") from None
    if not isinstance(row, list):
        raise ValueError(f"a row that is not an array: {row!r}")
    return row
