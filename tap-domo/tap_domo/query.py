"""Reading rows through the query API: batch plan, pages of whole batches, counts checked."""

from __future__ import annotations

import logging
import typing as t
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tap_domo import sql
from tap_domo.client import DomoClient, QueryPage, QueryResult, Target
from tap_domo.datasets import Column
from tap_domo.errors import DomoApiError, IncompleteReadError
from tap_domo.query_rows import BatchDecoder, RowDecoder
from tap_domo.types import BATCH_ID, CHUNK_ROWS, batch_number

Number = sql.Number


@dataclass(frozen=True)
class BatchCount:
    """One entry of the plan: a batch id and how many rows it holds.

    Attributes:
        batch: the `_BATCH_ID_`.
        rows: its row count.
    """

    batch: Number
    rows: int


class QueryReader:
    """Reads a DataSet through `POST /v1/datasets/query/execute/{id}`.

    Paging: count rows per batch first (the plan), then fetch whole consecutive batches
    (``_BATCH_ID_ > a AND _BATCH_ID_ <= b``) up to `page_size` rows per query; a batch larger
    than a page is read with ``ORDER BY`` every column and ``LIMIT/OFFSET``. Every page is
    checked against the plan's counts before any of its rows is yielded, so a truncated or
    shifted answer fails the run instead of skipping or repeating rows. A page's rows stay JSON
    text until they are yielded (see `QueryPage`): the check reads only their `_BATCH_ID_`.
    """

    #: Most batches one plan query lists; the plan continues from the last one listed.
    plan_limit = 100_000

    def __init__(
        self,
        client: DomoClient,
        target: Target,
        columns: Sequence[Column],
        page_size: int,
        logger: logging.Logger,
    ) -> None:
        self.client = client
        self.target = target
        self.columns = tuple(columns)
        self.page_size = page_size
        self.logger = logger
        self.queries = 0
        self._by_name = {col.name: col for col in self.columns}

    def order_clause(self) -> str:
        """ORDER BY every column; raises for a column that cannot be quoted safely.

        Returns:
            The ORDER BY list.
        """
        return sql.order_by_all([col.name for col in self.columns], str(self.target))

    def max_batch(self) -> Number | None:
        """The highest `_BATCH_ID_` in the DataSet now.

        Returns:
            The value, or None when the DataSet has no batch ids.
        """
        result = self._query(sql.max_batch_sql())
        if not result.rows or not result.rows[0]:
            return None
        return batch_number(result.rows[0][0])

    def incremental(self, lower: Number | None, upper: Number) -> Iterator[dict[str, Any]]:
        """Rows with lower < `_BATCH_ID_` <= upper, ordered by batch.

        Args:
            lower: exclusive bound (bookmark or start_batch_id), or None.
            upper: inclusive bound (MAX at the start of the sync).

        Yields:
            Records.
        """
        for chunk in self.incremental_chunks(lower, upper):
            yield from chunk

    def incremental_chunks(
        self, lower: Number | None, upper: Number
    ) -> Iterator[list[dict[str, Any]]]:
        """The records of `incremental`, in lists of at most `CHUNK_ROWS` from one batch each.

        Args:
            lower: exclusive bound (bookmark or start_batch_id), or None.
            upper: inclusive bound (MAX at the start of the sync).

        Yields:
            Lists of records; a batch's rows may span several lists, a list never holds two
            batches.
        """
        self.order_clause()
        previous = lower
        for group in _pack(self._plan(lower, upper), self.page_size):
            if group[0].rows > self.page_size:
                yield from self._large_batch(group[0])
            else:
                yield from self._batch_group(previous, group)
            previous = group[-1].batch

    def full_table_chunks(self) -> Iterator[list[dict[str, Any]]]:
        """Every row, in pages ordered by every column (DataSets without `_BATCH_ID_`).

        The rows come in lists of at most `CHUNK_ROWS`.

        Yields:
            Lists of records.
        """
        order = self.order_clause()
        total = _count(self._query(sql.count_sql()))
        offset = 0
        while offset < total:
            expected = min(self.page_size, total - offset)
            page = self._query_page(sql.all_rows_sql(order, self.page_size, offset))
            self._expect(len(page.rows), expected, f"rows {offset + 1}-{offset + expected}")
            offset += expected
            yield from self._chunks(page)
            del page

    def _plan(self, lower: Number | None, upper: Number) -> Iterator[BatchCount]:
        while True:
            result = self._query(sql.plan_sql(lower, upper, self.plan_limit))
            entries = [
                BatchCount(_plan_batch(row[0], self.target), int(row[1])) for row in result.rows
            ]
            yield from entries
            if len(entries) < self.plan_limit:
                return
            lower = entries[-1].batch

    def _batch_group(
        self, previous: Number | None, group: Sequence[BatchCount]
    ) -> Iterator[list[dict[str, Any]]]:
        page = self._query_page(sql.batches_sql(previous, group[-1].batch))
        want = {entry.batch: entry.rows for entry in group}
        self._batch_column(page)
        if len(page.rows) != sum(want.values()):
            self._mismatch(page, want)
        # The counts per batch are checked as the rows go by, before a row of the next batch is
        # yielded and so before the stream can bookmark a batch: reading every row's batch id
        # ahead would cost a second decode of the page.
        current: Any = None
        seen = 0
        for records in self._chunks(page):
            start = 0
            for index, record in enumerate(records):
                batch = record[BATCH_ID]
                if not seen or batch != current:
                    # The rows before are handed on first; the stream bookmarks their batch only
                    # when it is given a row of the next one, after these checks.
                    if index > start:
                        yield records[start:index]
                        start = index
                    if seen and seen != want[current]:
                        self._mismatch(page, want)
                    # In plan order, each batch once: else a batch would be bookmarked too early.
                    if batch not in want or (current is not None and batch < current):
                        self._mismatch(page, want)
                    current, seen = batch, 0
                seen += 1
                if seen > want[current]:
                    self._mismatch(page, want)
            if start < len(records):
                yield records[start:] if start else records

    def _mismatch(self, page: QueryPage, want: dict[Number, int]) -> t.NoReturn:
        got = Counter(self._batches(page))
        if got == want:
            raise IncompleteReadError(
                f"{self.target}: Domo returned the rows of a page out of {BATCH_ID} order; run "
                "again (the bookmark names only batches read in full)"
            )
        described = ", ".join(f"{b}: {got.get(b, 0)} of {n}" for b, n in want.items())
        raise IncompleteReadError(
            f"{self.target}: Domo returned rows that do not match its own batch counts "
            f"({described}); the DataSet probably changed during the run; run again (the "
            "bookmark names only batches read in full)"
        )

    def _large_batch(self, entry: BatchCount) -> Iterator[list[dict[str, Any]]]:
        order = self.order_clause()
        offset = 0
        while offset < entry.rows:
            expected = min(self.page_size, entry.rows - offset)
            page = self._query_page(sql.batch_page_sql(entry.batch, order, self.page_size, offset))
            self._batch_column(page)
            what = f"_BATCH_ID_ {entry.batch}, rows {offset + 1}-{offset + expected}"
            self._expect(len(page.rows), expected, what)
            offset += expected
            for chunk in self._chunks(page):
                if any(record[BATCH_ID] != entry.batch for record in chunk):
                    self._expect(-1, expected, what)
                yield chunk
            del page

    def _expect(self, got: int, expected: int, what: str) -> None:
        if got != expected:
            raise IncompleteReadError(
                f"{self.target}: Domo returned {max(got, 0)} rows for {what}, expected "
                f"{expected}; the DataSet probably changed during the run, or the query was "
                "truncated; run again (the bookmark names only batches read in full)"
            )

    def _batch_column(self, page: QueryPage) -> int:
        try:
            return page.columns.index(BATCH_ID)
        except ValueError:
            raise DomoApiError(
                f"{self.target}: the query answer has no {BATCH_ID} column"
            ) from None

    def _batches(self, page: QueryPage) -> Iterator[Number | None]:
        """The `_BATCH_ID_` of each row of a page, read without decoding the other values."""
        self._columns_of(page)
        decoder = BatchDecoder(len(page.columns), self._batch_column(page))
        for raw in page.rows:
            try:
                yield decoder.batch(raw)
            except ValueError as exc:
                raise DomoApiError(
                    f"{self.target}: unreadable value in a query row: {exc}"
                ) from exc

    def _chunks(self, page: QueryPage) -> Iterator[list[dict[str, Any]]]:
        decoder = RowDecoder(self._columns_of(page))
        rows = page.rows
        del page
        for start in range(0, len(rows), CHUNK_ROWS):
            try:
                chunk = decoder.records(rows[start : start + CHUNK_ROWS])
            except ValueError as exc:
                raise DomoApiError(
                    f"{self.target}: unreadable value in a query row: {exc}"
                ) from exc
            yield chunk

    def _columns_of(self, page: QueryPage) -> list[Column]:
        unknown = [name for name in page.columns if name not in self._by_name]
        if unknown:
            raise DomoApiError(
                f"{self.target}: the query answer has columns {unknown} that the DataSet schema "
                "does not list; the schema changed during the run; run again"
            )
        return [self._by_name[name] for name in page.columns]

    def _query_page(self, text: str) -> QueryPage:
        self.queries += 1
        self.logger.debug("Query on %s: %s", self.target, text)
        return self.client.query_page(self.target, text)

    def _query(self, text: str) -> QueryResult:
        self.queries += 1
        self.logger.debug("Query on %s: %s", self.target, text)
        return self.client.query(self.target, text)


def _pack(entries: Iterator[BatchCount], page_size: int) -> Iterator[list[BatchCount]]:
    """Group consecutive batches into pages of at most `page_size` rows; a larger batch alone."""
    group: list[BatchCount] = []
    total = 0
    for entry in entries:
        if entry.rows > page_size or total + entry.rows > page_size:
            if group:
                yield group
            group, total = [], 0
        if entry.rows > page_size:
            yield [entry]
            continue
        group.append(entry)
        total += entry.rows
    if group:
        yield group


def _plan_batch(value: Any, target: Target) -> Number:
    number = batch_number(value)
    if number is None:
        raise DomoApiError(f"{target}: the batch plan listed a null {BATCH_ID}")
    return number


def _count(result: QueryResult) -> int:
    if not result.rows or not result.rows[0]:
        return 0
    return int(result.rows[0][0] or 0)
