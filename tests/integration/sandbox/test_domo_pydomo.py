"""Fidelity: the official Domo SDK (pydomo 0.3.0.16) works unchanged against the emulator.

pydomo takes `api_host` and `use_https=False`, so it is pointed at http://127.0.0.1:<port>
with no shim.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlparse

import pandas as pd
import pytest
from pydomo import Domo
from sandbox.domo.client import DomoControl
from sandbox.domo.seed import DEMO_DATASET_ID, seed_demo

COLUMNS = [("Email", "STRING"), ("Tickets", "LONG"), ("Amount", "DECIMAL"), ("Day", "DATE")]


def sdk(domo: DomoControl) -> Domo:
    host = urlparse(domo.url).netloc
    return Domo(domo.DEFAULT_CLIENT_ID, domo.DEFAULT_CLIENT_SECRET, api_host=host, use_https=False)


def test_pydomo_lists_gets_queries_and_exports(domo: DomoControl) -> None:
    rows = [["a@x.com", 1, Decimal("10.50"), "2024-06-12"], ['b, "B"', None, "2.25", None]]
    ds = domo.create_dataset("SDK Check", COLUMNS, rows, last_run="2024-05-01T00:00:00")
    client = sdk(domo)
    assert domo.tokens_issued() == 1  # pydomo read `exp` from the JWT-shaped token: no re-auth

    listed = list(client.datasets.list())
    assert [d["id"] for d in listed] == [ds]
    frame = client.ds_list()
    assert list(frame["name"]) == ["SDK Check"]

    meta = client.ds_meta(ds)
    assert [c["name"] for c in meta["schema"]["columns"]] == [
        "Email", "Tickets", "Amount", "Day", "_BATCH_ID_", "_BATCH_LAST_RUN_",
    ]  # fmt: skip

    result = client.ds_query(ds, "SELECT * FROM table WHERE `_BATCH_ID_` = 1 ORDER BY Email")
    assert list(result.columns) == [c["name"] for c in meta["schema"]["columns"]]
    assert result["Email"].tolist() == ["a@x.com", 'b, "B"']
    assert result["Amount"].tolist() == [10.5, 2.25]
    raw = client.datasets.query(ds, "SELECT COUNT(*) AS n FROM table")
    assert raw["rows"] == [[2]]
    assert raw["metadata"][0]["type"] == "LONG"

    exported = client.ds_get(ds)
    assert exported["Email"].tolist() == ["a@x.com", 'b, "B"']
    assert exported["Tickets"].tolist()[0] == 1
    assert pd.isna(exported["Tickets"].tolist()[1])
    assert exported["Day"].tolist()[0] == pd.Timestamp("2024-06-12")
    text = client.datasets.data_export(ds, include_csv_header=True)
    assert text.splitlines()[1] == "a@x.com,1,10.50,2024-06-12,1,2024-05-01T00:00:00"
    assert domo.tokens_issued() == 1


def test_pydomo_errors_surface_the_domo_body(domo: DomoControl) -> None:
    theirs = domo.create_dataset("Theirs", COLUMNS, owner_id=2)
    client = sdk(domo)
    with pytest.raises(Exception, match=r"Infrastructure problem \(403\): Access is denied"):
        client.ds_meta(theirs)
    with pytest.raises(Exception, match=r"Cannot deserialize instance of java\.lang\.String"):
        # pydomo's docstring suggests passing {"sql": ...}; the real API refuses that (#62).
        client.ds_query(theirs, {"sql": "SELECT * FROM table"})
    with pytest.raises(Exception, match=r"Error retrieving a Domo API Access Token"):
        Domo("sandbox-client", "wrong", api_host=urlparse(domo.url).netloc, use_https=False)


def test_pydomo_reads_the_demo_dataset(domo: DomoControl) -> None:
    seed_demo(domo, loads=2, rows_per_load=40)
    frame = sdk(domo).ds_get(DEMO_DATASET_ID)
    assert len(frame) == 80
    assert sorted(frame["_BATCH_ID_"].unique().tolist()) == [1.0, 2.0]
