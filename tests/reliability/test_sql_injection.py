"""Hostile column and DataSet names: the SQL sent to Domo stays well formed, or the run refuses.

The Domo emulator records every SQL text its query API receives (`DomoControl.executed_sql`).
The tap reads a DataSet whose column names hold quotes, spaces, SQL keywords, semicolons,
comment openers and unicode, through the query API with small pages (so the ORDER BY over every
column is used), and each statement must (a) run, and (b) tokenise into keywords, numbers and
backtick-quoted identifiers that are exactly the DataSet's columns, with no comment, semicolon,
string literal or stray text (`input_support.sql_problems`). The rows must arrive intact.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox.domo.client import DomoControl

from tests.reliability.input_support import (
    assert_one_line_error,
    run_tap,
    sql_problems,
    tap_config,
)

pytestmark = pytest.mark.e2e

HOSTILE_COLUMNS = [
    "Code",
    "First Name",
    "it's",
    'say "hi"',
    "select",
    "FROM",
    "x; DROP TABLE t",
    "a -- comment",
    "b /* c */",
    "1=1 OR",
    "Ünïcødé 名前 🎉",
    "%_\\",
]


def _rows(count: int) -> list[list[str]]:
    return [[f"v{i}-{j}'\";--" for j in range(len(HOSTILE_COLUMNS))] for i in range(count)]


def test_sql_helper_flags_injection() -> None:
    columns = ["a b"]
    assert sql_problems("SELECT * FROM table ORDER BY `a b` ASC LIMIT 2 OFFSET 0", columns) == []
    assert sql_problems("SELECT * FROM table; DROP TABLE t", columns) == [
        "other token ';'", "bare word 'DROP'", "bare word 'TABLE'", "bare word 't'",
    ]  # fmt: skip
    assert sql_problems("SELECT * FROM table -- x", columns) == [
        "other token '-'", "other token '-'", "bare word 'x'",
    ]  # fmt: skip
    assert sql_problems("SELECT `a` FROM table WHERE `a b` = 'x'", columns) == [
        "identifier '`a`' is not a column of the DataSet", "string token \"'x'\"",
    ]  # fmt: skip


@pytest.mark.parametrize("batch_columns", [True, False], ids=["incremental", "full-table"])
def test_hostile_column_names_make_well_formed_sql(
    domo: DomoControl, tmp_path: Path, batch_columns: bool
) -> None:
    columns = [(name, "STRING") for name in HOSTILE_COLUMNS]
    rows = _rows(5)
    guid = domo.create_dataset(
        "Robert'); DROP TABLE Students;-- 🎉", columns, rows, batch_columns=batch_columns
    )
    if batch_columns:
        domo.append_load(guid, _rows(3))
    config = tap_config(domo, [guid], read_method="query", page_size=2, start_batch_id=0)
    if not batch_columns:
        del config["start_batch_id"]
    result = run_tap(config)
    assert result.returncode == 0, result.describe()

    schema = next(m for m in result.messages if m["type"] == "SCHEMA")
    assert schema["stream"] == "robert_drop_table_students"
    records = [m["record"] for m in result.messages if m["type"] == "RECORD"]
    expected = rows + (_rows(3) if batch_columns else [])
    got = sorted([[r[name] for name in HOSTILE_COLUMNS] for r in records])
    assert got == sorted(expected)

    executed = domo.executed_sql()
    assert executed, "the query API was not used"
    names = HOSTILE_COLUMNS + (["_BATCH_ID_", "_BATCH_LAST_RUN_"] if batch_columns else [])
    assert any("`x; DROP TABLE t`" in e["sql"] for e in executed), "no ORDER BY every column"
    for entry in executed:
        assert entry["status"] == 200, entry
        assert sql_problems(entry["sql"], names) == [], entry["sql"]


@pytest.mark.parametrize("name", ["evil`name", "line\nbreak", "tab\there"])
def test_unquotable_column_is_refused_clearly(domo: DomoControl, name: str) -> None:
    guid = domo.create_dataset("Orders", [("Code", "STRING"), (name, "STRING")], [["a", "b"]])
    result = run_tap(tap_config(domo, [guid], read_method="query", start_batch_id=0))
    assert_one_line_error(
        result,
        "tap-domo",
        r"has a column named .*, which contains a backtick or a control character and cannot "
        r'be quoted safely in Domo SQL: rename the column in Domo, or set "read_method" to '
        r'"export"$',
    )
    for entry in domo.executed_sql():
        assert name not in entry["sql"], entry
        assert sql_problems(entry["sql"], ["_BATCH_ID_"]) == [], entry
    assert not [m for m in result.messages if m.get("type") == "RECORD"]


def test_unquotable_column_is_read_through_the_export(domo: DomoControl) -> None:
    guid = domo.create_dataset(
        "Orders", [("Code", "STRING"), ("evil`name", "STRING")], [["a", "b"]]
    )
    result = run_tap(tap_config(domo, [guid], read_method="export"))
    assert result.returncode == 0, result.describe()
    records = [m["record"] for m in result.messages if m["type"] == "RECORD"]
    assert [(r["Code"], r["evil`name"]) for r in records] == [("a", "b")]
    assert all("evil" not in entry["sql"] for entry in domo.executed_sql())


def test_hostile_stream_name_is_refused_before_any_request(domo: DomoControl) -> None:
    guid = domo.create_dataset("Orders", [("Code", "STRING")], [["a"]])
    config = tap_config(domo, [guid])
    config["datasets"][0]["stream_name"] = "orders`; DROP TABLE t; --"
    result = run_tap(config)
    assert_one_line_error(result, "tap-domo", r'^tap-domo: setting "datasets": stream_name ')
    assert domo.requests() == []


def test_executed_sql_log_records_outcomes(domo: DomoControl) -> None:
    """The emulator's control route: each SQL text with its status and Domo's message."""
    import requests

    guid = domo.create_dataset("Orders", [("Code", "STRING")], [["a"]])
    token = requests.post(
        f"{domo.url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "data"},
        auth=(DomoControl.DEFAULT_CLIENT_ID, DomoControl.DEFAULT_CLIENT_SECRET),
        timeout=10,
    ).json()["access_token"]
    for sql in ("SELECT COUNT(*) FROM table", "SELEKT nonsense"):
        requests.post(
            f"{domo.url}/v1/datasets/query/execute/{guid}",
            json={"sql": sql},
            headers={"Authorization": f"bearer {token}"},
            timeout=10,
        )
    executed = domo.executed_sql()
    assert [(e["dataset_id"], e["sql"], e["status"]) for e in executed] == [
        (guid, "SELECT COUNT(*) FROM table", 200),
        (guid, "SELEKT nonsense", 400),
    ]
    assert executed[0]["error"] is None
    assert executed[1]["error"].startswith("Error executing query: ")
    assert domo.issued_tokens() == [token]
    domo.reset()
    assert domo.executed_sql() == []
    assert domo.issued_tokens() == []
