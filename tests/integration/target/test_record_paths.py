"""The lean record path and the SDK's path: same validation, keys, maps and results."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest
from singer_sdk.exceptions import InvalidRecord, MissingKeyPropertiesError
from target_eloqua.target import TargetEloqua

SCHEMA = {
    "type": "SCHEMA",
    "stream": "orders",
    "schema": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "Numbers": {"type": ["integer", "null"]},
            "amount": {"type": ["number", "null"]},
            "email": {"type": ["string", "null"]},
            "ordered_at": {"type": ["string", "null"], "format": "date-time"},
        },
        "additionalProperties": False,
    },
    "key_properties": ["id"],
}
STATE = {"type": "STATE", "value": {"bookmarks": {"orders": {"replication_key_value": 1}}}}


def record(order_id: str, **extra: Any) -> dict[str, Any]:
    values = {"id": order_id, "Numbers": 1, "amount": 2.5, "email": None, "ordered_at": None}
    return {"type": "RECORD", "stream": "orders", "record": {**values, **extra}}


def run(config: dict[str, Any], *messages: dict[str, Any]) -> tuple[TargetEloqua, list[Any]]:
    """Run in-process; return the target (to see which path it took) and the STATE lines."""
    out = io.StringIO()
    text = "".join(json.dumps(m) + "\n" for m in messages)
    with redirect_stdout(out):
        target = TargetEloqua(config=config, validate_config=True)
        try:
            target.listen(io.StringIO(text))
        finally:
            target.release()
    return target, [json.loads(line) for line in out.getvalue().splitlines()]


def test_default_config_takes_the_lean_path(eloqua, orders, base_config, h):
    target, states = run(base_config, SCHEMA, record("L1"), record("L2"), STATE)
    assert target._lean_sinks["orders"] is not None
    assert states == [STATE["value"]]
    assert sorted(h.rows(eloqua, orders)) == ["L1", "L2"]
    sink = target._lean_sinks["orders"]
    assert sink._total_records_read == 2
    assert sink.record_counter_metric.value == 0  # logged and reset at the end of the stream


def test_invalid_record_fails_the_run_without_state(eloqua, orders, base_config, h):
    with pytest.raises(InvalidRecord):
        run(base_config, SCHEMA, record("V1"), STATE, record("V2", Numbers="two"), STATE)
    assert h.rows(eloqua, orders) == {}


def test_sdc_metadata_is_stripped_before_it_can_fail_validation(eloqua, orders, base_config, h):
    stamped = record("M1", _sdc_extracted_at="2024-01-01T00:00:00Z", _sdc_sequence=1)
    target, states = run(base_config, SCHEMA, stamped, STATE)
    assert target._lean_sinks["orders"] is not None
    assert states == [STATE["value"]]
    assert sorted(h.rows(eloqua, orders)) == ["M1"]


def test_missing_key_property_fails_the_run(eloqua, orders, base_config, h):
    keyless = record("K1")
    del keyless["record"]["id"]
    schema = json.loads(json.dumps(SCHEMA))
    schema["schema"]["properties"]["id"]["type"] = ["string", "null"]
    with pytest.raises(MissingKeyPropertiesError):
        run(base_config, schema, keyless, STATE)


@pytest.mark.parametrize(
    "extra",
    [
        {"stream_maps": {"orders": {"__filter__": "id != 'F2'"}}},
        {"flattening_enabled": True, "flattening_max_depth": 1},
        {"add_record_metadata": True},
    ],
)
def test_maps_flattening_and_metadata_take_the_sdk_path(eloqua, orders, base_config, h, extra):
    target, states = run({**base_config, **extra}, SCHEMA, record("F1"), record("F2"), STATE)
    assert target._lean_sinks["orders"] is None
    assert states == [STATE["value"]]
    expected = ["F1"] if "stream_maps" in extra else ["F1", "F2"]
    assert sorted(h.rows(eloqua, orders)) == expected


def test_both_paths_write_the_same_rows(eloqua, orders, base_config, h):
    messages = [
        SCHEMA,
        *(record(f"P{i}", amount=i / 8, email=f"p{i}@example.com") for i in range(6)),
    ]
    messages += [record("P1", Numbers=9), STATE]
    run(base_config, *messages)
    lean = h.rows(eloqua, orders)
    eloqua.reset()
    fresh = eloqua.create_custom_object("Orders", h.ORDER_FIELDS)
    run({**base_config, "add_record_metadata": True}, *messages)
    assert h.rows(eloqua, fresh) == lean
    assert lean["P1"]["Number_of_Tickets1"] == "9"  # the later row won


def test_records_after_the_first_are_decoded_typed(eloqua, orders, base_config, h):
    target, states = run(base_config, SCHEMA, record("T1"), record("T2", amount=1.25), STATE)
    assert "orders" in target._typed._streams
    assert target._lean_sinks["orders"]._total_records_read == 2
    assert states == [STATE["value"]]
    assert h.rows(eloqua, orders)["T2"]["Amount1"] == "1.25"


@pytest.mark.parametrize("bad", [{"amount": "2.5"}, {"Numbers": 1.0}, {"Numbers": True}])
def test_typed_path_refuses_what_the_schema_refuses(eloqua, orders, base_config, h, bad):
    with pytest.raises(InvalidRecord):
        run(base_config, SCHEMA, record("B1"), STATE, record("B2", **bad), STATE)
    assert h.rows(eloqua, orders) == {}


def test_missing_key_property_fails_the_run_on_the_typed_path(eloqua, orders, base_config, h):
    schema = json.loads(json.dumps(SCHEMA))
    schema["schema"]["properties"]["id"]["type"] = ["string", "null"]
    keyless = record("K2")
    del keyless["record"]["id"]
    with pytest.raises(MissingKeyPropertiesError):
        run(base_config, schema, record("K1"), keyless, STATE)


def test_a_new_schema_retypes_the_stream(eloqua, orders, base_config, h):
    widened = json.loads(json.dumps(SCHEMA))
    widened["schema"]["properties"]["Numbers"]["type"] = ["integer", "string", "null"]
    target, states = run(
        base_config, SCHEMA, record("S1"), record("S2"), widened, record("S3", Numbers="4"), STATE
    )
    assert target._typed.take is None  # the widened schema is not simple: no typed stream
    assert states == [STATE["value"]]
    assert sorted(h.rows(eloqua, orders)) == ["S1", "S2", "S3"]
