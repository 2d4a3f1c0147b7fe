"""tap-domo against the Domo emulator: both read methods, paging, state rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

EXPECTED_SALES = [
    {
        "Description": 'Maintenance, "quoted"',
        "% of Inventory Value": Decimal("0.0035"),
        "Cost": 35000,
        "Ratio": Decimal("0.0035"),
        "Ship Date": "2019-03-19",
        "Updated At": "2019-03-19T18:49:02Z",
        "prénom ☃": "Zoë",
        "_BATCH_ID_": 1,
    },
    {
        "Description": "Labor\nmultiline",
        "% of Inventory Value": Decimal("12345678901234567890.123456789012345678"),
        "Cost": -9223372036854775808,
        "Ratio": Decimal("1E-300"),
        "Ship Date": "0001-01-01",
        "Updated At": "2019-03-19T18:49:02Z",
        "prénom ☃": "-minus",
        "_BATCH_ID_": 1,
    },
    {
        "Description": None,
        "% of Inventory Value": None,
        "Cost": None,
        "Ratio": None,
        "Ship Date": None,
        "Updated At": None,
        "prénom ☃": None,
        "_BATCH_ID_": 1,
    },
    {
        "Description": "Parts",
        "% of Inventory Value": Decimal("-0.10"),
        "Cost": 9223372036854775807,
        "Ratio": Decimal("-25000000000.0"),
        "Ship Date": "9999-12-31",
        "Updated At": "9999-12-31T23:59:59Z",
        "prénom ☃": "=formula",
        "_BATCH_ID_": 2,
    },
    {
        "Description": "Tools",
        "% of Inventory Value": 1,
        "Cost": 0,
        "Ratio": Decimal("0.0"),
        "Ship Date": "2024-02-29",
        "Updated At": "2024-02-29T00:00:00Z",
        "prénom ☃": "@at",
        "_BATCH_ID_": 2,
    },
]


def _without_last_run(records):
    return [{k: v for k, v in r.items() if k != "_BATCH_LAST_RUN_"} for r in records]


def _state(stream, value):
    return {
        "bookmarks": {stream: {"replication_key": "_BATCH_ID_", "replication_key_value": value}}
    }


def _numbers_equal(records):
    """Compare numerically (0.0 == 0 and -2.5E+10 == -25000000000.0) but keep exact digits."""
    return [
        {
            k: (Decimal(v) if isinstance(v, int | Decimal) and not isinstance(v, bool) else v)
            for k, v in r.items()
        }
        for r in records
    ]


@pytest.mark.parametrize("method", ["query", "export"])
def test_reads_every_type_exactly(domo, run_tap, h, method):
    guid, _ = h.seed_sales(domo)
    run = run_tap(h.base_config(domo, guid, read_method=method))
    assert run.error is None
    records = _without_last_run(run.records("sales_feed_eu"))
    assert _numbers_equal(records) == _numbers_equal(EXPECTED_SALES)
    # DECIMAL digits survive exactly, not through float.
    assert str(records[1]["% of Inventory Value"]) == "12345678901234567890.123456789012345678"
    assert str(records[3]["% of Inventory Value"]) == "-0.10"
    assert all(r["_BATCH_LAST_RUN_"].endswith("Z") for r in run.records())
    assert run.last_state == _state("sales_feed_eu", 2)
    schema = next(m for m in run.messages if m["type"] == "SCHEMA")
    assert schema["key_properties"] == []
    assert schema["bookmark_properties"] == ["_BATCH_ID_"]
    assert list(schema["schema"]["properties"])[:7] == [
        c for c, _ in h.load_seed("sales")["columns"]
    ]


def test_auto_uses_export_first_then_query(domo, run_tap, h):
    guid, _ = h.seed_sales(domo)
    config = h.base_config(domo, guid)
    first = run_tap(config)
    assert first.tap.streams["sales_feed_eu"].read_method_used == "export"
    assert len(domo.requests(r"/v1/datasets/[^/]+/data")) == 1
    third = domo.append_load(
        guid, [["New", "2.5", 1, 1.0, "2024-01-01", "2024-01-01 10:00:00", ""]]
    )
    second = run_tap(config, state=first.last_state)
    assert second.tap.streams["sales_feed_eu"].read_method_used == "query"
    assert _without_last_run(second.records()) == [
        {
            "Description": "New",
            "% of Inventory Value": Decimal("2.5"),
            "Cost": 1,
            "Ratio": 1,
            "Ship Date": "2024-01-01",
            "Updated At": "2024-01-01T10:00:00Z",
            "prénom ☃": "",
            "_BATCH_ID_": third,
        }
    ]
    assert second.last_state == _state("sales_feed_eu", 3)
    assert len(domo.requests(r"/v1/datasets/[^/]+/data")) == 1


@pytest.mark.parametrize("method", ["query", "export"])
def test_second_run_reads_only_the_new_load(domo, run_tap, h, method):
    guid = domo.create_dataset("Events", [("n", "LONG")], [[1], [2]])
    config = h.base_config(domo, guid, read_method=method)
    first = run_tap(config)
    assert [r["n"] for r in first.records()] == [1, 2]
    assert first.last_state == _state("events", 1)
    batch = domo.append_load(guid, [[3], [4], [5]])
    second = run_tap(config, state=first.last_state)
    assert [(r["n"], r["_BATCH_ID_"]) for r in second.records()] == [(3, 2), (4, 2), (5, 2)]
    assert batch == 2
    assert second.last_state == _state("events", 2)
    third = run_tap(config, state=second.last_state)
    assert third.records() == []
    assert third.last_state == _state("events", 2)


def test_several_datasets_and_full_table(domo, run_tap, h):
    with_batches = domo.create_dataset("Orders", [("id", "LONG")], [[1], [2]])
    plain = domo.create_dataset(
        "Plain List", [("name", "STRING")], [["a"], ["b"]], batch_columns=False
    )
    config = h.base_config(domo, with_batches, plain)
    config["datasets"][1]["stream_name"] = "plain"
    first = run_tap(config)
    assert first.error is None
    assert [r["id"] for r in first.records("orders")] == [1, 2]
    assert first.records("plain") == [{"name": "a"}, {"name": "b"}]
    assert first.last_state == {
        "bookmarks": {
            "orders": {"replication_key": "_BATCH_ID_", "replication_key_value": 1},
            "plain": {},
        }
    }
    domo.append_load(plain, [["c"]])
    second = run_tap(dict(config, read_method="query"), state=first.last_state)
    assert second.records("plain") == [{"name": "a"}, {"name": "b"}, {"name": "c"}]
    assert second.records("orders") == []


def test_many_pages_and_a_batch_larger_than_a_page(domo, run_tap, h):
    guid = domo.create_dataset(
        "Big", [("n", "LONG"), ("tag", "STRING")], [[i, "a"] for i in range(7)]
    )
    for load in range(5):
        domo.append_load(guid, [[100 + load, "b"], [200 + load, "b"]])
    domo.append_load(guid, [[300, "c"], [300, "c"], [301, "c"]])
    run = run_tap(h.base_config(domo, guid, read_method="query", page_size=3))
    assert run.error is None
    got = [(r["n"], r["_BATCH_ID_"]) for r in run.records()]
    expected = (
        [(i, 1) for i in range(7)]
        + [(n, b + 2) for b in range(5) for n in (100 + b, 200 + b)]
        + [(300, 7), (300, 7), (301, 7)]
    )
    assert got == expected
    queries = [r for r in domo.requests("/v1/datasets/query/execute/.*")]
    # MAX, plan, batch 1 in 3 OFFSET pages, batches 2-6 one page each (2 + 2 > 3), batch 7.
    assert len(queries) == 1 + 1 + 3 + 5 + 1
    h.assert_states_follow_whole_batches(run, "big", {1: 7, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 3})
    assert run.last_state == _state("big", 7)


def test_start_batch_id_applies_to_first_run_only(domo, run_tap, h):
    guid = domo.create_dataset("Events", [("n", "LONG")], [[1]])
    domo.append_load(guid, [[2]])
    domo.append_load(guid, [[3]])
    config = h.base_config(domo, guid, start_batch_id=1)
    first = run_tap(config)
    assert first.tap.streams["events"].read_method_used == "query"
    assert [r["n"] for r in first.records()] == [2, 3]
    second = run_tap(config, state=_state("events", 2))
    assert [r["n"] for r in second.records()] == [3]


def test_failure_mid_run_resends_the_cut_batch_whole(domo, run_tap, h):
    guid = domo.create_dataset("Events", [("n", "LONG")], [[1], [2]])
    domo.append_load(guid, [[3], [4], [5]])
    domo.append_load(guid, [[6]])
    config = h.base_config(domo, guid, read_method="query", page_size=2)
    # max, plan, page of batch 1, then batch 2's second page fails for good.
    domo.add_fault("/v1/datasets/query/execute/.*", action="status", status=500, skip=4, count=-1)
    broken = run_tap(config)
    assert broken.error is not None
    assert [r["n"] for r in broken.records()] == [1, 2, 3, 4]
    assert broken.last_state == {
        "bookmarks": {
            "events": {
                "starting_replication_value": None,
                "replication_key": "_BATCH_ID_",
                "replication_key_value": 1,
            }
        }
    }
    h.assert_states_follow_whole_batches(broken, "events", {1: 2, 2: 3, 3: 1})
    domo.clear_faults()
    resumed = run_tap(config, state=broken.last_state)
    assert [r["n"] for r in resumed.records()] == [3, 4, 5, 6]
    assert resumed.last_state == _state("events", 3)


def test_load_landing_mid_run_waits_for_next_run(domo, run_tap, h, monkeypatch):
    guid = domo.create_dataset("Events", [("n", "LONG")], [[1]])
    config = h.base_config(domo, guid, read_method="export")
    from tap_domo.query import QueryReader

    original = QueryReader.max_batch

    def max_then_load(self):
        value = original(self)
        domo.append_load(guid, [[2]])
        return value

    monkeypatch.setattr(QueryReader, "max_batch", max_then_load)
    run = run_tap(config)
    assert [r["n"] for r in run.records()] == [1]
    assert run.last_state == _state("events", 1)
    monkeypatch.setattr(QueryReader, "max_batch", original)
    nxt = run_tap(config, state=run.last_state)
    assert [r["n"] for r in nxt.records()] == [2]


def test_csv_null_styles_and_quoting(domo, run_tap, h):
    guid = domo.create_dataset(
        "T", [("s", "STRING"), ("n", "LONG")], [["", None], [None, 1], ["x,y", 2]]
    )
    domo.settings(csv_null="\\N", csv_quoting="all", batch_id_float=True, datetime_separator=" ")
    run = run_tap(h.base_config(domo, guid, read_method="export", csv_empty_string_is_null=False))
    assert [(r["s"], r["n"], r["_BATCH_ID_"]) for r in run.records()] == [
        ("", None, 1),
        (None, 1, 1),
        ("x,y", 2, 1),
    ]
    assert all(r["_BATCH_LAST_RUN_"][10] == "T" for r in run.records())
    assert run.last_state == _state("t", 1)


def test_formula_escape_not_requested(domo, run_tap, h):
    guid = domo.create_dataset("T", [("s", "STRING")], [["-"], ["=1+1"]])
    domo.settings(csv_formula_escape=True)
    run = run_tap(h.base_config(domo, guid, read_method="export"))
    assert [r["s"] for r in run.records()] == ["-", "=1+1"]
    assert (
        "disableFormulaInterpretation=false"
        in domo.requests(r"/v1/datasets/[^/]+/data")[0]["query"]
    )
