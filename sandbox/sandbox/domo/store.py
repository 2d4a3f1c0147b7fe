"""The rows of one DataSet, held in an in-memory SQLite database of their own."""

# ruff: noqa: S608 - SQL is built only from internal table names and quoted identifiers.
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from sandbox.domo.columns import (
    BATCH_ID,
    DECIMAL_COLLATION,
    DECIMAL_DECLTYPE,
    Column,
    DomoType,
    decimal_collation,
)

# A DECIMAL column read straight from its table reaches orjson as the exact digits of a JSON
# number (orjson cannot serialise Decimal; a Fragment is emitted verbatim).
sqlite3.register_converter(DECIMAL_DECLTYPE, orjson.Fragment)

#: Rows fetched per SQLite read while encoding (bounds how long one read holds the lock).
ENCODE_BLOCK = 8192

#: Turns fetched rows (rowid first, then the encoding's select list) into one `bytes` per row.
Encoder = Callable[[list[Any]], list[bytes]]


@dataclass
class Encoding:
    """One rendering of every row of the current table, kept as one `bytes` per row.

    Rows are only ever appended to a table (a Replace load starts a new one), and rowids run
    1, 2, 3… without gaps, so `rows[rowid - 1]` is a row's rendering and an append only needs
    its new rows encoded. Serving an export or a query page is then a join of stored bytes.

    Attributes:
        select: the SQL select list that feeds `encode` (after the rowid).
        encode: renders a block of fetched rows.
        rows: the rendering of rows 1..len(rows).
    """

    select: str
    encode: Encoder
    rows: list[bytes] = field(default_factory=list)


class RowStore:
    """One DataSet's table. Callers hold `lock` around every use of `conn`.

    Attributes:
        columns: every column, batch columns included, in order.
        conn: the SQLite connection (in memory, shared across threads under `lock`).
        lock: serialises access to `conn`.
        table: the current table name; a Replace load swaps in a new table.
        generation: bumped by every Replace load, so a running export can notice it.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        """Create the empty table."""
        self.columns = list(columns)
        self.conn = sqlite3.connect(
            ":memory:", check_same_thread=False, detect_types=sqlite3.PARSE_DECLTYPES
        )
        self.conn.create_collation(DECIMAL_COLLATION, decimal_collation)
        self.lock = threading.RLock()
        self.generation = 0
        self.table = ""
        self.row_count = 0
        self.encodings: dict[Hashable, Encoding] = {}
        with self.lock:
            self.table = self._create_table()

    def _create_table(self) -> str:
        self.generation += 1
        table = f"ds_g{self.generation}"
        for encoding in self.encodings.values():
            # A new list: an export still holding the old one is cut by the generation check.
            encoding.rows = []
        decls = ", ".join(c.sql_decl for c in self.columns)
        self.conn.execute(f"CREATE TABLE {table} ({decls})")
        if any(c.name == BATCH_ID for c in self.columns):
            # The tap filters and orders on _BATCH_ID_ (domo-api.md §9); keep that an index scan.
            self.conn.execute(f'CREATE INDEX {table}_batch ON {table} ("{BATCH_ID}")')
        return table

    def insert(self, rows: Iterable[Sequence[Any]]) -> int:
        """Append stored-form rows (every column, in order); returns how many were added."""
        marks = ", ".join("?" for _ in self.columns)
        with self.lock:
            before = self.conn.total_changes
            self.conn.executemany(f"INSERT INTO {self.table} VALUES ({marks})", rows)
            self.conn.commit()
            added = self.conn.total_changes - before
            self.row_count += added
            # Keep every rendering in use current, so reads after a load find it ready.
            top = self.max_rowid()
            for encoding in self.encodings.values():
                self.extend(encoding, top)
        return added

    def replace(self, rows: Iterable[Sequence[Any]]) -> int:
        """Swap in a new table holding only `rows`; returns how many there are."""
        with self.lock:
            old = self.table
            self.table = self._create_table()
            self.conn.execute(f"DROP TABLE {old}")
            self.row_count = 0
            return self.insert(rows)

    def encoding(self, key: Hashable, select: str, encode: Encoder) -> Encoding:
        """The rendering registered under `key`, registered (empty) on first use.

        A registered rendering is extended by every later load; call `extend` to fill it up to
        the rows present when it was registered.
        """
        with self.lock:
            found = self.encodings.get(key)
            if found is None:
                found = self.encodings[key] = Encoding(select, encode)
            return found

    def extend(self, encoding: Encoding, top: int) -> None:
        """Encode rows up to rowid `top` that `encoding` lacks (callers hold `lock`)."""
        while len(encoding.rows) < top:
            start = len(encoding.rows)
            end = min(top, start + ENCODE_BLOCK)
            rows = self.conn.execute(
                f"SELECT rowid, {encoding.select} FROM {self.table} "
                "WHERE rowid > ? AND rowid <= ? ORDER BY rowid",
                (start, end),
            ).fetchall()
            if len(rows) != end - start or (rows and rows[-1][0] != end):
                raise RuntimeError(f"rowids of {self.table} are not contiguous")
            encoding.rows.extend(encoding.encode(rows))

    def max_rowid(self) -> int:
        """The highest rowid (0 when empty); an export reads up to it, a snapshot of appends."""
        with self.lock:
            row = self.conn.execute(f"SELECT max(rowid) FROM {self.table}").fetchone()
        return int(row[0] or 0)

    def read_all(self) -> list[dict[str, Any]]:
        """Every row as name → value, in load order (DECIMAL as exact `Decimal`)."""
        selects = [
            f"CAST({c.sql_name} AS TEXT)" if c.type is DomoType.DECIMAL else c.sql_name
            for c in self.columns
        ]
        with self.lock:
            rows = self.conn.execute(
                f"SELECT {', '.join(selects)} FROM {self.table} ORDER BY rowid"
            ).fetchall()
        decimals = [i for i, c in enumerate(self.columns) if c.type is DomoType.DECIMAL]
        names = [c.name for c in self.columns]
        result = []
        for row in rows:
            values = list(row)
            for i in decimals:
                if values[i] is not None:
                    values[i] = Decimal(values[i])
            result.append(dict(zip(names, values, strict=True)))
        return result

    def close(self) -> None:
        """Free the database."""
        with self.lock:
            self.conn.close()
