"""Bad Singer input to target-eloqua: a clear error or a recorded reject, never a partial ack.

Every case feeds a valid prefix (SCHEMA, a record, a STATE), then the bad input, then another
record and a STATE. Whatever happens, a STATE printed on stdout must cover only rows Eloqua has
committed, and nothing after the bad input may be acknowledged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sandbox.eloqua.client import EloquaControl

from tests.reliability.input_support import (
    Run,
    eloqua_writes,
    reject_lines,
    run_target,
    target_config,
)

pytestmark = pytest.mark.e2e

STREAM = "orders"
SCHEMA = {
    "type": "SCHEMA",
    "stream": STREAM,
    "schema": {
        "type": "object",
        "properties": {
            "Code": {"type": ["string", "null"]},
            "Name": {"type": ["string", "null"]},
            "Qty": {"type": ["integer", "null"]},
            "Blob": {"type": ["string", "null"]},
        },
    },
    "key_properties": ["Code"],
}
STATE_1 = {"bookmarks": {STREAM: {"replication_key_value": 1}}}
STATE_2 = {"bookmarks": {STREAM: {"replication_key_value": 2}}}


def line(message: dict[str, Any]) -> str:
    return json.dumps(message) + "\n"


def record(code: str | None, **values: Any) -> str:
    body = {"Code": code, "Name": f"name {code}", "Qty": 1, **values}
    if code is None:
        del body["Code"]
    return line({"type": "RECORD", "stream": STREAM, "record": body})


def state(value: dict[str, Any]) -> str:
    return line({"type": "STATE", "value": value})


PREFIX = line(SCHEMA) + record("c-1") + state(STATE_1)
SUFFIX = record("c-2") + state(STATE_2)


@pytest.fixture
def orders(eloqua: EloquaControl) -> int:
    return eloqua.create_custom_object(
        "Orders",
        [
            {"name": "Code", "dataType": "text", "unique": True},
            {"name": "Name", "dataType": "text"},
            {"name": "Qty", "dataType": "number"},
        ],
    )


def feed(eloqua: EloquaControl, tmp_path: Path, stdin: str, **overrides: Any) -> Run:
    config = target_config(
        eloqua, "Orders", ("Code", "Code"), [("Name", "Name"), ("Qty", "Qty")],
        reject_file=str(tmp_path / "rejects.jsonl"), **overrides,
    )  # fmt: skip
    return run_target(config, stdin)


def landed(eloqua: EloquaControl, co: int) -> dict[str, dict[str, Any]]:
    return {r["fields"]["Code1"]: r["fields"] for r in eloqua.records(co)}


def assert_no_partial_ack(
    result: Run, eloqua: EloquaControl, co: int, *, written_after: bool = False
) -> None:
    """Each printed STATE covers committed rows only, and nothing after the bad input is acked.

    `written_after`: rows after the bad input may have been written (upserts that are sent
    again next run), but never acknowledged.
    """
    states = result.messages
    assert STATE_2 not in states, result.describe()
    assert states in ([], [STATE_1]), result.describe()
    if states:
        assert "c-1" in landed(eloqua, co)
    if not written_after:
        assert "c-2" not in landed(eloqua, co)


# (case id, bad input, the text the last stderr line must hold)
FATAL_CASES = [
    ("invalid-json", '{"type": "RECORD", "stream": "orders", "record": {\n',
     "Unable to parse line as JSON"),
    ("not-an-object", "[1, 2]\n", "Line is missing required type key"),
    ("unknown-type", '{"type": "BOGUS"}\n', "Unknown message type 'BOGUS'"),
    ("unknown-stream", line({"type": "RECORD", "stream": "ghost", "record": {"Code": "g"}}),
     "A record for stream 'ghost' was encountered before a corresponding schema"),
    ("schema-violation", record("c-9", Qty="many"),
     "Record Message Validation Error: data.Qty must be integer or null"),
    # The identifier is also the stream's key property: the SDK refuses the record.
    ("missing-key-property", record(None), "Record Keys: ['Name', 'Qty']"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("bad", "expected"), [c[1:] for c in FATAL_CASES], ids=[c[0] for c in FATAL_CASES]
)
def test_bad_line_stops_the_run_without_acknowledging_it(
    eloqua: EloquaControl, orders: int, tmp_path: Path, bad: str, expected: str
) -> None:
    result = feed(eloqua, tmp_path, PREFIX + bad + SUFFIX)
    assert result.returncode != 0, result.describe()
    assert expected in result.last_line, result.describe()
    assert_no_partial_ack(result, eloqua, orders)


def test_record_before_schema_is_refused_before_any_write(
    eloqua: EloquaControl, orders: int, tmp_path: Path
) -> None:
    result = feed(eloqua, tmp_path, record("c-0") + PREFIX + SUFFIX)
    assert result.returncode != 0, result.describe()
    assert result.last_line.endswith(
        "A record for stream 'orders' was encountered before a corresponding schema. Check that "
        "the Tap correctly implements the Singer spec."
    ), result.describe()
    assert result.stdout == ""
    assert eloqua_writes(eloqua) == []


def test_record_missing_its_identifier_is_a_recorded_reject(
    eloqua: EloquaControl, orders: int, tmp_path: Path
) -> None:
    """The identifier column is not a key property here, so the target itself must catch it."""
    keyless = line({**SCHEMA, "key_properties": []})
    prefix = keyless + record("c-1") + state(STATE_1)
    result = feed(eloqua, tmp_path, prefix + record(None, Name="no code") + SUFFIX)
    assert result.returncode == 1, result.describe()
    assert result.last_line == (
        "target-eloqua: Stream 'orders': 1 of 3 rows rejected (33.33%), more than "
        "max_reject_ratio 0 allows; see reject_file for each row. No STATE was emitted for these "
        "rows."
    ), result.describe()
    assert reject_lines(tmp_path / "rejects.jsonl") == [
        {"stream": STREAM, "values": {"Code1": None, "Name1": "no code", "Qty1": "1"},
         "invalid_fields": ["Code1"], "code": "TARGET-IDENTIFIER",
         "message": "the identifier is missing", "source": "target"},
    ]  # fmt: skip
    assert_no_partial_ack(result, eloqua, orders, written_after=True)


def test_state_before_any_record_then_a_normal_run(
    eloqua: EloquaControl, orders: int, tmp_path: Path
) -> None:
    first = {"bookmarks": {STREAM: {"replication_key_value": 0}}}
    result = feed(eloqua, tmp_path, state(first) + PREFIX + SUFFIX)
    assert result.returncode == 0, result.describe()
    assert result.messages[-1] == STATE_2
    assert all(m in (first, STATE_1, STATE_2) for m in result.messages)
    assert sorted(landed(eloqua, orders)) == ["c-1", "c-2"]


def test_huge_lines_are_read_and_an_over_long_value_is_rejected(
    eloqua: EloquaControl, orders: int, tmp_path: Path
) -> None:
    # 6 MB in an unmapped column (read and ignored) and 5 MB in a 250-character text field.
    big_unmapped = record("c-big", Blob="x" * 6_000_000)
    big_mapped = record("c-long", Name="é" * 5_000_000)
    stdin = PREFIX + big_unmapped + big_mapped + SUFFIX
    result = feed(eloqua, tmp_path, stdin, max_reject_ratio=0.5)
    assert result.returncode == 0, result.describe()
    assert result.messages[-1] == STATE_2
    assert sorted(landed(eloqua, orders)) == ["c-1", "c-2", "c-big"]
    rejects = reject_lines(tmp_path / "rejects.jsonl")
    assert [(r["values"]["Code1"], r["code"], r["message"]) for r in rejects] == [
        ("c-long", "TARGET-LENGTH", "Name1: 5000000 characters; the field takes at most 250")
    ]
    assert rejects[0]["values"]["Name1"] == "é" * 5_000_000


@pytest.mark.parametrize("bad", [c[1] for c in FATAL_CASES], ids=[c[0] for c in FATAL_CASES])
def test_bad_singer_input_is_one_line_without_traceback(
    eloqua: EloquaControl, orders: int, tmp_path: Path, bad: str
) -> None:
    result = feed(eloqua, tmp_path, PREFIX + bad + SUFFIX)
    assert result.returncode == 1, result.describe()
    assert "Traceback" not in result.stderr, result.describe()
    # It names the input line (the bad one is the fourth) and says what was wrong with it.
    assert result.last_line.startswith("target-eloqua: Singer input line 4"), result.describe()
