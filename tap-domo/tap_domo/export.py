"""Reading rows through the CSV export: streamed, parsed with `csv`, restarted after a cut."""

from __future__ import annotations

import csv
import io
import logging
import sys
import typing as t
from collections.abc import Generator, Iterator, Sequence
from typing import Any

import requests

from tap_domo.client import DomoClient, Target
from tap_domo.datasets import Column
from tap_domo.errors import DomoApiError
from tap_domo.retry import RetryPolicy, as_retriable
from tap_domo.types import RowBuilder, csv_parser, record_builder

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

    def records(self) -> Iterator[dict[str, Any]]:
        """Every row of the DataSet, in export order.

        Yields:
            Records.

        Raises:
            DomoApiError: when the export keeps breaking, or the DataSet changed between tries.
        """
        consumed, digest, failures = 0, 0, 0
        while True:
            progress = consumed
            try:
                names, rows = self._open(consumed, digest)
                build = record_builder(names, [self._parsers[name] for name in names])
                try:
                    for row in rows:
                        digest = _crc(row, digest)
                        consumed += 1
                        yield self._record(build, row)
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

    def _open(self, skip: int, digest: int) -> tuple[list[str], Generator[list[str]]]:
        response = self.client.open_export(self.target, EXPORT_PARAMS)
        rows = _csv_rows(response)
        try:
            names = self._header(next(rows, None))
            _skip(rows, skip, digest, len(names), self.target)
        except BaseException:
            rows.close()
            raise
        return names, _checked(rows, len(names))

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

    def _record(self, build: RowBuilder, row: list[str]) -> dict[str, Any]:
        try:
            return build(row)
        except ValueError as exc:
            raise DomoApiError(f"{self.target}: unreadable value in the CSV export: {exc}") from exc


def _csv_rows(response: requests.Response) -> Generator[list[str]]:
    raw = response.raw
    raw.decode_content = True
    # Leave the raw stream open at EOF for TextIOWrapper (else "I/O operation on closed file").
    raw.auto_close = False
    # Reads of 1 MiB: TextIOWrapper asks for 8 KiB at a time, and each read of urllib3's stream
    # costs a few Python calls (its `closed` property alone was 4 % of the tap's CPU).
    buffered = io.BufferedReader(t.cast("io.RawIOBase", raw), buffer_size=READ_BUFFER_BYTES)
    text = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")
    try:
        yield from csv.reader(text, strict=True)
    finally:
        text.detach()
        response.close()


def _skip(rows: Generator[list[str]], count: int, digest: int, width: int, target: Target) -> None:
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


def _checked(rows: Generator[list[str]], width: int) -> Generator[list[str]]:
    try:
        for row in rows:
            if len(row) != width:
                raise ConnectionError(
                    f"CSV row with {len(row)} fields where the header has {width} (cut stream)"
                )
            yield row
    finally:
        rows.close()


def _crc(row: list[str], digest: int) -> int:
    """Fold a row into the digest of the rows before it.

    Python's hash of a tuple of strings (64 bits, and half the cost of a CRC-32 of the encoded
    row) is enough to notice a DataSet that changed: it is salted per process, and a digest is
    only ever compared within the run that made it.
    """
    return hash((digest, *row))
