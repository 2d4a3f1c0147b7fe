"""Column-wise validation of one staged upload: each distinct value is checked once.

Uploads repeat values a lot (dates, amounts, flags), and a column of distinct values still costs
one set build plus one check per value, so this is several times faster than checking cell by cell.
Mostly distinct columns (ids, e-mails) skip the set and are checked in row order, and a big upload
is checked in blocks of rows small enough for the CPU cache: each pass over a column then reads
values the previous pass has just read, instead of fetching them from memory again.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sandbox.eloqua import values as v

ABSENT: Any = object()


@dataclass(frozen=True)
class Column:
    """One mapped `fields` key: the field it writes, its validator and its update rule."""

    key: str
    field_id: int
    check: v.Validator
    rule: str
    data_type: str = "text"
    limit: int = v.TEXT_LIMIT


class RowError(Exception):
    """Why one row is rejected: ELQ code, message and the offending `fields` keys."""

    def __init__(self, code: str, message: str, invalid: list[str]) -> None:
        """Keep the reject's details."""
        self.code = code
        self.message = message
        self.invalid = invalid
        super().__init__(message)


class ValidatedUpload:
    """The converted values of every row of one upload, by row position."""

    def __init__(
        self,
        rows: Sequence[Any],
        columns: Sequence[Column],
        keep_distinct: int | None = None,
    ) -> None:
        """Validate all cells of `rows` for `columns` at once.

        `keep_distinct` names a column (by position) whose distinct values the caller needs
        (the identifier's): that column is checked through its set, which `kept_distinct` then
        holds, unless conversion changed some value.
        """
        self.columns = columns
        self.field_ids = tuple(c.field_id for c in columns)
        self.errors: dict[int, RowError] = {}
        #: Each row's converted values, in column order.
        self.tuples: list[tuple[Any, ...]] = []
        self.kept_distinct: set[Any] | None = None
        self.has_absent = False
        self._keep = keep_distinct
        self._kept: Sequence[Any] = []
        keys = [c.key for c in columns]
        if not (keys and rows and self._blocks(rows, keys)):
            self._whole(rows, keys)

    def column(self, position: int) -> Sequence[Any]:
        """One column's converted values, in row order."""
        if position == self._keep:
            return self._kept
        return list(map(itemgetter(position), self.tuples))

    def _blocks(self, rows: Sequence[Any], keys: list[str]) -> bool:
        """Check the usual upload, every row an object with every key, block by block.

        A block's values stay in the CPU cache across its column passes, where a pass over a
        whole column of a big upload fetches each value from memory again. Returns False, with
        nothing kept, when some row is not such an object.
        """
        keep, kept_values = self._keep, list[Any]()
        kept: set[Any] | None = set()
        in_order: list[bool] = []
        for start in range(0, len(rows), _BLOCK):
            tuples = _row_tuples(rows[start : start + _BLOCK], keys)
            if tuples is None:
                self.errors.clear()
                self.tuples = []
                return False
            cells = list(zip(*tuples, strict=True))
            # The first block decides which columns are mostly distinct (sampling is not free).
            in_order = in_order or [i != keep and _mostly_distinct(c) for i, c in enumerate(cells)]
            converted = []
            for i, (list_, column) in enumerate(zip(cells, self.columns, strict=True)):
                values, distinct = self._column(list_, column, start, in_order=in_order[i])
                converted.append(values)
                if i == keep:
                    kept_values.extend(values)
                    if kept is not None and distinct is not None:
                        kept |= distinct
                    else:
                        kept = None
            if any(a is not b for a, b in zip(converted, cells, strict=True)):
                tuples = list(zip(*converted, strict=True))
            self.tuples.extend(tuples)
        self._kept = kept_values
        self.kept_distinct = kept if keep is not None else None
        return True

    def _whole(self, rows: Sequence[Any], keys: list[str]) -> None:
        """Check any other upload (rows that are not objects, or lack keys) in one go."""
        dicts = _as_dicts(rows, self.errors)
        tuples = _row_tuples(dicts, keys)
        cells: list[Sequence[Any]]
        if tuples is None:
            cells = [[row.get(c.key, ABSENT) for row in dicts] for c in self.columns]
        else:
            cells = list(zip(*tuples, strict=True)) if tuples else [() for _ in self.columns]
        converted = []
        for i, (list_, column) in enumerate(zip(cells, self.columns, strict=True)):
            values, distinct = self._column(list_, column, 0, in_order=False)
            converted.append(values)
            if i == self._keep:
                self.kept_distinct, self._kept = distinct, values
        self.has_absent = tuples is None and any(ABSENT in c for c in converted)
        if tuples is not None and all(a is b for a, b in zip(converted, cells, strict=True)):
            # Nothing changed: the rows' own tuples are the converted values.
            self.tuples = tuples
        elif converted:
            self.tuples = list(zip(*converted, strict=True))
        else:
            self.tuples = [()] * len(rows)

    def values(self, position: int) -> dict[int, str | None]:
        """The row's converted values, field id → text or None (blank); absent keys left out.

        Raises:
            RowError: when the row is malformed or holds an invalid value.
        """
        error = self.errors.get(position)
        if error is not None:
            raise error
        cells = self.tuples[position]
        if not self.has_absent:
            return dict(zip(self.field_ids, cells, strict=True))
        return {fid: c for fid, c in zip(self.field_ids, cells, strict=True) if c is not ABSENT}

    def _column(
        self, cells: Sequence[Any], column: Column, start: int, *, in_order: bool
    ) -> tuple[Sequence[Any], set[Any] | None]:
        """The converted column, and its distinct values when they were gathered and still hold.

        `start` is the position of the first cell's row in the upload; `in_order` allows
        checking a mostly distinct column in row order, without a set.
        """
        if in_order:
            fast = _fast_in_order(cells, column)
            if fast is not None:
                return fast, None
        try:
            distinct = set(cells)
        except TypeError:
            # Nested values (lists/objects) are unhashable: check cell by cell.
            return [self._cell(i, column, cell, {}) for i, cell in enumerate(cells, start)], None
        fast = _fast_column(cells, distinct, column)
        if fast is not None:
            return fast, distinct if fast is cells else None
        return self._by_value(cells, column, start, distinct)

    def _by_value(
        self, cells: Sequence[Any], column: Column, start: int, distinct: set[Any]
    ) -> tuple[Sequence[Any], set[Any] | None]:
        """`_column` converting each distinct value once (cell by cell where that is unsafe)."""
        if _NUMBER_TYPES.intersection(map(type, distinct)) and (
            len(_NUMBER_TYPES.intersection(map(type, cells))) > 1
        ):
            # 1, 1.0 and true are one set member but different text ("1", "1.0", "true").
            return [self._cell(i, column, cell, {}) for i, cell in enumerate(cells, start)], None
        results = {cell: _convert(column, cell) for cell in distinct}
        if not any(isinstance(result, v.InvalidValue) for result in results.values()):
            if all(results[cell] is cell for cell in distinct):
                return cells, distinct
            return [results[cell] for cell in cells], None
        cells = [self._cell(i, column, cell, results) for i, cell in enumerate(cells, start)]
        return cells, None

    def _cell(self, position: int, column: Column, cell: Any, results: dict[Any, Any]) -> Any:
        result = results[cell] if results else _convert(column, cell)
        if isinstance(result, v.InvalidValue):
            error = self.errors.get(position)
            if error is None:
                self.errors[position] = RowError(result.code, result.message, [column.key])
            elif column.key not in error.invalid:
                error.invalid.append(column.key)
            return None
        return result


