"""DataSet metadata: columns and types from `GET /v1/datasets/{id}`, and stream naming."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tap_domo.client import DomoClient, Target
from tap_domo.errors import DomoApiError
from tap_domo.settings import DataSetRef
from tap_domo.types import BATCH_ID, NUMERIC_TYPES, DomoType, domo_type


@dataclass(frozen=True)
class Column:
    """One DataSet column.

    Attributes:
        name: the name, exactly as Domo has it.
        kind: the Domo type.
    """

    name: str
    kind: DomoType


@dataclass(frozen=True)
class DataSetInfo:
    """What discovery learned about one DataSet.

    Attributes:
        id: the GUID.
        name: the DataSet's display name.
        columns: its columns, in schema order.
        pdp_enabled: whether PDP policies may filter the rows we get.
        rows: the row count Domo reported.
    """

    id: str
    name: str
    columns: tuple[Column, ...]
    pdp_enabled: bool
    rows: int | None

    @property
    def has_batch_id(self) -> bool:
        """Whether the DataSet has a numeric `_BATCH_ID_` (so it can be read incrementally)."""
        return any(col.name == BATCH_ID and col.kind in NUMERIC_TYPES for col in self.columns)


def describe(client: DomoClient, ref: DataSetRef) -> DataSetInfo:
    """Read a DataSet's metadata.

    Args:
        client: the Domo client.
        ref: the configured DataSet.

    Returns:
        Its metadata.
    """
    target = Target(ref.id, ref.stream_name)
    return parse_dataset(client.dataset(target), target)


def parse_dataset(body: dict[str, Any], target: Target) -> DataSetInfo:
    """Read the fields the tap needs from a DataSet object.

    Args:
        body: the JSON object.
        target: the DataSet (for messages).

    Returns:
        Its metadata.

    Raises:
        DomoApiError: when the schema is missing or names a column twice.
    """
    raw_columns = (body.get("schema") or {}).get("columns")
    if not isinstance(raw_columns, list):
        raise DomoApiError(f"{target} has no schema in Domo's answer; check the DataSet in Domo")
    columns = tuple(
        Column(str(col.get("name")), domo_type(str(col.get("type") or "STRING")))
        for col in raw_columns
    )
    names = [col.name for col in columns]
    if len(set(names)) != len(names):
        raise DomoApiError(f"{target} names a column twice in its schema; fix the DataSet in Domo")
    rows = body.get("rows")
    return DataSetInfo(
        id=target.dataset_id,
        name=str(body.get("name") or ""),
        columns=columns,
        pdp_enabled=bool(body.get("pdpEnabled")),
        rows=rows if isinstance(rows, int) else None,
    )


def snake_case(name: str) -> str:
    """A DataSet name as a stream name: ASCII snake_case, not starting with a digit.

    Args:
        name: the DataSet's display name.

    Returns:
        e.g. ``"Sales (EU) 2024"`` -> ``"sales_eu_2024"``; empty when nothing usable remains.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", ascii_name)
    snake = re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").lower()
    if snake and snake[0].isdigit():
        snake = f"dataset_{snake}"
    return snake


def stream_names(pairs: Iterable[tuple[DataSetRef, DataSetInfo]]) -> list[str]:
    """Name each stream: the configured `stream_name`, else the snake_cased DataSet name.

    Derived names are made unique with a numeric suffix; configured names win and must be unique.

    Args:
        pairs: configured entries and their metadata, in config order.

    Returns:
        One name per pair.
    """
    items = list(pairs)
    taken = {ref.stream_name for ref, _ in items if ref.stream_name}
    names: list[str] = []
    for ref, info in items:
        if ref.stream_name:
            names.append(ref.stream_name)
            continue
        base = snake_case(info.name) or f"dataset_{info.id[:8].lower()}"
        name, suffix = base, 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name)
        names.append(name)
    return names
