"""A small DataSet of every Domo type with awkward values: quotes, line breaks, nulls, big ints."""

from __future__ import annotations

from typing import Any

from sandbox.domo.columns import parse_columns
from sandbox.domo.models import DataSet, DomoBackend

COLUMNS = [
    ("Name", "STRING"),
    ("Count", "LONG"),
    ("Ratio", "DOUBLE"),
    ("Amount", "DECIMAL"),
    ("Day", "DATE"),
    ("At", "DATETIME"),
]
ROWS: list[list[Any]] = [
    ['Smith, "Jr."', 1, 0.1, "12.30", "2024-01-02", "2024-01-02T03:04:05"],
    ["two\r\nlines", -2, 3.141592653589793, "0.001", None, None],
    ["", None, None, None, "2024-12-31", "2024-12-31T23:59:59"],
    [None, 9007199254740993, 0.30000000000000004, "-7", None, None],
    ["-minus", 0, 1e-07, "5", None, None],
]


def mixed_dataset(name: str, dataset_id: str) -> DataSet:
    """A fresh backend's DataSet holding `ROWS` in one load."""
    ds = DomoBackend().create_dataset(name, parse_columns(COLUMNS), dataset_id=dataset_id)
    ds.load(ROWS, mode="append", last_run="2024-05-05T00:00:00")
    return ds