def _row_tuples(rows: Sequence[Any], keys: list[str]) -> list[tuple[Any, ...]] | None:
    """Each row's values for `keys` as a tuple (C speed).

    None when some row lacks a key or is not an object (lists, text and numbers refuse string
    subscripts), so a successful call also proves every row is an object.
    """
    if not keys:
        return None
    getter = itemgetter(*keys)
    try:
        if len(keys) == 1:
            return [(value,) for value in map(getter, rows)]
        return list(map(getter, rows))
    except (KeyError, TypeError):
        return None


def _mostly_distinct(cells: Sequence[Any]) -> bool:
    """Whether a long column's first values are mostly distinct (ids, e-mails, amounts).

    Such a column gains nothing from a set of its distinct values: building one costs a pass,
    and checking the set visits the values in hash order, scattered over memory.
    """
    if len(cells) < 2 * _SAMPLE:
        return False
    try:
        return len(set(cells[:_SAMPLE])) * 2 > _SAMPLE
    except TypeError:
        return False


def _fast_in_order(cells: Sequence[Any], column: Column) -> Sequence[Any] | None:
    """`_fast_column` for a column checked in row order, without a set of its values."""
    present = list(filter(None, cells))
    blanks = len(cells) - len(present)
    empties = 0
    if blanks:
        empties = cells.count("")
        if empties + cells.count(None) != blanks:
            # Some falsy value is neither null nor "" (0, false, [], {}): it needs converting.
            return None
    try:
        if present and not _provably_valid(present, column):
            return None
    except TypeError:
        return None
    return [cell or None for cell in cells] if empties else cells


