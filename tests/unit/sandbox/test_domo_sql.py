"""Domo emulator: SQL rewriting and query execution, without sockets."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from sandbox.domo.columns import parse_columns
from sandbox.domo.errors import DomoApiError
from sandbox.domo.models import DataSet, DomoBackend
from sandbox.domo.sql import QueryOptions, execute, rewrite_table

OPTIONS = QueryOptions(
    row_cap=1000, over_cap_error=False, batch_id_float=False, datetime_separator="T"
)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM table", 'SELECT * FROM "t"'),
        ("select * from tbl where a = 1", 'select * from "t" where a = 1'),
        ("SELECT * FROM `My DataSet` LIMIT 5", 'SELECT * FROM "t" LIMIT 5'),
        ('SELECT * FROM "x" t', 'SELECT * FROM "t" t'),
        ("SELECT * FROM [a b]", 'SELECT * FROM "t"'),
        ("SELECT 'FROM table' FROM inventory_upset", "SELECT 'FROM table' FROM \"t\""),
        ("SELECT * FROM (SELECT * FROM table) s", 'SELECT * FROM (SELECT * FROM "t") s'),
        ("SELECT * FROM a JOIN b ON 1", 'SELECT * FROM "t" JOIN "t" ON 1'),
        ("SELECT * -- FROM x\nFROM y", 'SELECT * -- FROM x\nFROM "t"'),
        ("SELECT `from` FROM table", 'SELECT `from` FROM "t"'),
    ],
)
def test_rewrite_points_from_at_the_dataset_table(sql: str, expected: str) -> None:
    assert rewrite_table(sql, '"t"') == expected


@pytest.fixture
def dataset() -> DataSet:
    backend = DomoBackend()
    columns = parse_columns(
        [
            ("First Name", "STRING"),
            ("% of Value", "DOUBLE"),
            ("Count", "LONG"),
            ("Amount", "DECIMAL"),
            ("Day", "DATE"),
            ("At", "DATETIME"),
        ]
    )
    ds = backend.create_dataset("Inventory", columns, dataset_id="ds-1")
    ds.load(
        [
            ["Ann", 0.0035, 35000, "12.30", "2024-01-02", "2024-01-02T03:04:05"],
            ["Bob", 0.30000000000000004, 7, "99999999999999999999.99", None, None],
        ],
        mode="append",
        last_run="2019-03-19T18:49:02",
    )
    ds.load([["Cy", 2.0, None, "-0.5", "2024-02-03", "2024-02-03T00:00:00"]], mode="append",
            last_run="2019-03-20T00:00:00")  # fmt: skip
    return ds


def run(ds: DataSet, sql: str, options: QueryOptions = OPTIONS) -> dict[str, object]:
    # Round-trip through orjson exactly as the HTTP layer does, then parse DECIMALs exactly.
    return orjson.loads(orjson.dumps(execute(ds.store, ds.id, sql, options)))  # type: ignore[no-any-return]


def test_select_star_shape_types_and_values(dataset: DataSet) -> None:
    raw = orjson.dumps(execute(dataset.store, dataset.id, "SELECT * FROM table", OPTIONS))
    assert b"12.30," in raw
    assert b"99999999999999999999.99," in raw
    result = orjson.loads(raw)
    assert result["columns"] == [
        "First Name", "% of Value", "Count", "Amount", "Day", "At",
        "_BATCH_ID_", "_BATCH_LAST_RUN_",
    ]  # fmt: skip
    assert [m["type"] for m in result["metadata"]] == [
        "STRING", "DOUBLE", "LONG", "DECIMAL", "DATE", "DATETIME", "DOUBLE", "DATETIME",
    ]  # fmt: skip
    assert result["metadata"][0] == {
        "type": "STRING", "dataSourceId": "ds-1", "maxLength": -1, "minLength": -1,
        "periodIndex": 0, "aggregated": False,
    }  # fmt: skip
    assert result["rows"][0] == [
        "Ann", 0.0035, 35000, 12.3, "2024-01-02", "2024-01-02T03:04:05", 1, "2019-03-19T18:49:02",
    ]  # fmt: skip
    assert result["rows"][1][1] == 0.30000000000000004
    assert result["rows"][2][1] == 2
    assert isinstance(result["rows"][2][1], int)
    assert result["numRows"] == 3
    assert result["numColumns"] == 8
    assert result["fromcache"] is False


def test_backticks_where_order_limit_offset(dataset: DataSet) -> None:
    sql = (
        "SELECT `First Name`, `_BATCH_ID_` FROM `table` WHERE `_BATCH_ID_` > 0 "
        "ORDER BY `_BATCH_ID_`, `First Name` LIMIT 2 OFFSET 1"
    )
    assert run(dataset, sql)["rows"] == [["Bob", 1], ["Cy", 2]]


def test_decimal_compares_and_orders_by_value(dataset: DataSet) -> None:
    result = run(dataset, "SELECT `First Name` FROM t WHERE Amount > 10 ORDER BY Amount DESC")
    assert result["rows"] == [["Bob"], ["Ann"]]


def test_aggregates_are_typed(dataset: DataSet) -> None:
    sql = (
        "SELECT _BATCH_ID_, COUNT(*) AS n, MAX(Amount), SUM(`Count`), AVG(`Count`) "
        "FROM table GROUP BY _BATCH_ID_ ORDER BY _BATCH_ID_"
    )
    raw = orjson.dumps(execute(dataset.store, dataset.id, sql, OPTIONS))
    result = orjson.loads(raw)
    assert [m["type"] for m in result["metadata"]] == [
        "DOUBLE",
        "LONG",
        "DECIMAL",
        "LONG",
        "DOUBLE",
    ]
    assert [m["aggregated"] for m in result["metadata"]] == [False, False, True, True, True]
    assert result["rows"][0][:2] == [1, 2]
    assert b"99999999999999999999.99" in raw  # MAX over DECIMAL text is exact, not a string
    assert result["rows"][1] == [2, 1, -0.5, None, None]


def test_batch_id_float_and_datetime_separator(dataset: DataSet) -> None:
    options = QueryOptions(1000, False, batch_id_float=True, datetime_separator=" ")
    raw = orjson.dumps(
        execute(dataset.store, dataset.id, "SELECT `% of Value`, _BATCH_ID_, At FROM t", options)
    )
    assert b'[2.0,2.0,"2024-02-03 00:00:00"]' in raw
    assert b'[0.0035,1.0,"2024-01-02 03:04:05"]' in raw


def test_row_cap_truncates_or_errors(dataset: DataSet) -> None:
    capped = QueryOptions(2, False, False, "T")
    assert run(dataset, "SELECT `First Name` FROM t", capped)["rows"] == [["Ann"], ["Bob"]]
    with pytest.raises(DomoApiError) as caught:
        run(dataset, "SELECT * FROM t", QueryOptions(2, True, False, "T"))
    assert caught.value.status == 400
    assert caught.value.message == "Query result exceeds the maximum of 2 rows"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FORM table",
        "DELETE FROM table",
        "DROP TABLE table",
        "SELECT * FROM table; DELETE FROM table",
        "SELECT name FROM sqlite_master",
        "PRAGMA table_info(x)",
        "SELECT nope FROM table",
    ],
)
def test_invalid_or_writing_sql_is_a_400_and_changes_nothing(dataset: DataSet, sql: str) -> None:
    with pytest.raises(DomoApiError) as caught:
        run(dataset, sql)
    assert caught.value.status == 400
    assert caught.value.message.startswith("Error executing query: ")
    assert len(dataset.store.read_all()) == 3


def test_read_all_returns_exact_decimals(dataset: DataSet) -> None:
    rows = dataset.store.read_all()
    assert rows[1]["Amount"] == Decimal("99999999999999999999.99")
    assert rows[0]["_BATCH_ID_"] == 1
    assert rows[2]["_BATCH_ID_"] == 2
