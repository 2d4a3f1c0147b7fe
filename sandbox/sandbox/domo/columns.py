"""Domo column types: their SQLite storage and the normalisation of incoming values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

BATCH_ID = "_BATCH_ID_"
BATCH_LAST_RUN = "_BATCH_LAST_RUN_"

#: SQLite collation that orders DECIMAL text by numeric value (DECIMALs are stored as exact text).
DECIMAL_COLLATION = "DOMODECIMAL"
#: Declared SQLite type of DECIMAL columns; "TEXT" in it gives TEXT affinity, and the name keys
#: the converter that hands the exact digits to orjson as a JSON number.
DECIMAL_DECLTYPE = "DECIMALTEXT"


class DomoType(StrEnum):
    """The column types of a Domo DataSet schema (domo-api.md §2.3)."""

    STRING = "STRING"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    DECIMAL = "DECIMAL"
    DATE = "DATE"
    DATETIME = "DATETIME"


_DECLTYPES = {
    DomoType.STRING: "TEXT",
    DomoType.LONG: "INTEGER",
    # NUMERIC affinity stores an integral double as an INTEGER, so `_BATCH_ID_` 410.0 comes
    # back as 410 (the DEV-DS example) with no per-value work; fractions stay REAL.
    DomoType.DOUBLE: "NUMERIC",
    DomoType.DECIMAL: f"{DECIMAL_DECLTYPE} COLLATE {DECIMAL_COLLATION}",
    DomoType.DATE: "TEXT",
    DomoType.DATETIME: "TEXT",
}


@dataclass(frozen=True)
class Column:
    """One DataSet column."""

    name: str
    type: DomoType

    @property
    def sql_name(self) -> str:
        """The column name as a double-quoted SQLite identifier."""
        return quote_identifier(self.name)

    @property
    def sql_decl(self) -> str:
        """The column's definition in CREATE TABLE."""
        return f"{self.sql_name} {_DECLTYPES[self.type]}"

    def to_json(self) -> dict[str, str]:
        """The column as it appears in `schema.columns[]`."""
        return {"type": str(self.type), "name": self.name}


def quote_identifier(name: str) -> str:
    """A double-quoted SQLite identifier (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def parse_columns(raw: Sequence[Any]) -> list[Column]:
    """Columns from `[(name, type), ...]` or `[{"name":..., "type":...}, ...]`.

    Raises:
        ValueError: on an unknown type, an empty name or a duplicate (case-insensitive) name.
    """
    columns: list[Column] = []
    seen: set[str] = set()
    for item in raw:
        name, type_ = (item["name"], item["type"]) if isinstance(item, dict) else item
        if not isinstance(name, str) or not name:
            raise ValueError(f"column name must be a non-empty string, got {name!r}")
        try:
            domo_type = DomoType(str(type_).upper())
        except ValueError:
            raise ValueError(f"column {name!r}: unknown Domo type {type_!r}") from None
        if name.lower() in seen:
            # SQLite (like Domo's SQL) resolves identifiers case-insensitively.
            raise ValueError(f"duplicate column name {name!r}")
        seen.add(name.lower())
        columns.append(Column(name, domo_type))
    return columns


# ---- value normalisation (incoming rows → the form stored in SQLite) ---------------------------


def _to_string(value: Any) -> str:
    return value if type(value) is str else str(value)


def _to_long(value: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float | Decimal) and value == int(value):
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise ValueError(f"not a LONG: {value!r}")


def _to_double(value: Any) -> float:
    if type(value) is float:
        return value
    if isinstance(value, int | Decimal | str):
        return float(value)
    raise ValueError(f"not a DOUBLE: {value!r}")


def _to_decimal(value: Any) -> str:
    try:
        number = Decimal(value if isinstance(value, str | int | Decimal) else repr(value))
    except InvalidOperation:
        raise ValueError(f"not a DECIMAL: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite DECIMAL: {value!r}")
    # Plain notation keeps the exact digits a JSON number or a CSV field must carry.
    return f"{number:f}"


def _to_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip()[:10]).isoformat()
    raise ValueError(f"not a DATE: {value!r}")


def _to_datetime(value: Any) -> str:
    moment: dt.datetime
    if isinstance(value, str):
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    elif isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        raise ValueError(f"not a DATETIME: {value!r}")
    if moment.tzinfo is not None:
        # Domo holds DATETIMEs as UTC without an offset (domo-api.md §2.3, KB-TZ).
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat(timespec="seconds")


_NORMALISERS: dict[DomoType, Callable[[Any], Any]] = {
    DomoType.STRING: _to_string,
    DomoType.LONG: _to_long,
    DomoType.DOUBLE: _to_double,
    DomoType.DECIMAL: _to_decimal,
    DomoType.DATE: _to_date,
    DomoType.DATETIME: _to_datetime,
}


def normalise(domo_type: DomoType, value: Any) -> Any:
    """One value in its stored form (None stays None).

    Raises:
        ValueError: when the value does not fit the type.
    """
    if value is None:
        return None
    try:
        return _NORMALISERS[domo_type](value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{domo_type} value {value!r}: {exc}") from None


def row_normaliser(columns: Sequence[Column]) -> Callable[[Any], tuple[Any, ...]]:
    """A function turning one incoming row (list or dict) into a stored tuple.

    Raises (from the returned function):
        ValueError: on a wrong column count, an unknown key or a value of the wrong type.
    """
    names = [c.name for c in columns]
    known = set(names)
    steps = [(c.name, c.type) for c in columns]

    def convert(row: Any) -> tuple[Any, ...]:
        if isinstance(row, dict):
            unknown = set(row) - known
            if unknown:
                raise ValueError(f"unknown columns {sorted(unknown)}")
            values = [row.get(name) for name in names]
        else:
            values = list(row)
            if len(values) != len(names):
                raise ValueError(f"row has {len(values)} values, expected {len(names)}")
        return tuple(
            normalise(type_, v) if v is not None else None
            for (_, type_), v in zip(steps, values, strict=True)
        )

    return convert


def decimal_collation(left: str, right: str) -> int:
    """Compare two DECIMAL texts by value (falls back to text order for non-numbers)."""
    try:
        a, b = Decimal(left), Decimal(right)
    except InvalidOperation:
        return (left > right) - (left < right)
    return (a > b) - (a < b)