def _fast_column(cells: Sequence[Any], distinct: set[Any], column: Column) -> Sequence[Any] | None:
    """The cells unchanged (blanks as None) when every distinct value is provably valid as is.

    One C-level pass over the joined values replaces a Python call per value; None means "not
    provable this way", and the caller then checks value by value.
    """
    blanks = {None, "", ABSENT} & distinct
    # A copy of a big set costs as much as a check: only make it when there is a blank to drop.
    values = distinct - blanks if blanks else distinct
    try:
        if values and not _provably_valid(values, column):
            return None
    except TypeError:
        # Only str values qualify: anything else (numbers, booleans) takes the slow path.
        return None
    return [cell or None for cell in cells] if "" in blanks else cells


def _provably_valid(values: Collection[Any], column: Column) -> bool:
    """Whether every value (none of them blank) is valid as is.

    Raises:
        TypeError: when some value is not a str (`str.join` refuses it), which spares a pass
            over the values just to look at their types.
    """
    kind = column.data_type
    joined = "\n".join(values)
    # The patterns below match line by line: a value holding a line break must not pass for two.
    one_per_line = joined.count("\n") == len(values) - 1
    if kind in ("text", "largeText", "emailAddress"):
        longest = max(map(len, values))
        if longest > _MAX_LENGTH.get(kind, column.limit):
            return False
        return kind != "emailAddress" or _emails_valid(values, joined, longest, one_per_line)
    pattern = _JOINED.get(kind)
    if pattern is None or not one_per_line or pattern.fullmatch(joined) is None:
        return False
    if kind == "date":
        try:
            list(map(datetime.fromisoformat, values))
        except ValueError:
            return False
    return True


def _emails_valid(values: Collection[str], joined: str, longest: int, one_per_line: bool) -> bool:
    if longest <= _SHORT_EMAIL and one_per_line:
        return _EMAILS.fullmatch(joined) is not None
    # Per value through map(): faster than one backtracking match over the joined text.
    return all(map(_EMAIL.fullmatch, values))


def _joined(item: str) -> re.Pattern[str]:
    return re.compile(f"(?:{item})(?:\n(?:{item}))*+")


_SAMPLE = 512
_NUMBER_TYPES = frozenset((bool, int, float))
#: Rows per block: a block's values (about 1 KB a row) fit in the CPU's cache.
_BLOCK = 2048
_EMAIL = re.compile(v.EMAIL_PATTERN)
_MAX_LENGTH = {"emailAddress": v.EMAIL_LIMIT}

# EMAIL_PATTERN without its length bounds, which no address of at most 64 characters can break
# (local part ≤ 64, domain label ≤ 63), written with possessive quantifiers: its parts cannot
# overlap (a label is alphanumeric runs joined by hyphen runs), so it never backtracks and one
# match checks a whole joined column.
_LOCAL = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]++"
_LABEL = r"[A-Za-z0-9]++(?:-++[A-Za-z0-9]++)*+"
_SHORT_EMAIL = 64
_EMAILS = _joined(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})++")

# Stricter than the per-value checks (e.g. no leading zeros beyond 15 digits): a value they miss
# is checked again one by one, so they may refuse valid values but never accept invalid ones.
_JOINED: dict[str, re.Pattern[str]] = {
    "number": _joined(r"\d{1,18}"),
    "numeric": _joined(r"-?\d{1,15}(?:\.\d{1,4})?"),
    "date": _joined(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"),
}


def _convert(column: Column, cell: Any) -> Any:
    """The stored form of one cell, ABSENT, or the InvalidValue it raises."""
    if cell is ABSENT or cell is None:
        return cell
    try:
        text = cell if type(cell) is str else v.as_text(cell)
        return column.check(text) if text else None
    except v.InvalidValue as exc:
        return exc


def _as_dicts(rows: Sequence[Any], errors: dict[int, RowError]) -> list[dict[str, Any]]:
    if set(map(type, rows)) <= {dict}:
        return list(rows)
    checked: list[dict[str, Any]] = []
    for position, row in enumerate(rows):
        if type(row) is dict:
            checked.append(row)
        else:
            errors[position] = RowError(v.ELQ_MALFORMED, "Malformed record.", [])
            checked.append({})
    return checked
