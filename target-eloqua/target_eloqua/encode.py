"""Chunk encoding: rows as JSON array bodies measured in bytes, and a spill of posted chunks."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

import msgspec

_ENCODER = msgspec.json.Encoder(decimal_format="number")


def encode_row(row: dict[str, Any]) -> bytes:
    """One row as compact JSON.

    Args:
        row: column key → string or None (None stays JSON null, never "null").

    Returns:
        The encoded row.
    """
    return _ENCODER.encode(row)


def body_size(row_bytes: int, rows: int) -> int:
    """The size of a JSON array body holding `rows` rows of `row_bytes` bytes in total.

    Args:
        row_bytes: the summed size of the encoded rows.
        rows: how many rows.

    Returns:
        Bytes of `[row,row,...]`.
    """
    return 2 + row_bytes + max(rows - 1, 0)


class Chunk:
    """The rows of the next data POST, keyed by identifier (a repeated identifier replaces)."""

    def __init__(self) -> None:
        """Start empty."""
        self.rows: dict[str, bytes] = {}
        self.row_bytes = 0

    def __len__(self) -> int:
        """How many rows the chunk holds."""
        return len(self.rows)

    def __contains__(self, key: object) -> bool:
        """Whether the chunk holds a row with this identifier."""
        return key in self.rows

    @property
    def size(self) -> int:
        """The encoded body's size in bytes."""
        return 2 + self.row_bytes + len(self.rows) - 1 if self.rows else 2

    def size_with(self, encoded: bytes) -> int:
        """The body's size once `encoded` is added as a new row.

        Args:
            encoded: an encoded row.

        Returns:
            Bytes.
        """
        return 2 + self.row_bytes + len(encoded) + len(self.rows)

    def put(self, key: str, encoded: bytes) -> bool:
        """Add a row, replacing one with the same identifier (last wins).

        Args:
            key: the identifier value.
            encoded: the encoded row.

        Returns:
            Whether a row was replaced.
        """
        old = self.rows.pop(key, None)
        if old is not None:
            self.row_bytes -= len(old)
        self.rows[key] = encoded
        self.row_bytes += len(encoded)
        return old is not None

    def body(self) -> bytes:
        """The JSON array body.

        Returns:
            `[row,row,...]`.
        """
        # One allocation of the body (a 20 MB chunk must not be copied twice over).
        return b"".join(_array_parts(self.rows.values()))

    def clear(self) -> None:
        """Forget every row."""
        self.rows = {}
        self.row_bytes = 0


def _array_parts(rows: Iterable[bytes]) -> Iterator[bytes]:
    yield b"["
    separator = b""
    for row in rows:
        yield separator
        yield row
        separator = b","
    yield b"]"


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

    def append(self, body: bytes) -> None:
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
