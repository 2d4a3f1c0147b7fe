"""`POST /v1/datasets/query/execute/{id}`: run a DataSet query on SQLite, shape it like Domo.

Plain row reads (`SELECT * FROM t [WHERE …] [ORDER BY …] [LIMIT …]`, what a tap pages with) take
a fast path: SQLite picks the rows' rowids only, and each row's JSON comes from an `Encoding`
of the store kept current by every load, so no row becomes Python objects on the way out.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from sandbox.domo.columns import DomoType, quote_identifier
from sandbox.domo.errors import bad_request
from sandbox.domo.store import Encoding, RowStore

_WORD = re.compile(r"[^\W\d]\w*", re.UNICODE)
_CLOSERS = {"'": "'", '"': '"', "`": "`", "[": "]"}
_TABLE_KEYWORDS = ("FROM", "JOIN")
_AGGREGATE = re.compile(
    r"^\s*(count|sum|min|max|avg)\s*\(\s*(?:distinct\s+)?(.*?)\s*\)\s*$", re.IGNORECASE | re.DOTALL
)
_SQLITE_RECURSIVE = getattr(sqlite3, "SQLITE_RECURSIVE", 33)
_JSON_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_SELECT_ALL = re.compile(r"\s*SELECT\s+\*\s+FROM\s+(\"[^\"]*\")(.*)", re.IGNORECASE | re.DOTALL)
_PLAIN_TAIL = re.compile(r"(?:\s+(?:WHERE|ORDER|LIMIT)\b.*)?\s*;?\s*", re.IGNORECASE | re.DOTALL)
# Anything that could change which rows come back, or what an ORDER BY ordinal refers to, sends
# the query down the general path: it is only ever slower, never different.
_NOT_PLAIN = re.compile(
    r"\b(?:SELECT|GROUP|UNION|INTERSECT|EXCEPT|JOIN|HAVING|WINDOW|OVER|DISTINCT|VALUES|WITH|"
    r"ROWID|_ROWID_|OID)\b|--|/\*",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"\"[^\"]*\"|`[^`]*`|\[[^\]]*\]|'[^']*'")
_ORDER_BY = re.compile(r"\bORDER\s+BY\b(.*?)(?:\bLIMIT\b|$)", re.IGNORECASE | re.DOTALL)
_ROWID_NAMES = ("rowid", "_rowid_", "oid")


@dataclass(frozen=True)
class QueryOptions:
    """The settings a query response depends on."""

    row_cap: int
    over_cap_error: bool
    batch_id_float: bool
    datetime_separator: str


def _quoted_end(sql: str, start: int) -> int:
    """Index just past the quoted token opening at `start` (a doubled closer is an escape)."""
    closer = _CLOSERS[sql[start]]
    i = start + 1
    while i < len(sql):
        if sql[i] == closer:
            if closer != "]" and sql.startswith(closer * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)


def _comment_end(sql: str, start: int) -> int:
    if sql.startswith("--", start):
        end = sql.find("\n", start)
        return len(sql) if end < 0 else end
    end = sql.find("*/", start + 2)
    return len(sql) if end < 0 else end + 2


def rewrite_table(sql: str, table: str) -> str:
    """Point every `FROM <name>` / `JOIN <name>` at the DataSet's table.

    Domo ignores the table name in the query (the DataSet comes from the URL): `table`, `tbl`,
    any identifier or a backtick-quoted name all work (domo-api.md §3.2). String literals and
    comments are left alone; `FROM (` starts a subquery and is kept.
    """
    out: list[str] = []
    i, expect_table = 0, False
    while i < len(sql):
        ch = sql[i]
        if ch.isspace():
            out.append(ch)
            i += 1
        elif sql.startswith(("--", "/*"), i):
            end = _comment_end(sql, i)
            out.append(sql[i:end])
            i = end
        elif ch in _CLOSERS and not (ch == "[" and not expect_table):
            end = _quoted_end(sql, i)
            is_name = ch != "'"
            out.append(table if expect_table and is_name else sql[i:end])
            expect_table, i = False, end
        elif (match := _WORD.match(sql, i)) is not None:
            word = match.group()
            out.append(table if expect_table else word)
            expect_table = not expect_table and word.upper() in _TABLE_KEYWORDS
            i = match.end()
        else:
            out.append(ch)
            expect_table = False
            i += 1
    return "".join(out)


def _authorizer(table: str) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
    """Allow reading the DataSet's table and nothing else (no writes, pragmas or attaches)."""
    allowed = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, _SQLITE_RECURSIVE}

    def check(action: int, arg1: str | None, *_: str | None) -> int:
        if action in allowed:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ and arg1 == table:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    return check


