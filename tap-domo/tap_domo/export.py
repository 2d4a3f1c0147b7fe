"""Reading rows through the CSV export: streamed, parsed with `csv`, restarted after a cut."""

from __future__ import annotations

import csv
import io
import itertools
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import requests

from tap_domo.client import DomoClient, Target
from tap_domo.datasets import Column
from tap_domo.errors import DomoApiError
from tap_domo.retry import RetryPolicy, as_retriable
from tap_domo.types import CHUNK_ROWS, RowBuilder, csv_parser, record_builder

# A STRING cell can be far longer than the csv module's default 128 KiB field limit.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

#: We ask Domo not to escape formula-like cells with a leading `'` (domo-api.md §3.1), so the
#: values are read as stored and nothing is stripped.
EXPORT_PARAMS = {"includeHeader": "true", "disableFormulaInterpretation": "false"}
READ_BUFFER_BYTES = 1 << 20


class ExportReader:
    """Streams `GET /v1/datasets/{id}/data` and yields one record per CSV row.

    The body is never held whole: `io.TextIOWrapper` over the raw socket stream feeds
    `csv.reader` (which handles quoted commas, quotes and newlines; `iter_lines` would split CRLF
    wrongly, performance.md §8). If the stream breaks, the export is requested again and the
    rows already yielded are skipped; a CRC of those rows must match what was yielded, so a
    DataSet that changed in between fails the run rather than skipping or repeating rows.
    """

    def __init__(
        self,
        client: DomoClient,
        target: Target,
        columns: Sequence[Column],
        *,
        empty_string_is_null: bool,
        policy: RetryPolicy,
        logger: logging.Logger,
    ) -> None:
        self.client = client
        self.target = target
        self.policy = policy
        self.logger = logger
        self.restarts = 0
        self._parsers = {
            col.name: csv_parser(col.name, col.kind, empty_string_is_null=empty_string_is_null)
            for col in columns
        }

    def chunks(self) -> Iterator[list[dict[str, Any]]]:
        """Every row of the DataSet, in export order, in lists of at most `CHUNK_ROWS`.

        A row counts as read once the list holding it is yielded: after a cut, the rows of a
        list that was being filled are read again.

        Yields:
            Lists of records.

        Raises:
            DomoApiError: when the export keeps breaking, or the DataSet changed between tries.
        """
        consumed, digest, failures = 0, 0, 0
        while True:
            progress = consumed
            try:
                names, rows = self._open(consumed, digest)
                build = record_builder(names, [self._parsers[name] for name in names])
                width = len(names)
                try:
                    while batch := list(itertools.islice(rows.reader, CHUNK_ROWS)):
                        folded = digest
                        for row in batch:
                            if len(row) != width:
                                raise ConnectionError(
                                    f"CSV row with {len(row)} fields where the header has "
                                    f"{width} (cut stream)"
                                )
                            # `_crc`, inline: this runs for every row.
                            folded = hash((folded, *row))
                        records = self._records(build, batch)
                        # Only rows handed on count: a restart skips exactly these.
                        digest, consumed = folded, consumed + len(batch)
                        yield records
                finally:
                    rows.close()
                return
            except Exception as exc:
                error = as_retriable(exc)
                if error is None:
                    raise
            failures = 1 if consumed > progress else failures + 1
            if failures >= self.policy.max_tries:
                raise DomoApiError(
                    f"the CSV export of {self.target} broke {failures} times in a row, giving "
                    f'up: {error}; run again later, or set "read_method" to "query"'
                ) from error
            wait = self.policy.wait_seconds(failures, error.retry_after)
            self.logger.warning(
                "CSV export of %s broke after %d rows (%s); restarting in %.1f s and skipping "
                "the rows already read",
                self.target,
                consumed,
                error,
                wait,
            )
            self.restarts += 1
            self.policy.sleep(wait)

    def _open(self, skip: int, digest: int) -> tuple[list[str], _CsvRows]:
        rows = _CsvRows(self.client.open_export(self.target, EXPORT_PARAMS))
        try:
            names = self._header(next(rows.reader, None))
            _skip(rows.reader, skip, digest, len(names), self.target)
        except BaseException:
            rows.close()
            raise
        return names, rows

    def _header(self, header: list[str] | None) -> list[str]:
        if header is None:
            raise DomoApiError(f"the CSV export of {self.target} is empty (no header row)")
        unknown = [name for name in header if name not in self._parsers]
        if unknown or len(set(header)) != len(header):
            raise DomoApiError(
                f"the CSV export of {self.target} has columns {header} that do not match the "
                "DataSet schema; the schema changed during the run; run again"
            )
        return header

    def _records(self, build: RowBuilder, rows: list[list[str]]) -> list[dict[str, Any]]:
        try:
            return [build(row) for row in rows]
        except ValueError as exc:
            raise DomoApiError(f"{self.target}: unreadable value in the CSV export: {exc}") from exc


class _Source(io.RawIOBase):
    """urllib3's body stream as a plain raw stream.

    `csv.reader` reads a line at a time, and each line checks that the streams under it are
    open: through urllib3's own `closed` property that is a Python call per row; here it is the
    `io` base class's, which costs none.
    """

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return int(self._raw.readinto(buffer))


class _CsvRows:
    """The rows of an export response as lists of strings (`reader`); `close` ends the request.

    Args:
        response: the streamed export response.
    """

    def __init__(self, response: requests.Response) -> None:
        raw = response.raw
        raw.decode_content = True
        # Leave the raw stream open at EOF for TextIOWrapper (else "I/O operation on closed
        # file").
        raw.auto_close = False
        # Reads of 1 MiB: TextIOWrapper asks for 8 KiB at a time, and each read of urllib3's
        # stream costs a few Python calls.
        buffered = io.BufferedReader(_Source(raw), buffer_size=READ_BUFFER_BYTES)
        self._text = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")
        self._response = response
        self.reader = csv.reader(self._text, strict=True)
        self._closed = False

    def close(self) -> None:
        """Release the connection (once; later calls do nothing)."""
        if not self._closed:
            self._closed = True
            self._text.detach()
            self._response.close()


def _skip(rows: Iterator[list[str]], count: int, digest: int, width: int, target: Target) -> None:
    """Consume the `count` rows already yielded; they must be the same rows as before."""
    seen = 0
    for _ in range(count):
        row = next(rows, None)
        if row is None or len(row) != width:
            raise ConnectionError("the export ended before the rows already read (cut stream)")
        seen = _crc(row, seen)
    if seen != digest:
        raise DomoApiError(
            f"{target} changed while its CSV export was being restarted, so the rows already "
            "sent cannot be skipped safely; run again (the bookmark was not advanced)"
        )


def _crc(row: list[str], digest: int) -> int:
    """Fold a row into the digest of the rows before it.

    Python's hash of a tuple of strings (64 bits, and half the cost of a CRC-32 of the encoded
    row) is enough to notice a DataSet that changed: it is salted per process, and a digest is
    only ever compared within the run that made it.
    """
    return hash((digest, *row))
