"""`make bench` at a tiny N: every scenario runs, lands every row, and reports its figures."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.e2e.support import BIN, REPO

pytestmark = pytest.mark.e2e


def test_bench_runs_every_scenario(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            str(BIN / "python"),
            "-m",
            "bench.run",
            "--rows",
            "3000",
            "--runs",
            "1",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(out.read_text())
    scenarios = {s["name"]: s for s in report["scenarios"]}
    assert list(scenarios) == [
        "floor (msgspec pipe)",
        "tap > /dev/null (query)",
        "tap > /dev/null (export)",
        "target < file",
        "tap | target (full load)",
        "increment (1% new rows)",
        "peer: default SDK pair",
        "memory: pipeline at 1,000 rows",
    ]
    for scenario in scenarios.values():
        assert scenario["rows_per_s"]["median"] > 0
        assert all(rss > 0 for rss in scenario["peak_rss_mb"].values())
    assert scenarios["target < file"]["syncs"] >= 1
    assert scenarios["target < file"]["posts"] >= 1
    assert scenarios["increment (1% new rows)"]["rows_read"] == 30
    assert scenarios["increment (1% new rows)"]["syncs"] == 1
    assert scenarios["floor (msgspec pipe)"]["ratio_to_floor"] == 1.0
    assert "tap | target (full load)" in done.stdout
    assert set(scenarios["memory: pipeline at 1,000 rows"]["peak_rss_mb"]) == {
        "tap-domo",
        "target-eloqua",
    }
