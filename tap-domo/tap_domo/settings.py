"""Typed view of the tap's settings, with the cross-field rules the JSON Schema cannot express."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tap_domo.errors import SettingsError
from tap_domo.sql import check_guid
from tap_domo.urls import check_url

DEFAULT_API_URL = "https://api.domo.com"
DEFAULT_PAGE_SIZE = 100_000
DEFAULT_REQUEST_TIMEOUT = 300.0
#: The query API returns at most this many rows per query (domo-api.md §3.2).
QUERY_ROW_CAP = 1_000_000
READ_METHODS = ("auto", "query", "export")
_STREAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class DataSetRef:
    """One entry of the `datasets` setting.

    Attributes:
        id: the DataSet GUID.
        stream_name: the configured stream name, if any.
    """

    id: str
    stream_name: str | None


@dataclass(frozen=True)
class Settings:
    """The validated settings.

    Attributes:
        datasets: configured DataSets, in order.
        start_batch_id: first-run lower bound, if set.
        read_method: auto, query or export.
        page_size: rows per query page.
        request_timeout: read timeout in seconds.
        csv_empty_string_is_null: read empty STRING export fields as null.
        api_url: the validated root of the platform API.
    """

    datasets: tuple[DataSetRef, ...]
    start_batch_id: int | Decimal | None
    read_method: str
    page_size: int
    request_timeout: float
    csv_empty_string_is_null: bool
    api_url: str = DEFAULT_API_URL


def read_settings(config: Mapping[str, Any]) -> Settings:
    """Validate the settings beyond their JSON Schema.

    Args:
        config: the tap config.

    Returns:
        The typed settings.

    Raises:
        SettingsError: naming the setting and the fix.
    """
    read_method = config.get("read_method") or "auto"
    if read_method not in READ_METHODS:
        raise SettingsError(
            f'setting "read_method" is {read_method!r}: use "auto", "query" or "export"'
        )
    return Settings(
        datasets=_datasets(config.get("datasets")),
        start_batch_id=_start_batch_id(config.get("start_batch_id")),
        read_method=read_method,
        page_size=_page_size(config.get("page_size", DEFAULT_PAGE_SIZE)),
        request_timeout=_timeout(config.get("request_timeout", DEFAULT_REQUEST_TIMEOUT)),
        csv_empty_string_is_null=bool(config.get("csv_empty_string_is_null", True)),
        api_url=check_url("api_url", config.get("api_url") or DEFAULT_API_URL),
    )


def _datasets(value: Any) -> tuple[DataSetRef, ...]:
    if not isinstance(value, list) or not value:
        raise SettingsError(
            'setting "datasets" is missing or empty: list the DataSets to read, e.g. '
            '[{"id": "08a061e2-12a2-4646-b4bc-20beddb403e3"}]'
        )
    refs: list[DataSetRef] = []
    for entry in value:
        if not isinstance(entry, Mapping):
            raise SettingsError(
                f'setting "datasets": entry {entry!r} is not an object like {{"id": "<GUID>"}}'
            )
        name = entry.get("stream_name")
        if name is not None and (not isinstance(name, str) or not _STREAM_NAME.fullmatch(name)):
            raise SettingsError(
                f'setting "datasets": stream_name {name!r} is not valid: use letters, digits '
                "and underscores, not starting with a digit"
            )
        refs.append(DataSetRef(id=check_guid(entry.get("id")), stream_name=name))
    _check_unique([ref.id.lower() for ref in refs], "lists DataSet id {} twice")
    _check_unique([ref.stream_name for ref in refs if ref.stream_name], "uses stream_name {} twice")
    return tuple(refs)


def _check_unique(values: list[str], problem: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise SettingsError(
                f'setting "datasets" {problem.format(repr(value))}: each entry must be unique'
            )
        seen.add(value)


def _numeric(value: Any) -> int | float | Decimal | None:
    """A JSON number as it is; a numeric string (how Meltano passes it) as a Decimal; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return value if isinstance(value, int | float | Decimal) else None


def _start_batch_id(value: Any) -> int | Decimal | None:
    if value is None:
        return None
    parsed = _numeric(value)
    if parsed is None:
        raise SettingsError(f'setting "start_batch_id" is {value!r}: it must be a number')
    number = Decimal(str(parsed))
    if not number.is_finite():
        raise SettingsError(f'setting "start_batch_id" is {value!r}: it must be a finite number')
    return int(number) if number == number.to_integral_value() else number


def _page_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < QUERY_ROW_CAP:
        raise SettingsError(
            f'setting "page_size" is {value!r}, but the Domo query API returns at most '
            f"{QUERY_ROW_CAP:,} rows per query: set it to a whole number from 1 to "
            f"{QUERY_ROW_CAP - 1:,} (default {DEFAULT_PAGE_SIZE:,})"
        )
    return value


def _timeout(value: Any) -> float:
    # The SDK reads JSON numbers with fractions as Decimal, Meltano passes a string: any finite
    # positive number will do.
    seconds = _numeric(value)
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise SettingsError(
            f'setting "request_timeout" is {value!r}: give a number of seconds greater than 0 '
            f"(default {DEFAULT_REQUEST_TIMEOUT:g})"
        )
    return float(seconds)
