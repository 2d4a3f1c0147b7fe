"""The lean message reader: same dispatch, counts and errors as the SDK's msgspec reader."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from singer_sdk.singerlib.exceptions import InvalidInputLine
from target_eloqua.reader import LeanMsgSpecReader


def read(text: str) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
    seen: dict[str, list[dict[str, Any]]] = {"RECORD": [], "STATE": []}
    callbacks = {kind: seen[kind].append for kind in seen}
    counts = LeanMsgSpecReader().process_lines(io.StringIO(text), callbacks)
    return seen, dict(counts)


def test_lines_are_dispatched_by_type_and_counted():
    seen, counts = read(
        '{"type":"RECORD","stream":"s","record":{"a":1.10,"b":null}}\n'
        '{"type":"STATE","value":{}}\n'
        '{"type":"RECORD","stream":"s","record":{"a":2}}\n'
    )
    assert counts == {"RECORD": 2, "STATE": 1}
    first = seen["RECORD"][0]["record"]
    assert first == {"a": Decimal("1.10"), "b": None}
    assert str(first["a"]) == "1.10"  # exact, as the SDK's reader gives it
    assert seen["STATE"] == [{"type": "STATE", "value": {}}]


@pytest.mark.parametrize("line", ['{"type": "RECORD", ', '{"stream": "s"}', "[1, 2]"])
def test_malformed_lines_fail_as_with_the_sdk_reader(line: str):
    with pytest.raises(InvalidInputLine):
        read(line + "\n")


def test_unknown_message_types_are_refused():
    with pytest.raises(ValueError, match="Unknown message type 'NOPE'"):
        read('{"type":"NOPE"}\n')
