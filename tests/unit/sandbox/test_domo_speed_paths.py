"""Domo emulator: the stored CSV and JSON renderings stay equal to rendering rows afresh."""

from __future__ import annotations

import orjson
import pytest
from sandbox.domo.columns import parse_columns, quote_identifier
from sandbox.domo.errors import DomoApiError
from sandbox.domo.export import CsvOptions, ExportInterrupted, line_sql, stream_csv
from sandbox.domo.models import DataSet, DomoBackend
from sandbox.domo.sql import QueryOptions, _plain_tail, execute, execute_json, rewrite_table

from tests.unit.sandbox.mixed_data import COLUMNS, ROWS, mixed_dataset

DEFAULT = QueryOptions(
    row_cap=1000, over_cap_error=False, batch_id_float=False, datetime_separator="T"
)
OTHER = QueryOptions(
    row_cap=1000, over_cap_error=False, batch_id_float=True, datetime_separator=" "
)
ALL_CSV = [
    CsvOptions(),
    CsvOptions(null="\\N", quote_all=True),
    CsvOptions(formula_escape=True, batch_id_float=True, datetime_separator=" "),
]


@pytest.fixture
def dataset() -> DataSet:
    return mixed_dataset("Speed", "s")


def export(ds: DataSet, options: CsvOptions) -> bytes:
    return b"".join(stream_csv(ds.store, options, False))


def fresh_csv(ds: DataSet, options: CsvOptions) -> bytes:
    """The CSV built straight from SQLite, bypassing every stored rendering."""
    store = ds.store
    with store.lock:
        lines = store.conn.execute(
            f"SELECT {line_sql(store.columns, options)} FROM {store.table} ORDER BY rowid"
        ).fetchall()
    return "".join(f"{line}\n" for (line,) in lines).encode()


def load(ds: DataSet, mode: str, *names: str) -> None:
    ds.load([[name, 1, 2.5, "1.5", None, None] for name in names], mode=mode)


# ---- the CSV export -----------------------------------------------------------------------------
@pytest.mark.parametrize("options", ALL_CSV)
def test_export_matches_a_fresh_rendering_after_append_and_replace(
    dataset: DataSet, options: CsvOptions
) -> None:
    assert export(dataset, options) == fresh_csv(dataset, options)
    load(dataset, "append", "appended")
    assert export(dataset, options) == fresh_csv(dataset, options)
    assert b"appended" in export(dataset, options)
    load(dataset, "replace", "replaced")
    assert export(dataset, options) == fresh_csv(dataset, options)
    assert b"Smith" not in export(dataset, options)
    load(dataset, "continue", "continued")
    assert export(dataset, options).count(b"\n") == 2


def test_default_csv_is_kept_current_by_loads(dataset: DataSet) -> None:
    key = ("csv", CsvOptions())
    assert len(dataset.store.encodings[key].rows) == len(ROWS)
    load(dataset, "append", "x", "y")
    assert len(dataset.store.encodings[key].rows) == len(ROWS) + 2
    load(dataset, "replace", "z")
    assert len(dataset.store.encodings[key].rows) == 1


def test_settings_changed_between_exports_give_each_their_own_csv(dataset: DataSet) -> None:
    first, second = ALL_CSV[0], ALL_CSV[1]
    before = export(dataset, first)
    changed = export(dataset, second)
    assert changed != before
    load(dataset, "append", "later")
    # Options used once stay current too, and switching back serves the first ones again.
    assert export(dataset, second) == fresh_csv(dataset, second)
    assert export(dataset, first) == fresh_csv(dataset, first)


def test_export_snapshot_ignores_appends_and_other_options_mid_stream(dataset: DataSet) -> None:
    expected = fresh_csv(dataset, ALL_CSV[1])
    stream = stream_csv(dataset.store, ALL_CSV[1], False)
    load(dataset, "append", "late")
    assert export(dataset, ALL_CSV[2]) == fresh_csv(dataset, ALL_CSV[2])
    assert b"".join(stream) == expected


def test_a_replace_cuts_even_an_export_of_an_empty_dataset() -> None:
    ds = DomoBackend().create_dataset("Empty", parse_columns(COLUMNS), dataset_id="e")
    stream = stream_csv(ds.store, CsvOptions(), True)
    load(ds, "replace", "new")
    with pytest.raises(ExportInterrupted):
        b"".join(stream)


