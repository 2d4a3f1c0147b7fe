"""Chunk encoding: rows as JSON array bodies measured in bytes, and a spill of posted chunks."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from typing import IO, Any

import msgspec

_ENCODER = msgspec.json.Encoder(decimal_format="number")
_SHIFT = 32  # a row's start and length packed in one int (rows are far below 4 GB)
_MASK = (1 << _SHIFT) - 1


def encode_row(row: dict[str, Any]) -> bytes:
    """One row as compact JSON.

    Args:
        row: column key → string or None (None stays JSON null, never "null").

    Returns:
        The encoded row.
    """
    return _ENCODER.encode(row)


class RowEncoder:
    """Encodes a row given as values in column order, without building a dict per row.

    A msgspec struct whose fields are renamed to the column keys encodes to the same JSON
    object as the dict would, in about half the time (performance.md §4b: per-row dicts and
    their hashing are what an SDK target's encoding spends its time on).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        """Build the struct type for these columns.

        Args:
            keys: the JSON keys, in column order.
        """
        names = [f"c{i}" for i in range(len(keys))]
        self._row_type = msgspec.defstruct(
            "EloquaRow",
            [(name, object) for name in names],
            rename=dict(zip(names, keys, strict=True)),
        )
        self.keys = tuple(keys)

    def encode(self, values: Sequence[Any]) -> bytes:
        """One row as compact JSON.

        Args:
            values: the converted values, in column order (None stays JSON null).

        Returns:
            The encoded row, byte for byte what `encode_row` gives for the same dict.
        """
        return _ENCODER.encode(self._row_type(*values))


class Chunk:
    """The rows of the next data POST, keyed by identifier (a repeated identifier replaces).

    The encoded rows live back to back in one buffer (`[row,row,...`, the closing bracket
    added when the body is taken), and each identifier maps to where its row starts and how
    long it is, packed in one int: far less memory than a dict of bytes objects, and the
    body is handed to the POST without a copy. A replaced row stays in the buffer, dead,
    until the body is built.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._buffer = bytearray(b"[")
        self._where: dict[str, int] = {}  # identifier -> start << _SHIFT | length
        self._dead = 0
        self.row_bytes = 0

    def __len__(self) -> int:
        """How many rows the chunk holds."""
        return len(self._where)

    def __contains__(self, key: object) -> bool:
        """Whether the chunk holds a row with this identifier."""
        return key in self._where

    def keys(self) -> Iterator[str]:
        """The identifiers of the rows held.

        Returns:
            An iterator over them.
        """
        return iter(self._where)

    @property
    def size(self) -> int:
        """The encoded body's size in bytes."""
        rows = len(self._where)
        return 1 + self.row_bytes + rows if rows else 2

    def size_with(self, encoded: bytes) -> int:
        """The body's size once `encoded` is added as a new row.

        Args:
            encoded: an encoded row.

        Returns:
            Bytes.
        """
        return 2 + self.row_bytes + len(encoded) + len(self._where)

    def put(self, key: str, encoded: bytes) -> bool:
        """Add a row, replacing one with the same identifier (last wins).

        Args:
            key: the identifier value.
            encoded: the encoded row.

        Returns:
            Whether a row was replaced.
        """
        buffer = self._buffer
        old = self._where.pop(key, None)
        if old is not None:
            self.row_bytes -= old & _MASK
            self._dead += 1
        if len(buffer) > 1:
            buffer += b","
        self._where[key] = len(buffer) << _SHIFT | len(encoded)
        buffer += encoded
        self.row_bytes += len(encoded)
        return old is not None

    def body(self) -> bytes:
        """The JSON array body (a copy; the chunk keeps its rows).

        Returns:
            `[row,row,...]`.
        """
        if self._dead:
            # Rows were replaced: keep the live ones, in the order they were (last) added.
            with memoryview(self._buffer) as view:
                rows = b",".join(
                    view[where >> _SHIFT : (where >> _SHIFT) + (where & _MASK)]
                    for where in self._where.values()
                )
            return b"[" + rows + b"]"
        return bytes(self._buffer) + b"]"

    def take_body(self) -> bytes | bytearray:
        """The JSON array body, handed over without a copy when it can be; the chunk empties.

        Returns:
            `[row,row,...]`.
        """
        if self._dead:
            body: bytes | bytearray = self.body()
        else:
            body = self._buffer
            body += b"]"
        self.clear()
        return body

    def clear(self) -> None:
        """Forget every row (a taken body is never written to again)."""
        self._buffer = bytearray(b"[")
        self._where = {}
        self._dead = 0
        self.row_bytes = 0


class Spill:
    """The bodies already posted in the current sync, on disk, so they can be posted again.

    After a POST whose outcome is unknown the staged data cannot be trusted; the writer then
    stages every body of the sync again on a fresh definition. Keeping them on disk instead of
    in memory keeps RSS flat however large `max_sync_bytes` is.
    """

    def __init__(self) -> None:
        """Start empty (the file is opened on first use)."""
        self._file: IO[bytes] | None = None
        self._extents: list[tuple[int, int]] = []
        self._end = 0

    def __len__(self) -> int:
        """How many bodies are kept."""
        return len(self._extents)

    def append(self, body: bytes | bytearray) -> None:
        """Keep one posted body.

        Args:
            body: the body.
        """
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="target-eloqua-")  # noqa: SIM115
        self._file.seek(self._end)
        self._file.write(body)
        self._extents.append((self._end, len(body)))
        self._end += len(body)

    def bodies(self) -> Iterator[bytes]:
        """The kept bodies, in order.

        Yields:
            One body at a time.
        """
        if self._file is None:
            return
        self._file.flush()
        for offset, length in list(self._extents):
            self._file.seek(offset)
            yield self._file.read(length)

    def reset(self) -> None:
        """Forget the bodies (after their sync committed)."""
        self._extents = []
        self._end = 0
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()

    def close(self) -> None:
        """Delete the file."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._extents = []
        self._end = 0