def execute(store: RowStore, dataset_id: str, sql: str, options: QueryOptions) -> dict[str, Any]:
    """Run `sql` against the DataSet and build Domo's response object.

    Raises:
        DomoApiError: 400 for SQL that does not run and, if so configured, past the row cap.
    """
    with store.lock:
        statement = rewrite_table(sql, quote_identifier(store.table))
        names, rows = _fetch_capped(store, statement, options)
    types = _result_types(names, rows, {c.name.lower(): c.type for c in store.columns})
    values = _convert(rows, _transforms(rows, types, options))
    return _response(dataset_id, names, types, values, len(values))


def execute_json(store: RowStore, dataset_id: str, sql: str, options: QueryOptions) -> bytes:
    """`execute`'s response as JSON bytes, through the fast path when the query allows it.

    Raises:
        DomoApiError: as `execute`.
    """
    with store.lock:
        statement = rewrite_table(sql, quote_identifier(store.table))
        tail = _plain_tail(store, statement)
        if tail is not None:
            # The caller's own SQL, run under the same read-only authorizer as `execute`.
            select = f"SELECT rowid FROM {quote_identifier(store.table)}{tail}"  # noqa: S608
            _, rowids = _fetch_capped(store, select, options)
            encoding = json_encoding(store, options.batch_id_float, options.datetime_separator)
            store.extend(encoding, store.max_rowid())
            rows = encoding.rows
            body = b"[" + b",".join([rows[rowid - 1] for (rowid,) in rowids]) + b"]"
    if tail is None:
        return orjson.dumps(execute(store, dataset_id, sql, options))
    names = [c.name for c in store.columns]
    types = _result_types(names, [], {c.name.lower(): c.type for c in store.columns})
    return orjson.dumps(_response(dataset_id, names, types, orjson.Fragment(body), len(rowids)))


def _plain_tail(store: RowStore, statement: str) -> str | None:
    """What follows `FROM <table>` in a plain row read, or None for any other query."""
    match = _SELECT_ALL.fullmatch(statement)
    if match is None or match.group(1) != quote_identifier(store.table):
        return None
    tail = match.group(2)
    if _PLAIN_TAIL.fullmatch(tail) is None:
        return None
    if any(c.name.lower() in _ROWID_NAMES for c in store.columns):
        return None
    bare = _QUOTED.sub(" ", tail)
    if _NOT_PLAIN.search(bare):
        return None
    order = _ORDER_BY.search(bare)
    if order is not None and re.search(r"(?<![\w.])\d", order.group(1)):
        return None
    return tail


def _fetch_capped(
    store: RowStore, statement: str, options: QueryOptions
) -> tuple[list[str], list[Any]]:
    """Run a statement read-only (the caller holds `store.lock`): column names, capped rows.

    Raises:
        DomoApiError: 400 for SQL that does not run and, if so configured, past the row cap.
    """
    store.conn.set_authorizer(_authorizer(store.table))
    try:
        cursor = store.conn.execute(statement)
        names = [d[0] for d in cursor.description or ()]
        rows = cursor.fetchmany(options.row_cap + 1)
        cursor.close()
    except (sqlite3.Error, OverflowError) as exc:
        raise bad_request(f"Error executing query: {exc}") from None
    finally:
        store.conn.set_authorizer(None)
    if len(rows) > options.row_cap:
        if options.over_cap_error:
            limit = options.row_cap
            raise bad_request(f"Query result exceeds the maximum of {limit} rows") from None
        # KB-QCONN/RDOMO: at most 1M rows come back; the default reading is a silent cut.
        del rows[options.row_cap :]
    return names, rows


