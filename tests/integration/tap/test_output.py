"""The tap's real stdout: RECORDs written in blocks, each STATE after the records it covers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest


def run_cli(config: dict, tmp_path: Path) -> list[dict]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    # PYTHONUNBUFFERED makes stdout unbuffered: the writer must still write whole lines.
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    done = subprocess.run(
        [sys.executable, "-c", "from tap_domo.cli import main; main()", "--config", str(path)],
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    )
    return [json.loads(line, parse_float=Decimal) for line in done.stdout.splitlines()]


@pytest.mark.parametrize("method", ["query", "export"])
def test_states_follow_their_records_through_a_pipe(domo, h, tmp_path, method):
    guid = domo.create_dataset("Events", [("n", "LONG"), ("s", "STRING")], [[1, "a"], [2, "b"]])
    domo.append_load(guid, [[n, "x" * 50] for n in range(3, 3003)])
    domo.append_load(guid, [[3003, "c"]])
    messages = run_cli(h.base_config(domo, guid, read_method=method, page_size=1000), tmp_path)
    records = [m["record"]["n"] for m in messages if m["type"] == "RECORD"]
    assert sorted(records) == list(range(1, 3004))
    run = SimpleNamespace(messages=messages)
    h.assert_states_follow_whole_batches(run, "events", {1: 2, 2: 3000, 3: 1})
    assert messages[-1]["type"] == "STATE"
    assert messages[-1]["value"]["bookmarks"]["events"]["replication_key_value"] == 3


def test_full_table_records_are_all_written(domo, h, tmp_path):
    plain = domo.create_dataset(
        "Plain", [("name", "STRING")], [[f"r{n}"] for n in range(5000)], batch_columns=False
    )
    messages = run_cli(h.base_config(domo, plain, read_method="query", page_size=800), tmp_path)
    names = [m["record"]["name"] for m in messages if m["type"] == "RECORD"]
    assert sorted(names) == sorted(f"r{n}" for n in range(5000))
