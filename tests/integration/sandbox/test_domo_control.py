"""Domo emulator control plane: seeding, loads, settings, generated DataSets, the demo."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from sandbox.domo import client as client_module
from sandbox.domo.client import DomoControl
from sandbox.domo.seed import DEMO_DATASET_ID, append_demo_load, bench_rows, seed_demo


def test_defaults_after_reset(domo: DomoControl) -> None:
    assert (DomoControl.DEFAULT_CLIENT_ID, DomoControl.DEFAULT_CLIENT_SECRET) == (
        "sandbox-client", "sandbox-secret",
    )  # fmt: skip
    assert DomoControl.DEFAULT_USER_ID == 1
    settings = domo.settings()
    assert settings["token_lifetime"] == 3599
    assert settings["query_row_cap"] == 1_000_000
    assert settings["csv_null"] == "empty"
    assert settings["batch_id_float"] is False


def test_bad_settings_and_rows_are_refused(domo: DomoControl) -> None:
    with pytest.raises(RuntimeError, match="csv_quoting must be one of"):
        domo.settings(csv_quoting="some")
    with pytest.raises(RuntimeError, match="row 1: LONG value 'many'"):
        domo.create_dataset("Bad", [("n", "LONG")], [["many"]])


def test_loads_replace_and_rows(domo: DomoControl) -> None:
    ds = domo.create_dataset("L", [("k", "STRING"), ("v", "DECIMAL")], [{"k": "a", "v": "1.10"}])
    assert domo.append_load(ds, [["b", Decimal("2.20")]], last_run="2024-01-01T00:00:00") == 2
    assert domo.replace_rows(ds, [["c", "3"]], last_run="2024-01-02T00:00:00") == 3
    assert domo.dataset_rows(ds) == [
        {"k": "c", "v": Decimal("3"), "_BATCH_ID_": 3, "_BATCH_LAST_RUN_": "2024-01-02T00:00:00"}
    ]


def test_big_loads_upload_in_chunks_as_one_batch(
    domo: DomoControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "UPLOAD_CHUNK_ROWS", 7)
    ds = domo.create_dataset("C", [("n", "LONG")], ([i] for i in range(20)))
    assert domo.append_load(ds, ([i] for i in range(20, 35))) == 2
    rows = domo.dataset_rows(ds)
    assert [r["n"] for r in rows] == list(range(35))
    assert {r["_BATCH_ID_"] for r in rows[:20]} == {1}
    assert {r["_BATCH_ID_"] for r in rows[20:]} == {2}
    assert len(domo.requests(r"/_sandbox/")) == 0  # control calls are not logged as API calls


def test_generate_dataset_matches_bench_rows(domo: DomoControl) -> None:
    ds = domo.generate_dataset("Bench", 25, loads=3, seed=5, dataset_id="bench-1")
    assert ds == "bench-1"
    rows = domo.dataset_rows(ds)
    expected = list(bench_rows(25, seed=5))
    assert [list(r.values())[:10] for r in rows] == expected
    assert [sum(1 for r in rows if r["_BATCH_ID_"] == b) for b in (1, 2, 3)] == [9, 8, 8]


def test_seed_demo_and_second_run(domo: DomoControl) -> None:
    ds = seed_demo(domo)
    assert ds == DEMO_DATASET_ID
    rows = domo.dataset_rows(ds)
    assert len(rows) == 3000
    by_batch = {b: [r for r in rows if r["_BATCH_ID_"] == b] for b in (1, 2, 3)}
    first_emails = {r["Email"] for r in by_batch[1]}
    updated = [r for r in by_batch[2] if r["Email"] in first_emails]
    assert len(updated) == 250
    assert len(by_batch[2]) == 1000
    assert all(isinstance(r["Amount"], Decimal) and r["Amount"].as_tuple().exponent == -2
               for r in rows if r["Amount"] is not None)  # fmt: skip
    batch = append_demo_load(domo, ds, rows=100)
    assert batch == 4
    assert len(domo.dataset_rows(ds)) == 3100


def test_seed_demo_is_deterministic(domo: DomoControl) -> None:
    seed_demo(domo, loads=2, rows_per_load=50)
    first = [(r["Email"], r["Amount"]) for r in domo.dataset_rows(DEMO_DATASET_ID)]
    domo.reset()
    seed_demo(domo, loads=2, rows_per_load=50)
    assert [(r["Email"], r["Amount"]) for r in domo.dataset_rows(DEMO_DATASET_ID)] == first


def test_unknown_control_dataset_is_404(domo: DomoControl) -> None:
    response = requests.get(f"{domo.url}/_sandbox/datasets/nope/rows", timeout=10)
    assert response.status_code == 404
    assert response.json() == {"error": "DataSet nope not found"}
