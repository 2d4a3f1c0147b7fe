from __future__ import annotations

import logging
from decimal import Decimal

import msgspec
import pytest
from tap_domo import query as query_module
from tap_domo.client import QueryPage, QueryResult, Target
from tap_domo.datasets import Column
from tap_domo.errors import IncompleteReadError
from tap_domo.query import BatchCount, QueryReader, _pack
from tap_domo.types import DomoType

COLUMNS = (Column("v", DomoType.LONG), Column("_BATCH_ID_", DomoType.DOUBLE))


class FakeClient:
    """Answers the reader's SQL from a list of (v, batch) rows, recording every query."""

    def __init__(self, rows, drop_last=False):
        self.rows = rows
        self.sql: list[str] = []
        self.drop_last = drop_last

    def query(self, target, text):
        self.sql.append(text)
        cols = ["v", "_BATCH_ID_"]
        if text.startswith("SELECT MAX"):
            return QueryResult(["m"], [[Decimal(max(b for _, b in self.rows))]])
        if "GROUP BY" in text:
            counts = {}
            for _, b in self.rows:
                counts[b] = counts.get(b, 0) + 1
            return QueryResult(
                ["_BATCH_ID_", "n"], [[Decimal(b), n] for b, n in sorted(counts.items())]
            )
        if "OFFSET" in text:
            batch = int(text.split("= ")[1].split(" ")[0])
            limit = int(text.split("LIMIT ")[1].split(" ")[0])
            offset = int(text.split("OFFSET ")[1])
            rows = sorted([v, b] for v, b in self.rows if b == batch)[offset : offset + limit]
            return QueryResult(cols, rows)
        lower = int(text.split("> ")[1].split(" ")[0]) if "> " in text else -1
        upper = int(text.split("<= ")[1].split(" ")[0])
        rows = [[v, Decimal(b)] for v, b in self.rows if lower < b <= upper]
        if self.drop_last:
            rows = rows[:-1]
        return QueryResult(cols, rows)

    def query_page(self, target, text):
        """Like the real client: the same answer, each row left as its JSON text."""
        result = self.query(target, text)
        encoder = msgspec.json.Encoder(decimal_format="number")
        return QueryPage(result.columns, [msgspec.Raw(encoder.encode(row)) for row in result.rows])


def reader(client, page_size):
    return QueryReader(client, Target("g", "s"), COLUMNS, page_size, logging.getLogger("t"))


def test_pack_groups_whole_batches():
    entries = [
        BatchCount(1, 2),
        BatchCount(2, 2),
        BatchCount(3, 5),
        BatchCount(4, 1),
        BatchCount(5, 3),
    ]
    groups = [[e.batch for e in g] for g in _pack(iter(entries), 4)]
    assert groups == [[1, 2], [3], [4, 5]]


def test_pages_of_whole_batches_and_a_large_batch():
    rows = [(1, 1), (2, 1), (3, 2), (9, 3), (8, 3), (7, 3), (6, 3), (5, 3), (4, 4)]
    client = FakeClient(rows)
    got = list(reader(client, 3).incremental(None, 4))
    assert [(r["v"], r["_BATCH_ID_"]) for r in got] == [
        (1, 1),
        (2, 1),
        (3, 2),
        (5, 3),
        (6, 3),
        (7, 3),
        (8, 3),
        (9, 3),
        (4, 4),
    ]
    assert all(type(r["_BATCH_ID_"]) is int for r in got)
    assert client.sql == [
        "SELECT `_BATCH_ID_`, COUNT(*) AS `row_count` FROM table WHERE `_BATCH_ID_` <= 4 "
        "GROUP BY `_BATCH_ID_` ORDER BY `_BATCH_ID_` ASC LIMIT 100000",
        "SELECT * FROM table WHERE `_BATCH_ID_` <= 2 ORDER BY `_BATCH_ID_` ASC",
        "SELECT * FROM table WHERE `_BATCH_ID_` = 3 ORDER BY `v` ASC, `_BATCH_ID_` ASC "
        "LIMIT 3 OFFSET 0",
        "SELECT * FROM table WHERE `_BATCH_ID_` = 3 ORDER BY `v` ASC, `_BATCH_ID_` ASC "
        "LIMIT 3 OFFSET 3",
        "SELECT * FROM table WHERE `_BATCH_ID_` > 3 AND `_BATCH_ID_` <= 4 "
        "ORDER BY `_BATCH_ID_` ASC",
    ]


