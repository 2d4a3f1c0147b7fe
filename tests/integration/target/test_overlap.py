"""A full sink starts its sync and keeps staging on a second definition while Eloqua works."""

from __future__ import annotations

import io
import itertools
import json
import signal

import pytest
from target_eloqua.errors import SyncFailedError, TerminatedError
from target_eloqua.target import TargetEloqua

SCHEMA = {
    "type": "SCHEMA", "stream": "orders", "key_properties": ["id"],
    "schema": {"type": "object", "properties": {
        "id": {"type": "string"}, "Numbers": {"type": ["integer", "null"]},
        "amount": {"type": ["number", "null"]}, "email": {"type": ["string", "null"]},
        "ordered_at": {"type": ["string", "null"], "format": "date-time"}}},
}  # fmt: skip
SYNC_ROWS = 4  # max_sync_rows of these tests: each group of four records fills the sink


def record(order_id: str, tickets: int) -> str:
    row = {"id": order_id, "Numbers": tickets, "amount": None, "email": None, "ordered_at": None}
    return json.dumps({"type": "RECORD", "stream": "orders", "record": row})


def state(value: int) -> dict:
    return {
        "bookmarks": {"orders": {"replication_key": "_BATCH_ID_", "replication_key_value": value}}
    }


def state_line(value: int) -> str:
    return json.dumps({"type": "STATE", "value": state(value)})


# Sync 1: O1-O4 (full). Sync 2: O5, O6, O1 again (a later value), O7 (full). Sync 3: O8, O9.
FIRST = [json.dumps(SCHEMA), *(record(f"O{i}", i) for i in (1, 2, 3, 4))]
MESSAGES = "\n".join(
    [
        *FIRST,
        state_line(1),
        record("O5", 5), record("O6", 6), record("O1", 99), record("O7", 7),
        state_line(2),
        record("O8", 8), record("O9", 9),
        state_line(3),
    ]
) + "\n"  # fmt: skip


@pytest.fixture
def config(base_config):
    # Small POSTs, so rows of the next sync are uploaded as they arrive.
    return {**base_config, "max_sync_rows": SYNC_ROWS, "max_upload_bytes": 256}


def _index(log: list[dict], method: str, path_end: str, *, last: bool = False) -> int:
    hits = [i for i, r in enumerate(log) if r["method"] == method and r["path"].endswith(path_end)]
    assert hits, f"no {method} …{path_end}"
    return hits[-1] if last else hits[0]


def test_next_rows_are_staged_on_the_other_definition_while_a_sync_runs(eloqua, orders, config, h):
    eloqua.sync_schedule("polls", pending_polls=2, active_polls=2)
    run = h.run(config, MESSAGES)
    assert run.error is None
    syncs = eloqua.syncs()
    assert [s["rows"] for s in syncs] == [4, 4, 2]
    assert all(s["status"] == "success" for s in syncs)
    first, second, third = (s["syncedInstanceUri"] for s in syncs)
    assert first != second  # two definitions, alternated
    assert third == first
    log = eloqua.requests()
    # Rows of sync 2 reached the second definition before sync 1 was seen terminal ...
    assert _index(log, "POST", f"{second}/data") < _index(log, "GET", syncs[0]["uri"], last=True)
    # ... and sync 2 was created only after that terminal poll.
    assert _index(log, "GET", syncs[0]["uri"], last=True) < _index(log, "POST", "/syncs", last=True)
    assert eloqua.import_definitions() == []  # both deleted at the end


def test_syncs_of_a_stream_never_overlap(eloqua, orders, config, h):
    eloqua.sync_schedule("seconds", seconds=0.3)
    run = h.run({**config, "sync_poll_interval": 0.02}, MESSAGES)
    assert run.error is None
    syncs = eloqua.syncs()
    assert len(syncs) == 3
    for before, after in itertools.pairwise(syncs):
        assert before["syncEndedAt"] <= after["createdAt"]


def test_an_identifier_in_both_syncs_ends_with_the_later_value(eloqua, orders, config, h):
    eloqua.sync_schedule("polls", pending_polls=1, active_polls=1)
    run = h.run(config, MESSAGES)
    assert run.error is None
    landed = h.rows(eloqua, orders)
    assert sorted(landed) == [f"O{i}" for i in range(1, 10)]
    assert landed["O1"]["Number_of_Tickets1"] == "99"


def test_state_lines_are_the_same_as_with_blocking_syncs(eloqua, orders, config, base_config, h):
    eloqua.sync_schedule("polls", pending_polls=1, active_polls=1)
    overlapping = h.run(config, MESSAGES)
    blocking = h.run(base_config, MESSAGES)  # one sync at the end, nothing in flight
    assert overlapping.error is None
    assert blocking.error is None
    assert overlapping.states == blocking.states == [state(3)]


def test_failed_sync_in_flight_fails_the_run_without_state(eloqua, orders, config, h):
    committed = h.run(config, "\n".join([*FIRST, state_line(0)]) + "\n")
    assert committed.error is None
    assert committed.states == [state(0)]
    eloqua.sync_schedule("polls", pending_polls=2, active_polls=2)
    eloqua.force_next_syncs("error")
    run = h.run(config, MESSAGES)
    assert isinstance(run.error, SyncFailedError)
    assert run.states == []
    syncs = eloqua.syncs()[1:]
    # Sync 2's rows were staged on the other definition, but it was never started.
    assert [s["status"] for s in syncs] == ["error"]
    assert any(u["definitionUri"] != syncs[0]["syncedInstanceUri"] for u in eloqua.uploads()[-2:])
    assert eloqua.import_definitions() == []


def test_failed_last_sync_in_flight_is_raised_by_the_final_drain(eloqua, orders, config, h):
    eloqua.sync_schedule("polls", pending_polls=1)
    eloqua.force_next_syncs("error")
    # Exactly one full sink: launched on the lean path, then only the end-of-input drain.
    run = h.run(config, "\n".join([*FIRST, state_line(1)]) + "\n")
    assert isinstance(run.error, SyncFailedError)
    assert run.states == []


def test_sigterm_with_a_sync_in_flight_acknowledges_nothing(eloqua, orders, config, h):
    eloqua.sync_schedule("polls", pending_polls=1_000_000)
    target = TargetEloqua(config=config)
    out = io.StringIO()
    try:
        target.process_lines(io.StringIO("\n".join([*FIRST, state_line(1)]) + "\n"))
        assert len(eloqua.syncs()) == 1  # launched, not waited for
        with pytest.raises(TerminatedError):
            target._handle_termination(signal.SIGTERM, None)
    finally:
        target.release()
    assert out.getvalue() == ""
    assert eloqua.import_definitions() == []  # deleting it stops the pending sync
    assert eloqua.records(orders) == []


def test_sigterm_process_with_a_sync_in_flight_exits_1_without_state(
    eloqua, orders, config, tmp_path, h
):
    eloqua.sync_schedule("polls", pending_polls=1_000_000)
    proc = h.spawn(config, tmp_path)
    assert proc.stdin is not None
    # The sink fills, its sync starts, and the target waits for more input (stdin open).
    proc.stdin.write("\n".join([*FIRST, state_line(1)]) + "\n")
    proc.stdin.flush()
    returncode, out, err = h.sigterm_when(proc, eloqua.syncs, "started a sync")
    assert returncode == 1
    assert out.strip() == ""
    assert err.strip().splitlines()[-1].startswith("target-eloqua: stopped by signal 15")
    assert eloqua.records(orders) == []
