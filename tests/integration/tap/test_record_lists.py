"""Records written a list at a time, and through the SDK's own loop when a setting needs it."""

from __future__ import annotations

import pytest


def _lines(run):
    """Every message without its read time (which differs between runs)."""
    return [{k: v for k, v in m.items() if k != "time_extracted"} for m in run.messages]


@pytest.mark.parametrize("method", ["query", "export"])
def test_the_sdk_loop_and_the_list_writer_write_the_same_messages(domo, run_tap, h, method):
    guid, _ = h.seed_sales(domo)
    config = h.base_config(domo, guid, read_method=method, page_size=2)
    fast = run_tap(config)
    # Flattening changes nothing in flat records, but only the SDK's loop applies it.
    sdk = run_tap({**config, "flattening_enabled": True, "flattening_max_depth": 1})
    assert fast.error is None
    assert sdk.error is None
    assert fast.tap.streams["sales_feed_eu"]._fast_output is True
    assert sdk.tap.streams["sales_feed_eu"]._fast_output is False
    assert _lines(fast) == _lines(sdk)
    records = [m for m in fast.messages if m["type"] == "RECORD"]
    assert records
    assert all(m["time_extracted"].endswith("Z") for m in records)


def test_a_stream_map_takes_the_sdk_loop(domo, run_tap, h):
    guid, _ = h.seed_sales(domo)
    config = h.base_config(
        domo,
        guid,
        read_method="query",
        stream_maps={"sales_feed_eu": {"__alias__": "sales", "Cost": None}},
    )
    run = run_tap(config)
    assert run.error is None
    records = run.records("sales")
    assert records
    assert all("Cost" not in r for r in records)
    assert run.records("sales_feed_eu") == []


def test_states_come_only_at_batch_boundaries_through_a_large_export(domo, run_tap, h):
    # More rows than the SDK's STATE_MSG_FREQUENCY: no STATE between them that names no batch.
    guid = domo.create_dataset("Big", [("n", "LONG")], [[n] for n in range(12_000)])
    run = run_tap(h.base_config(domo, guid, read_method="export"))
    assert run.error is None
    assert len(run.records()) == 12_000
    kinds = [m["type"] for m in run.messages]
    first_state = kinds.index("STATE")
    assert "RECORD" not in kinds[first_state:]
