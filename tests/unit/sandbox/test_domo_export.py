"""Domo emulator: CSV encoding of every type, quoting and null switches, without sockets."""

from __future__ import annotations

import csv
import io

import pytest
from sandbox.domo.columns import parse_columns
from sandbox.domo.export import CsvOptions, ExportInterrupted, stream_csv
from sandbox.domo.models import DataSet, DomoBackend

from tests.unit.sandbox.mixed_data import mixed_dataset


@pytest.fixture
def dataset() -> DataSet:
    return mixed_dataset("Export", "e")


def export(ds: DataSet, options: CsvOptions, header: bool = False) -> str:
    return b"".join(stream_csv(ds.store, options, header)).decode("utf-8")


def test_default_minimal_quoting_empty_nulls(dataset: DataSet) -> None:
    text = export(dataset, CsvOptions(), header=True)
    assert text == (
        "Name,Count,Ratio,Amount,Day,At,_BATCH_ID_,_BATCH_LAST_RUN_\n"
        '"Smith, ""Jr.""",1,0.1,12.30,2024-01-02,2024-01-02T03:04:05,1,2024-05-05T00:00:00\n'
        '"two\r\nlines",-2,3.141592653589793,0.001,,,1,2024-05-05T00:00:00\n'
        '"",,,,2024-12-31,2024-12-31T23:59:59,1,2024-05-05T00:00:00\n'
        ",9007199254740993,0.30000000000000004,-7,,,1,2024-05-05T00:00:00\n"
        "-minus,0,1.0e-07,5,,,1,2024-05-05T00:00:00\n"
    )


def test_parsed_back_with_the_csv_module(dataset: DataSet) -> None:
    rows = list(csv.reader(io.StringIO(export(dataset, CsvOptions()), newline="")))
    assert rows[0][0] == 'Smith, "Jr."'
    assert rows[1][0] == "two\r\nlines"
    assert float(rows[1][2]) == 3.141592653589793
    assert float(rows[3][2]) == 0.30000000000000004
    assert float(rows[4][2]) == 1e-07
    assert len(rows) == 5


def test_backslash_n_nulls_and_quote_all(dataset: DataSet) -> None:
    text = export(dataset, CsvOptions(null="\\N", quote_all=True), header=True)
    lines = text.split("\n")
    assert lines[0] == "Name,Count,Ratio,Amount,Day,At,_BATCH_ID_,_BATCH_LAST_RUN_"
    assert lines[1] == (
        '"Smith, ""Jr.""","1","0.1","12.30","2024-01-02","2024-01-02T03:04:05","1",'
        '"2024-05-05T00:00:00"'
    )
    assert '"","\\N' not in text
    assert '"",\\N,\\N,\\N,"2024-12-31"' in text
    assert '\\N,"9007199254740993"' in text


def test_backslash_n_minimal_quotes_a_literal_backslash_n(dataset: DataSet) -> None:
    dataset.load([["\\N", 1, 1.0, "1", None, None]], mode="append", last_run="2024-05-06T00:00:00")
    text = export(dataset, CsvOptions(null="\\N"))
    assert text.splitlines()[-1] == '"\\N",1,1,1,\\N,\\N,2,2024-05-06T00:00:00'


def test_formula_escape_and_switches(dataset: DataSet) -> None:
    options = CsvOptions(formula_escape=True, batch_id_float=True, datetime_separator=" ")
    lines = export(dataset, options).split("\n")
    assert lines[0].endswith(",1.0,2024-05-05 00:00:00")
    assert lines[0].split(",2024-01-02,")[1].startswith("2024-01-02 03:04:05")
    assert lines[-2].startswith("'-minus,")


def test_export_snapshots_appends_and_is_cut_by_replace(dataset: DataSet) -> None:
    stream = stream_csv(dataset.store, CsvOptions(), False)
    dataset.load([["late", 1, 1.0, "1", None, None]], mode="append")
    assert "late" not in b"".join(stream).decode()
    stream = stream_csv(dataset.store, CsvOptions(), False)
    dataset.load([["new", 1, 1.0, "1", None, None]], mode="replace")
    with pytest.raises(ExportInterrupted):
        b"".join(stream)


def test_large_export_comes_in_64k_writes() -> None:
    ds = DomoBackend().create_dataset("Big", parse_columns([("v", "STRING")]), dataset_id="b")
    ds.load([[f"value-{i:06d}"] for i in range(20_000)], mode="append")
    pieces = list(stream_csv(ds.store, CsvOptions(), False))
    assert len(pieces) > 3
    assert all(len(p) >= 64 * 1024 for p in pieces[:-1])
    assert sum(p.count(b"\n") for p in pieces) == 20_000
