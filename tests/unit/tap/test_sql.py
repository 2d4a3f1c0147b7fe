from __future__ import annotations

from decimal import Decimal

import pytest
from tap_domo import sql
from tap_domo.errors import SettingsError, UnsupportedColumnError

GUID = "08a061e2-12a2-4646-b4bc-20beddb403e3"


def test_guid_accepted():
    assert sql.check_guid(GUID) == GUID
    assert sql.check_guid(GUID.upper()) == GUID.upper()


@pytest.mark.parametrize(
    "bad",
    [
        "abc",
        f"{GUID} ",
        f"{GUID}/../x",
        f"{GUID}' OR '1'='1",
        "08a061e2-12a2-4646-b4bc-20beddb403e",
        "08a061e2_12a2_4646_b4bc_20beddb403e3",
        None,
        42,
    ],
)
def test_guid_refused(bad):
    with pytest.raises(SettingsError) as info:
        sql.check_guid(bad)
    assert str(info.value) == (
        f'setting "datasets": {bad!r} is not a Domo DataSet id; an id is a GUID such as '
        '"08a061e2-12a2-4646-b4bc-20beddb403e3" (the part of the DataSet URL after '
        '/datasources/); fix the "id" of this entry'
    )


def test_identifiers_quoted():
    assert sql.quote_identifier("% of Inventory Value", "DataSet x") == "`% of Inventory Value`"
    assert sql.quote_identifier("prénom ünï", "DataSet x") == "`prénom ünï`"


@pytest.mark.parametrize("name", ["a`b", "`; DROP TABLE x; --`", "x`", "line\nbreak"])
def test_identifier_injection_refused(name):
    with pytest.raises(UnsupportedColumnError) as info:
        sql.quote_identifier(name, "DataSet 1 (stream 's')")
    assert str(info.value) == (
        f"DataSet 1 (stream 's') has a column named {name!r}, which contains a backtick or a "
        "control character and cannot be quoted safely in Domo SQL: rename the column in Domo, "
        'or set "read_method" to "export"'
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (410, "410"),
        (-3, "-3"),
        (Decimal("410.5"), "410.5"),
        (1.5, "1.5"),
        (Decimal("1E+3"), "1000"),
    ],
)
def test_number_literal(value, text):
    assert sql.number_literal(value) == text


@pytest.mark.parametrize("bad", ["1 OR 1=1", "410", True, None, float("nan"), Decimal("Infinity")])
def test_number_literal_refuses_non_numbers(bad):
    with pytest.raises(ValueError, match="number literal"):
        sql.number_literal(bad)


def test_plan_and_pages():
    assert sql.max_batch_sql() == "SELECT MAX(`_BATCH_ID_`) AS `max_batch` FROM table"
    assert sql.plan_sql(None, 7, 100) == (
        "SELECT `_BATCH_ID_`, COUNT(*) AS `row_count` FROM table WHERE `_BATCH_ID_` <= 7 "
        "GROUP BY `_BATCH_ID_` ORDER BY `_BATCH_ID_` ASC LIMIT 100"
    )
    assert sql.batches_sql(3, 7) == (
        "SELECT * FROM table WHERE `_BATCH_ID_` > 3 AND `_BATCH_ID_` <= 7 ORDER BY `_BATCH_ID_` ASC"
    )
    order = sql.order_by_all(["a b", "_BATCH_ID_"], "d")
    assert order == "`a b` ASC, `_BATCH_ID_` ASC"
    assert sql.batch_page_sql(5, order, 10, 20) == (
        "SELECT * FROM table WHERE `_BATCH_ID_` = 5 ORDER BY `a b` ASC, `_BATCH_ID_` ASC "
        "LIMIT 10 OFFSET 20"
    )
    assert sql.all_rows_sql(order, 10, 0) == (
        "SELECT * FROM table ORDER BY `a b` ASC, `_BATCH_ID_` ASC LIMIT 10 OFFSET 0"
    )


def test_bookmark_injection_refused():
    with pytest.raises(ValueError, match="number literal"):
        sql.plan_sql("0 OR 1=1", 7, 10)  # type: ignore[arg-type]