def test_a_replace_mid_stream_cuts_a_long_export() -> None:
    ds = DomoBackend().create_dataset("Big", parse_columns([("v", "STRING")]), dataset_id="b")
    ds.load([[f"value-{i:06d}"] for i in range(20_000)], mode="append")
    stream = stream_csv(ds.store, CsvOptions(), False)
    first = next(stream)
    ds.load([["only"]], mode="replace")
    with pytest.raises(ExportInterrupted):
        next(stream)
    assert first.startswith(b"value-000000,")


# ---- the query API's row reads ------------------------------------------------------------------
PLAIN = [
    "SELECT * FROM table",
    "select * from `anything` where `_BATCH_ID_` > 1 and `_BATCH_ID_` <= 3 "
    "order by `_BATCH_ID_` asc",
    'SELECT * FROM t WHERE "Name" IS NULL OR Count > 0 ORDER BY Ratio DESC, Name LIMIT 3 OFFSET 1',
    "SELECT * FROM t ORDER BY Amount, Name, Count, Ratio, Day, At, `_BATCH_ID_`",
    "SELECT * FROM t WHERE `Day` = '2024-12-31';",
]
GENERAL = [
    "SELECT * FROM t ORDER BY 2 DESC",
    "SELECT Name, Count FROM t",
    "SELECT * FROM t WHERE Count IN (SELECT Count FROM t)",
    "SELECT * FROM t GROUP BY Name",
    "SELECT * FROM t -- comment",
    "SELECT * FROM t WHERE rowid > 2",
    "SELECT DISTINCT * FROM t",
]


def loaded(ds: DataSet) -> DataSet:
    load(ds, "append", "second")
    load(ds, "append", "third", "fourth")
    return ds


@pytest.mark.parametrize("sql", PLAIN + GENERAL)
@pytest.mark.parametrize("options", [DEFAULT, OTHER], ids=["default", "other"])
def test_query_json_equals_the_general_path(
    dataset: DataSet, sql: str, options: QueryOptions
) -> None:
    ds = loaded(dataset)
    assert execute_json(ds.store, ds.id, sql, options) == orjson.dumps(
        execute(ds.store, ds.id, sql, options)
    )


def test_query_json_follows_append_and_replace(dataset: DataSet) -> None:
    sql = PLAIN[0]
    for change in ("append", "replace", "continue"):
        load(dataset, change, change)
        expected = orjson.dumps(execute(dataset.store, dataset.id, sql, DEFAULT))
        assert execute_json(dataset.store, dataset.id, sql, DEFAULT) == expected
    assert orjson.loads(execute_json(dataset.store, dataset.id, sql, DEFAULT))["numRows"] == 2


def test_query_json_keeps_the_row_cap(dataset: DataSet) -> None:
    capped = QueryOptions(
        row_cap=2, over_cap_error=False, batch_id_float=False, datetime_separator="T"
    )
    body = orjson.loads(execute_json(dataset.store, dataset.id, PLAIN[0], capped))
    assert body["numRows"] == 2
    strict = QueryOptions(
        row_cap=2, over_cap_error=True, batch_id_float=False, datetime_separator="T"
    )
    with pytest.raises(DomoApiError):
        execute_json(dataset.store, dataset.id, PLAIN[0], strict)


def test_query_json_reports_sql_errors_like_the_general_path(dataset: DataSet) -> None:
    with pytest.raises(DomoApiError) as fast:
        execute_json(dataset.store, dataset.id, "SELECT * FROM t WHERE nope = 1", DEFAULT)
    with pytest.raises(DomoApiError) as general:
        execute(dataset.store, dataset.id, "SELECT * FROM t WHERE nope = 1", DEFAULT)
    assert fast.value.message == general.value.message


def test_only_plain_row_reads_take_the_stored_json(dataset: DataSet) -> None:
    store = dataset.store
    table = quote_identifier(store.table)
    assert all(_plain_tail(store, rewrite_table(sql, table)) is not None for sql in PLAIN)
    assert all(_plain_tail(store, rewrite_table(sql, table)) is None for sql in GENERAL)
