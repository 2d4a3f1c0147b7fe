"""STATE is emitted only once every record before it is committed in Eloqua."""

from __future__ import annotations

import pytest
from target_eloqua.errors import DrainReentryError


def state(value: int) -> dict:
    return {
        "bookmarks": {"orders": {"replication_key": "_BATCH_ID_", "replication_key_value": value}}
    }


def test_exact_state_lines_for_several_checkpoints(eloqua, orders, base_config, h):
    run = h.run(base_config, h.singer("orders_multiple_states.singer"))
    assert run.error is None
    # The SDK writes STATE after draining every sink (end of input here): the latest one.
    assert run.states == [state(3)]
    assert sorted(h.rows(eloqua, orders)) == ["S1", "S2", "S3"]


def test_full_sinks_commit_early_but_state_waits_for_drain_all(eloqua, orders, base_config, h):
    config = {**base_config, "max_upload_bytes": 256, "max_sync_bytes": 100}
    run = h.run(config, h.singer("orders_multiple_states.singer"))
    assert run.error is None
    assert len(eloqua.syncs()) >= 2
    assert run.states == [state(3)]


def test_nested_or_foreign_drain_never_acknowledges(eloqua, orders, base_config, h):
    import io

    from target_eloqua.target import TargetEloqua

    target = TargetEloqua(config=base_config)
    try:
        lines = h.singer("orders_multiple_states.singer").splitlines()
        target.process_lines(io.StringIO("\n".join(lines[:2]) + "\n"))  # SCHEMA + 1 RECORD
        sink = target.get_sink("orders")
        context = sink.start_drain()
        assert context
        # What the SDK's SIGTERM handler does mid-drain (meltano/sdk#3775): an empty context.
        with pytest.raises(DrainReentryError, match="pending"):
            sink.process_batch({})
        sink._draining = True  # a drain in progress
        with pytest.raises(DrainReentryError, match="another was committing"):
            sink.process_batch(context)
        sink._draining = False
        sink.process_batch(context)  # the real drain still commits
        assert sorted(h.rows(eloqua, orders)) == ["S1"]
    finally:
        target.release()
