"""Data POSTs run on a worker thread: input keeps being read while Eloqua receives a chunk."""

from __future__ import annotations

import json
from collections.abc import Iterator

from target_eloqua.errors import ApiError

SCHEMA = {
    "type": "SCHEMA", "stream": "orders", "key_properties": ["id"],
    "schema": {"type": "object", "properties": {
        "id": {"type": "string"}, "Numbers": {"type": ["integer", "null"]}}},
}  # fmt: skip
UPLOAD_DELAY = 1.5  # seconds the emulator holds the first data POST before handling it


def record(order_id: str, tickets: int) -> str:
    row = {"id": order_id, "Numbers": tickets}
    return json.dumps({"type": "RECORD", "stream": "orders", "record": row}) + "\n"


def state_line(value: int) -> str:
    return json.dumps({"type": "STATE", "value": {"done": value}}) + "\n"


class Probe:
    """Input lines, noting for each how many data POSTs Eloqua had received when it was read."""

    def __init__(self, eloqua, lines: list[str]) -> None:
        self.eloqua = eloqua
        self.lines = lines
        self.uploads_seen: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for line in self.lines:
            self.uploads_seen.append(len(self.eloqua.uploads()))
            yield line


def config_for(base_config: dict) -> dict:
    mapping = {
        "identifier_field": {"eloqua_field": "Order Id", "dataset_field": "id"},
        "optional_fields": [{"eloqua_field": "Number of Tickets", "dataset_field": "Numbers"}],
    }
    # Five rows per POST, so the first POST leaves while later rows are still to be read.
    return {**base_config, **mapping, "max_upload_bytes": 256}


def test_rows_are_read_while_the_previous_post_is_in_flight(eloqua, orders, base_config, h):
    eloqua.add_fault(r".*/data", method="POST", action="delay", seconds=UPLOAD_DELAY, count=1)
    records = [record(f"O{i}", i) for i in range(1, 11)]
    probe = Probe(eloqua, [json.dumps(SCHEMA) + "\n", *records, state_line(1)])
    result = h.run(config_for(base_config), probe)
    states, error = result.states, result.error
    assert error is None
    assert states == [{"done": 1}]  # the target prints each state value it acknowledges
    # The first POST (O1-O5) went out when O6 arrived; O7 was read before Eloqua had it.
    assert probe.uploads_seen[7] == 0
    assert len(eloqua.uploads()) == 2
    landed = h.rows(eloqua, orders)
    assert {k: v["Number_of_Tickets1"] for k, v in landed.items()} == {
        f"O{i}": str(i) for i in range(1, 11)
    }
    assert len(eloqua.syncs()) == 1  # one sync, started after both POSTs were in


def test_a_post_failing_in_the_background_fails_the_run_without_state(
    eloqua, orders, base_config, h
):
    eloqua.add_fault(r".*/data", method="POST", action="status", status=400, count=1)
    lines = [json.dumps(SCHEMA) + "\n", *(record(f"O{i}", i) for i in range(1, 14)), state_line(1)]
    result = h.run(config_for(base_config), lines)
    states, error = result.states, result.error
    assert isinstance(error, ApiError)
    assert "Uploading" in str(error)
    assert states == []
    assert eloqua.syncs() == []
    assert h.rows(eloqua, orders) == {}
    assert eloqua.import_definitions() == []  # deleted on the way out


def test_sigterm_with_a_post_in_flight_exits_1_without_state_or_sync(
    eloqua, orders, base_config, tmp_path, h
):
    eloqua.add_fault(r".*/data", method="POST", action="delay", seconds=3, count=1)
    proc = h.spawn(config_for(base_config), tmp_path)
    assert proc.stdin is not None
    # O6 fills the first POST, which the emulator holds; stdin stays open.
    lines = [json.dumps(SCHEMA) + "\n", *(record(f"O{i}", i) for i in range(1, 8))]
    proc.stdin.write("".join([*lines, state_line(1)]))
    proc.stdin.flush()
    returncode, out, err = h.sigterm_when(
        proc, lambda: eloqua.faults()[0]["hits"], "sent its first POST"
    )
    assert returncode == 1
    assert out.strip() == ""  # no STATE
    assert err.strip().splitlines()[-1].startswith("target-eloqua: stopped by signal 15")
    assert eloqua.syncs() == []
    assert eloqua.records(orders) == []
    assert eloqua.import_definitions() == []  # the POST ended before its definition was deleted
