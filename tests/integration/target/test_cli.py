"""target-eloqua as a process: one-line failures, the Meltano connection test, SIGTERM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("target-eloqua"))
TEST_STREAM = "\n".join(
    json.dumps(m)
    for m in [
        {"type": "SCHEMA", "stream": "meltano_test_stream", "key_properties": ["id"],
         "schema": {"type": "object", "properties": {
             "id": {"type": "integer"}, "name": {"type": "string"},
             "created_at": {"type": "string", "format": "date-time"}}}},
        {"type": "RECORD", "stream": "meltano_test_stream",
         "record": {"id": 1, "name": "test", "created_at": "2025-01-01T00:00:00Z"}},
        {"type": "STATE", "value": {"bookmarks": {"meltano_test_stream": {}}}},
    ]
) + "\n"  # fmt: skip


def run_cli(config: dict, tmp_path: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [EXE, "--config", str(path)], input=stdin, capture_output=True, text=True,
        timeout=60, check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def test_bad_credentials_end_in_one_line(eloqua, orders, base_config, h, tmp_path):
    result = run_cli(
        {**base_config, "password": "hunter2"}, tmp_path, h.singer("orders_create.singer")
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("target-eloqua: Eloqua did not accept the credentials: check the")
    assert "hunter2" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_bad_update_rule_names_the_setting(eloqua, orders, base_config, h, tmp_path):
    result = run_cli({**base_config, "update_rule": "sometimes"}, tmp_path, "")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("target-eloqua: invalid config: ")
    assert "update_rule" in last


def test_meltano_config_test_stream_writes_nothing_and_says_no_error(
    eloqua, orders, base_config, tmp_path
):
    result = run_cli({**base_config, "max_reject_ratio": 0.1}, tmp_path, TEST_STREAM)
    assert result.returncode == 0, result.stderr
    lines = (result.stdout + result.stderr).lower().splitlines()
    assert [line for line in lines if "error" in line or "exception" in line] == []
    assert "connection test" in result.stderr.lower()
    assert eloqua.requests(r".*/imports.*") == []
    assert eloqua.records(orders) == []


def test_sigterm_during_a_drain_acknowledges_nothing(eloqua, orders, base_config, h, tmp_path):
    eloqua.sync_schedule("seconds", seconds=60)
    config = {**base_config, "sync_poll_interval": 0.05}
    proc = h.spawn(config, tmp_path, "--input", str(h.DATA / "orders_create.singer"))
    returncode, out, err = h.sigterm_when(proc, eloqua.syncs, "started a sync")
    assert returncode == 1
    assert out.strip() == ""  # no STATE for rows Eloqua has not committed
    assert err.strip().splitlines()[-1].startswith("target-eloqua: stopped by signal 15")


@pytest.mark.parametrize("fmt", ["markdown"])
def test_about_lists_every_setting(fmt):
    result = subprocess.run(
        [EXE, "--about", f"--format={fmt}"], capture_output=True, text=True, check=True
    )
    for name in [
        "company",
        "password",
        "custom_object",
        "stream_mappings",
        "map_to_contacts",
        "max_upload_bytes",
        "max_sync_bytes",
        "reject_file",
        "max_reject_ratio",
        "dry_run",
    ]:
        assert f"| {name} |" in result.stdout
