"""`GET /v1/datasets/{id}/data`: the whole DataSet as streamed CSV (RFC 4180, LF row ends).

Each CSV line is built inside SQLite (one expression per row) and kept, per set of options, as
an `Encoding` of the DataSet's store that every later load extends. An export then only joins
stored lines into ~64 KiB writes: the first export with new options pays for the encoding,
the default options' lines are built as rows are loaded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.domo.columns import Column, DomoType
from sandbox.domo.store import Encoding, RowStore

WRITE_SIZE = 64 * 1024
_ROWS_PER_READ = 2048
_FORMULA_STARTS = ("=", "+", "-", "@")


class ExportInterrupted(RuntimeError):
    """The DataSet was replaced while its export was streaming; the connection is cut."""


@dataclass(frozen=True)
class CsvOptions:
    """How the export encodes values (see `Settings`)."""

    null: str = ""
    quote_all: bool = False
    formula_escape: bool = False
    batch_id_float: bool = False
    datetime_separator: str = "T"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _double_text(x: str, batch_id_float: bool) -> str:
    """SQL for the exact text of a DOUBLE.

    Integral values are stored as INTEGERs (NUMERIC affinity); for fractions SQLite's own text
    keeps only 15 digits, so widen to 16 or 17 until it round-trips.
    """
    integral = f"CAST({x} AS TEXT) || '.0'" if batch_id_float else f"CAST({x} AS TEXT)"
    return (
        f"CASE WHEN typeof({x}) = 'integer' THEN {integral} "
        f"WHEN CAST(CAST({x} AS TEXT) AS REAL) = {x} THEN CAST({x} AS TEXT) "
        f"WHEN CAST(printf('%!.16g', {x}) AS REAL) = {x} THEN printf('%!.16g', {x}) "
        f"ELSE printf('%!.17g', {x}) END"
    )


def _text_of(column: Column, options: CsvOptions) -> str:
    """SQL for a non-null value's text, before quoting."""
    x = column.sql_name
    if column.type is DomoType.STRING and options.formula_escape:
        starts = ", ".join(_literal(s) for s in _FORMULA_STARTS)
        # CSV-injection escaping seen on real exports (domoinc/domo-python-sdk#58).
        return f"CASE WHEN substr({x}, 1, 1) IN ({starts}) THEN '''' || {x} ELSE {x} END"
    if column.type is DomoType.LONG:
        return f"CAST({x} AS TEXT)"
    if column.type is DomoType.DOUBLE:
        return _double_text(x, options.batch_id_float)
    if column.type is DomoType.DATETIME and options.datetime_separator != "T":
        return f"replace({x}, 'T', {_literal(options.datetime_separator)})"
    return x


def field_sql(column: Column, options: CsvOptions) -> str:
    """SQL rendering one column as a CSV field."""
    x = column.sql_name
    text = _text_of(column, options)
    quoted = f"""'"' || replace({text}, '"', '""') || '"'"""
    null = _literal(options.null)
    if options.quote_all:
        return f"CASE WHEN {x} IS NULL THEN {null} ELSE {quoted} END"
    if column.type is not DomoType.STRING:
        return f"CASE WHEN {x} IS NULL THEN {null} ELSE {text} END"
    # An empty string is written `""` so that it differs from a null (FMT: `,,` is null).
    special = _literal('*[",\r\n]*')
    needs = f"{text} = '' OR {text} GLOB {special}"
    if options.null:
        needs += f" OR {text} = {null}"
    return f"CASE WHEN {x} IS NULL THEN {null} WHEN {needs} THEN {quoted} ELSE {text} END"


def line_sql(columns: Sequence[Column], options: CsvOptions) -> str:
    """SQL building one CSV line (without its LF) per row."""
    return " || ',' || ".join(f"({field_sql(c, options)})" for c in columns)


def header_line(columns: Sequence[Column]) -> str:
    """The header row: names quoted only when they must be, in either quoting mode."""
    fields = []
    for column in columns:
        name = column.name
        if name == "" or any(ch in name for ch in ',"\r\n'):
            name = '"' + name.replace('"', '""') + '"'
        fields.append(name)
    return ",".join(fields) + "\n"


def csv_encoding(store: RowStore, options: CsvOptions) -> Encoding:
    """The store's CSV lines for `options` (registered, so later loads extend them)."""
    return store.encoding(("csv", options), line_sql(store.columns, options), _encode_lines)


def _encode_lines(rows: list[Any]) -> list[bytes]:
    return [f"{line}\n".encode() for _, line in rows]


def stream_csv(store: RowStore, options: CsvOptions, include_header: bool) -> Iterator[bytes]:
    """The DataSet as CSV in ~64 KiB pieces, as of this call.

    Rows appended after the call are left out (a snapshot of appends). A Replace load while
    the body streams raises `ExportInterrupted`, which cuts the response mid-body.
    """
    with store.lock:
        snapshot = (store.generation, store.max_rowid())
        encoding = csv_encoding(store, options)
    header = header_line(store.columns) if include_header else ""
    return _pieces(store, encoding, header.encode(), snapshot)


def _pieces(
    store: RowStore, encoding: Encoding, header: bytes, snapshot: tuple[int, int]
) -> Iterator[bytes]:
    generation, top = snapshot
    position = 0
    pending: list[bytes] = [header] if header else []
    size = len(header)
    while True:
        end = min(top, position + _ROWS_PER_READ)
        with store.lock:
            if store.generation != generation:
                raise ExportInterrupted("the DataSet was replaced during the export")
            if position >= top:
                break
            # Encodes only what no earlier export or load has (options seen for the first time).
            store.extend(encoding, end)
            lines = encoding.rows[position:end]
        position = end
        chunk = b"".join(lines)
        pending.append(chunk)
        size += len(chunk)
        if size >= WRITE_SIZE:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)