def json_encoding(store: RowStore, batch_id_float: bool, datetime_separator: str) -> Encoding:
    """The store's rows as JSON arrays, exactly as `execute` renders a `SELECT *` row."""
    columns = store.columns
    types = [(c.type, False) for c in columns]
    options = QueryOptions(1, False, batch_id_float, datetime_separator)
    transforms = _transforms([], types, options)

    def encode(rows: list[Any]) -> list[bytes]:
        values = [row[1:] for row in rows]
        return list(map(orjson.dumps, _convert(values, transforms)))

    key = ("json", batch_id_float, datetime_separator)
    return store.encoding(key, ", ".join(c.sql_name for c in columns), encode)


def _response(
    dataset_id: str,
    names: list[str],
    types: Sequence[tuple[DomoType, bool]],
    rows: Any,
    num_rows: int,
) -> dict[str, Any]:
    """Domo's response object around already converted (or encoded) rows."""
    metadata = [
        {
            "type": str(type_),
            "dataSourceId": dataset_id,
            "maxLength": -1,
            "minLength": -1,
            "periodIndex": 0,
            "aggregated": aggregated,
        }
        for type_, aggregated in types
    ]
    return {
        "datasource": dataset_id,
        "columns": names,
        "metadata": metadata,
        "rows": rows,
        "numRows": num_rows,
        "numColumns": len(names),
        "fromcache": False,
    }


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] in _CLOSERS and name[-1] == _CLOSERS[name[0]]:
        return name[1:-1]
    return name


def _result_types(
    names: Sequence[str], rows: Sequence[Sequence[Any]], known: dict[str, DomoType]
) -> list[tuple[DomoType, bool]]:
    """The Domo type of each result column, and whether it is an aggregate."""
    result = []
    for index, name in enumerate(names):
        if name.lower() in known:
            result.append((known[name.lower()], False))
            continue
        match = _AGGREGATE.match(name)
        if match is not None:
            result.append((_aggregate_type(match.group(1).lower(), match.group(2), known), True))
            continue
        result.append((_value_type(row[index] for row in rows), False))
    return result


def _aggregate_type(function: str, argument: str, known: dict[str, DomoType]) -> DomoType:
    if function == "count":
        return DomoType.LONG
    if function == "avg":
        return DomoType.DOUBLE
    inner = known.get(_unquote(argument).lower(), DomoType.DOUBLE)
    if function == "sum" and inner not in (DomoType.LONG, DomoType.DECIMAL):
        return DomoType.DOUBLE
    return inner


def _value_type(values: Any) -> DomoType:
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool | int):
            return DomoType.LONG
        if isinstance(value, float):
            return DomoType.DOUBLE
        if isinstance(value, orjson.Fragment):
            return DomoType.DECIMAL
        return DomoType.STRING
    return DomoType.STRING


def _as_float(value: Any) -> Any:
    return float(value) if type(value) is int else value


def _exact_decimal(value: Any) -> Any:
    # An aggregate over a DECIMAL column (MIN/MAX) comes back as its stored text.
    if isinstance(value, str) and _JSON_NUMBER.fullmatch(value):
        return orjson.Fragment(value.encode())
    return value


def _needs_decimal_fix(rows: Sequence[Sequence[Any]], index: int) -> bool:
    """Whether a DECIMAL result column holds text (a column read directly is already exact)."""
    return any(isinstance(row[index], str) for row in rows)


def _transforms(
    rows: list[Any], types: Sequence[tuple[DomoType, bool]], options: QueryOptions
) -> list[tuple[int, Callable[[Any], Any]]]:
    transforms: list[tuple[int, Callable[[Any], Any]]] = []
    sep = options.datetime_separator
    for index, (type_, _) in enumerate(types):
        if type_ is DomoType.DOUBLE and options.batch_id_float:
            transforms.append((index, _as_float))
        elif type_ is DomoType.DECIMAL and _needs_decimal_fix(rows, index):
            transforms.append((index, _exact_decimal))
        elif type_ is DomoType.DATETIME and sep != "T":
            transforms.append((index, lambda v: v.replace("T", sep, 1)))
    return transforms


def _convert(rows: list[Any], transforms: list[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
    if not transforms:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for index, transform in transforms:
            if values[index] is not None:
                values[index] = transform(values[index])
        converted.append(values)
    return converted
