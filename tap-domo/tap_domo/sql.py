"""SQL for Domo's query API, built only from validated values (no text from config or data)."""

# S608: every interpolated value below is a validated number, a backtick-quoted identifier that
# holds no backtick, or a constant; nothing from config or data reaches the SQL as text.
# ruff: noqa: S608

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from tap_domo.errors import SettingsError, UnsupportedColumnError
from tap_domo.types import BATCH_ID

GUID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# The FROM clause names a placeholder: the DataSet comes from the URL (domo-api.md §3.2).
TABLE = "table"

Number = int | Decimal


def check_guid(value: object) -> str:
    """Accept only a DataSet GUID (it goes into URLs).

    Args:
        value: the configured id.

    Returns:
        The id, unchanged.

    Raises:
        SettingsError: when the value is not a GUID.
    """
    if not isinstance(value, str) or not GUID_PATTERN.fullmatch(value):
        raise SettingsError(
            f'setting "datasets": {value!r} is not a Domo DataSet id; an id is a GUID such as '
            '"08a061e2-12a2-4646-b4bc-20beddb403e3" (the part of the DataSet URL after '
            '/datasources/); fix the "id" of this entry'
        )
    return value


def quote_identifier(name: str, dataset: str) -> str:
    """Backtick-quote a column name; a name holding a backtick is refused.

    Doubling an embedded backtick is not documented for Domo SQL (domo-api.md §3.2), so it is
    not attempted.

    Args:
        name: the column name, exactly as in the DataSet schema.
        dataset: how to name the DataSet in the error.

    Returns:
        The quoted identifier.

    Raises:
        UnsupportedColumnError: when the name contains a backtick or a control character.
    """
    if "`" in name or any(ord(char) < 32 for char in name):
        raise UnsupportedColumnError(
            f"{dataset} has a column named {name!r}, which contains a backtick or a control "
            "character and cannot be quoted safely in Domo SQL: rename the column in Domo, "
            'or set "read_method" to "export"'
        )
    return f"`{name}`"


def number_literal(value: object) -> str:
    """Render a bookmark or batch id as a SQL number literal.

    Args:
        value: an int, float or Decimal (never text).

    Returns:
        The literal.

    Raises:
        ValueError: when the value is not a finite number.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"a SQL number literal must be a number, not {value!r}")
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    if not number.is_finite():
        raise ValueError(f"a SQL number literal must be finite, not {value!r}")
    if isinstance(value, int):
        return str(value)
    return format(number, "f")


def _window(lower: Number | None, upper: Number) -> str:
    batch = f"`{BATCH_ID}`"
    upper_clause = f"{batch} <= {number_literal(upper)}"
    if lower is None:
        return upper_clause
    return f"{batch} > {number_literal(lower)} AND {upper_clause}"


def max_batch_sql() -> str:
    """The highest `_BATCH_ID_` now in the DataSet: the run's upper bound.

    Returns:
        SQL text.
    """
    return f"SELECT MAX(`{BATCH_ID}`) AS `max_batch` FROM {TABLE}"


def plan_sql(lower: Number | None, upper: Number, limit: int) -> str:
    """Row count per batch in (lower, upper], ascending, at most `limit` batches.

    Args:
        lower: exclusive lower bound (the bookmark), or None for all.
        upper: inclusive upper bound (MAX seen at the start of the sync).
        limit: most batches to return.

    Returns:
        SQL text.
    """
    batch = f"`{BATCH_ID}`"
    return (
        f"SELECT {batch}, COUNT(*) AS `row_count` FROM {TABLE} WHERE {_window(lower, upper)} "
        f"GROUP BY {batch} ORDER BY {batch} ASC LIMIT {int(limit)}"
    )


def batches_sql(lower: Number | None, upper: Number) -> str:
    """Every row of the whole batches in (lower, upper], ordered by batch.

    Args:
        lower: exclusive lower bound, or None.
        upper: inclusive upper bound.

    Returns:
        SQL text.
    """
    return f"SELECT * FROM {TABLE} WHERE {_window(lower, upper)} ORDER BY `{BATCH_ID}` ASC"


def order_by_all(columns: Sequence[str], dataset: str) -> str:
    """A total order over a batch's rows: every column, ascending.

    Rows equal in every column are interchangeable, so OFFSET paging neither skips nor repeats.

    Args:
        columns: all column names.
        dataset: how to name the DataSet in errors.

    Returns:
        The ORDER BY list.
    """
    return ", ".join(f"{quote_identifier(name, dataset)} ASC" for name in columns)


def batch_page_sql(batch: Number, order: str, limit: int, offset: int) -> str:
    """One page of a single batch larger than a page.

    Args:
        batch: the batch id.
        order: from `order_by_all`.
        limit: page size.
        offset: rows to skip.

    Returns:
        SQL text.
    """
    return (
        f"SELECT * FROM {TABLE} WHERE `{BATCH_ID}` = {number_literal(batch)} "
        f"ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}"
    )


def all_rows_sql(order: str, limit: int, offset: int) -> str:
    """One page of a DataSet without `_BATCH_ID_` (FULL_TABLE through the query API).

    Args:
        order: from `order_by_all`.
        limit: page size.
        offset: rows to skip.

    Returns:
        SQL text.
    """
    return f"SELECT * FROM {TABLE} ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}"


def count_sql() -> str:
    """Total rows (to check a FULL_TABLE query read).

    Returns:
        SQL text.
    """
    return f"SELECT COUNT(*) AS `row_count` FROM {TABLE}"
