"""Import definition names: each stream's are found exactly, nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest
from target_eloqua.leftovers import definition_name, is_stream_definition, stream_prefix

NOW = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_names_start_with_the_stream_prefix_and_show_time_and_stream():
    name = definition_name("orders", NOW)
    assert name == f"{stream_prefix('orders')}2025-01-02T03:04:05Z orders"
    assert is_stream_definition(name, "orders")


def test_a_long_stream_name_is_cut_at_100_characters_and_still_found():
    stream = "s" * 300
    name = definition_name(stream, NOW)
    assert len(name) == 100
    assert is_stream_definition(name, stream)
    assert not is_stream_definition(name, "s" * 299)


@pytest.mark.parametrize(
    "other", ["orders 2024", "Orders", "order", "returns", "orders 2025-01-02T03:04:05Z"]
)
def test_other_streams_definitions_are_not_this_streams(other: str):
    assert not is_stream_definition(definition_name(other, NOW), "orders")
    assert not is_stream_definition(f"target-eloqua {other} 2025-01-02T03:04:05Z", "orders")


@pytest.mark.parametrize(
    "name", ["target-eloqua orders nightly", "orders", "target-eloqua orders", "My import"]
)
def test_names_other_tools_give_are_never_matched(name: str):
    assert not is_stream_definition(name, "orders")


def test_names_of_earlier_versions_are_matched_exactly():
    assert is_stream_definition("target-eloqua orders 2025-01-02T03:04:05Z", "orders")
    assert is_stream_definition("target-eloqua a b 2025-01-02T03:04:05Z", "a b")
    assert not is_stream_definition("target-eloqua a b 2025-01-02T03:04:05Z", "a")