def test_plan_continues_past_its_limit():
    rows = [(n, n) for n in range(1, 6)]
    client = FakeClient(rows)
    qr = reader(client, 100)
    qr.plan_limit = 2

    def query(target, text, _inner=client.query):
        result = _inner(target, text)
        if "GROUP BY" in text:
            lower = int(text.split("> ")[1].split(" ")[0]) if "> " in text else 0
            result.rows = [r for r in result.rows if r[0] > lower][:2]
        return result

    client.query = query
    got = [r["v"] for r in qr.incremental(None, 5)]
    assert got == [1, 2, 3, 4, 5]


def test_count_mismatch_fails_before_yielding():
    client = FakeClient([(1, 1), (2, 1), (3, 2)], drop_last=True)
    with pytest.raises(IncompleteReadError) as info:
        list(reader(client, 10).incremental(None, 2))
    assert str(info.value) == (
        "DataSet g (stream 's'): Domo returned rows that do not match its own batch counts "
        "(1: 2 of 2, 2: 0 of 1); the DataSet probably changed during the run; run again (the "
        "bookmark names only batches read in full)"
    )


class ShiftingClient(FakeClient):
    """Answers a page with the right number of rows but other batches (the DataSet changed)."""

    def __init__(self, rows, page_rows):
        super().__init__(rows)
        self.page_rows = page_rows

    def query(self, target, text):
        result = super().query(target, text)
        if text.startswith("SELECT *"):
            result.rows = [[v, Decimal(b)] for v, b in self.page_rows]
        return result


def test_a_shifted_page_fails_before_a_row_of_the_next_batch():
    # Plan: batch 1 has 2 rows, batch 2 has 1; the page has one row of 1 and two of 2.
    client = ShiftingClient([(1, 1), (2, 1), (3, 2)], [(1, 1), (3, 2), (4, 2)])
    yielded: list[int] = []
    records = reader(client, 10).incremental(None, 2)
    with pytest.raises(IncompleteReadError, match=r"\(1: 1 of 2, 2: 2 of 1\)"):
        yielded.extend(record["v"] for record in records)
    # Batch 1 was never complete, so the stream never reached a point where it could bookmark it.
    assert yielded == [1]


def test_a_batch_outside_the_plan_fails_before_it_is_yielded():
    client = ShiftingClient([(1, 1), (2, 1), (3, 2)], [(1, 1), (2, 1), (9, 5)])
    yielded: list[int] = []
    records = reader(client, 10).incremental(None, 2)
    with pytest.raises(IncompleteReadError, match=r"\(1: 2 of 2, 2: 0 of 1\)"):
        yielded.extend(record["v"] for record in records)
    assert yielded == [1, 2]


def test_rows_out_of_batch_order_fail():
    client = ShiftingClient([(1, 1), (2, 1), (3, 2)], [(1, 1), (3, 2), (2, 1)])
    with pytest.raises(IncompleteReadError, match="out of _BATCH_ID_ order"):
        list(reader(client, 10).incremental(None, 2))


def test_a_large_batch_page_with_a_foreign_row_fails():
    rows = [(1, 1), (2, 1), (3, 1)]
    client = FakeClient(rows)

    def query(target, text, _inner=client.query):
        result = _inner(target, text)
        if "OFFSET 0" in text:
            result.rows[-1] = [9, 7]
        return result

    client.query = query
    with pytest.raises(IncompleteReadError, match="returned 0 rows for _BATCH_ID_ 1, rows 1-2"):
        list(reader(client, 2).incremental(None, 1))


def test_chunks_never_mix_batches_and_stay_small(monkeypatch):
    monkeypatch.setattr(query_module, "CHUNK_ROWS", 2)
    rows = [(v, b) for b, count in ((1, 3), (2, 1), (3, 4)) for v in range(10 * b, 10 * b + count)]
    client = FakeClient(rows)
    chunks = list(reader(client, 100).incremental_chunks(None, 3))
    assert [[r["v"] for r in chunk] for chunk in chunks] == [
        [10, 11],
        [12],
        [20],
        [30, 31],
        [32, 33],
    ]
    assert all(len({r["_BATCH_ID_"] for r in chunk}) == 1 for chunk in chunks)
