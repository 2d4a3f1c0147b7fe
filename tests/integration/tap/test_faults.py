"""Retried failures and clear errors, through the emulator's fault injection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox.domo.client import DomoControl

QUERY = "/v1/datasets/query/execute/.*"
EXPORT = "/v1/datasets/[^/]+/data"
TAP = str(Path(sys.executable).with_name("tap-domo"))


def _events(domo):
    guid = domo.create_dataset("Events", [("n", "LONG")], [[i] for i in range(50)])
    domo.append_load(guid, [[i] for i in range(50, 60)])
    return guid


def _ns(run):
    return [r["n"] for r in run.records()]


@pytest.mark.parametrize(
    ("method", "fault"),
    [
        ("query", {"action": "status", "status": 429, "headers": {"Retry-After": "7"}}),
        ("query", {"action": "status", "status": 429}),
        ("query", {"action": "status", "status": 500}),
        ("query", {"action": "status", "status": 502}),
        ("query", {"action": "status", "status": 503, "count": 2}),
        ("query", {"action": "drop"}),
        ("export", {"action": "status", "status": 429, "headers": {"Retry-After": "7"}}),
        ("export", {"action": "status", "status": 500}),
        ("export", {"action": "status", "status": 503}),
        ("export", {"action": "drop"}),
    ],
)
def test_transient_failures_are_retried(domo, run_tap, h, method, fault):
    guid = _events(domo)
    domo.add_fault(
        QUERY if method == "query" else EXPORT, skip=1 if method == "query" else 0, **fault
    )
    run = run_tap(h.base_config(domo, guid, read_method=method))
    assert run.error is None
    assert _ns(run) == list(range(60))
    assert run.last_state == {
        "bookmarks": {"events": {"replication_key": "_BATCH_ID_", "replication_key_value": 2}}
    }
    assert len(run.sleeps) == fault.get("count", 1)
    if "headers" in fault:
        assert run.sleeps == [7.0]
    else:
        assert all(0 <= s <= 2**n for n, s in enumerate(run.sleeps))


def test_slow_response_past_request_timeout_is_retried(domo, run_tap, h):
    guid = _events(domo)
    domo.add_fault(QUERY, action="delay", seconds=1.5, skip=1)
    run = run_tap(h.base_config(domo, guid, read_method="query", request_timeout=0.5))
    assert run.error is None
    assert _ns(run) == list(range(60))
    assert len(run.sleeps) == 1


def test_cut_csv_stream_restarts_without_duplicates(domo, run_tap, h):
    guid = domo.create_dataset(
        "Events", [("n", "LONG"), ("s", "STRING")], [[i, "x" * 40] for i in range(3000)]
    )
    domo.add_fault(EXPORT, action="cut", after_bytes=40_000)
    run = run_tap(h.base_config(domo, guid, read_method="export"))
    assert run.error is None
    assert _ns(run) == list(range(3000))
    assert len(domo.requests(EXPORT)) == 2
    assert run.tap.streams["events"].read_method_used == "export"


def test_token_expiry_401_on_query_refreshes(domo, run_tap, h):
    guid = _events(domo)
    domo.add_fault(QUERY, action="status", status=401, skip=1)
    run = run_tap(h.base_config(domo, guid, read_method="query"))
    assert run.error is None
    assert _ns(run) == list(range(60))
    assert domo.tokens_issued() == 2
    assert run.sleeps == []


def test_really_expired_tokens_are_replaced(domo, run_tap, h, monkeypatch):
    guid = _events(domo)
    from tap_domo.query import QueryReader

    original = QueryReader.max_batch

    def expire_then_max(self):
        domo.expire_tokens()
        return original(self)

    monkeypatch.setattr(QueryReader, "max_batch", expire_then_max)
    run = run_tap(h.base_config(domo, guid, read_method="query"))
    assert run.error is None
    assert _ns(run) == list(range(60))
    assert domo.tokens_issued() == 2


def test_406_on_export_refreshes_token(domo, run_tap, h):
    guid = _events(domo)
    domo.add_fault(
        EXPORT, action="status", status=406, body="<html>406</html>", content_type="text/html"
    )
    run = run_tap(h.base_config(domo, guid, read_method="export"))
    assert run.error is None
    assert _ns(run) == list(range(60))
    assert domo.tokens_issued() == 2


def test_token_endpoint_failures_are_retried(domo, run_tap, h):
    guid = _events(domo)
    domo.add_fault("/oauth/token", action="status", status=503, count=2)
    run = run_tap(h.base_config(domo, guid))
    assert run.error is None
    assert len(run.sleeps) == 2


def test_token_refreshed_a_minute_before_expiry(domo, run_tap, h):
    guid = _events(domo)
    domo.settings(token_lifetime=59)
    run = run_tap(h.base_config(domo, guid, read_method="query"))
    assert run.error is None
    # A token with less than 60 s left is never used twice: one per API request.
    api_calls = len(domo.requests("/v1/.*"))
    assert domo.tokens_issued() == api_calls


def test_persistent_failure_gives_up_with_message(domo, run_tap, h):
    guid = _events(domo)
    domo.add_fault(QUERY, action="status", status=503, count=-1)
    run = run_tap(h.base_config(domo, guid, read_method="query"))
    assert str(run.error) == (
        f"query on DataSet {guid} (stream 'events') failed 5 times, giving up: HTTP 503 for "
        f"DataSet {guid} (stream 'events'); Domo may be unavailable, run again later"
    )
    assert len(run.sleeps) == 4


def _cli(tmp_path, config):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [TAP, "--config", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def _assert_clear_failure(proc, message):
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == f"tap-domo: {message}"
    assert "Traceback" not in proc.stderr
    assert DomoControl.DEFAULT_CLIENT_SECRET not in proc.stderr + proc.stdout


def test_bad_credentials(domo, h, tmp_path):
    guid = _events(domo)
    config = h.base_config(domo, guid, client_secret="wrong-secret")
    proc = _cli(tmp_path, config)
    _assert_clear_failure(
        proc,
        'Domo refused the client credentials (HTTP 401 at /oauth/token): check the "client_id" '
        'and "client_secret" settings (Domo Admin > Authentication > API Clients) and that the '
        "client has the data scope",
    )
    assert "wrong-secret" not in proc.stderr + proc.stdout


def test_unknown_dataset(domo, h, tmp_path):
    missing = "00000000-0000-4000-8000-000000000000"
    proc = _cli(tmp_path, h.base_config(domo, missing))
    _assert_clear_failure(
        proc,
        f'DataSet {missing} was not found in Domo (404): check the "id" of this entry in the '
        '"datasets" setting (copy it from the DataSet\'s URL)',
    )


def test_access_denied(domo, h, tmp_path):
    domo.add_user(2, "Someone Else")
    guid = domo.create_dataset("Secret", [("n", "LONG")], [[1]], owner_id=2)
    config = h.base_config(domo, guid)
    config["datasets"][0]["stream_name"] = "secret"
    proc = _cli(tmp_path, config)
    _assert_clear_failure(
        proc,
        f"access denied to DataSet {guid} (stream 'secret'): the Domo user that owns the API "
        "client (client_id) must own or co-own this DataSet; add that user as a co-owner in "
        'Domo, or remove the DataSet from the "datasets" setting',
    )


def test_malformed_guid(domo, h, tmp_path):
    proc = _cli(tmp_path, h.base_config(domo, "not-a-guid"))
    _assert_clear_failure(
        proc,
        "setting \"datasets\": 'not-a-guid' is not a Domo DataSet id; an id is a GUID such as "
        '"08a061e2-12a2-4646-b4bc-20beddb403e3" (the part of the DataSet URL after '
        '/datasources/); fix the "id" of this entry',
    )


def test_page_size_at_cap(domo, h, tmp_path):
    guid = _events(domo)
    proc = _cli(tmp_path, h.base_config(domo, guid, page_size=1_000_000))
    _assert_clear_failure(
        proc,
        'setting "page_size" is 1000000, but the Domo query API returns at most 1,000,000 rows '
        "per query: set it to a whole number from 1 to 999,999 (default 100,000)",
    )


def test_backtick_column(domo, run_tap, h):
    guid = domo.create_dataset("Odd", [("a`b", "LONG")], [[1]])
    run = run_tap(h.base_config(domo, guid, read_method="query"))
    assert run.records() == []
    assert str(run.error) == (
        f"DataSet {guid} (stream 'odd') has a column named 'a`b', which contains a backtick or "
        "a control character and cannot be quoted safely in Domo SQL: rename the column in "
        'Domo, or set "read_method" to "export"'
    )


def test_pdp_warning(domo, run_tap, h, caplog):
    guid = domo.create_dataset("Guarded", [("n", "LONG")], [[1]], pdp_enabled=True)
    run = run_tap(h.base_config(domo, guid))
    assert run.error is None
    assert any("has PDP enabled" in r.message for r in caplog.records)


def test_a_token_that_keeps_being_rejected_ends_the_run_clearly(domo, run_tap, h):
    guid = _events(domo)
    domo.add_fault(QUERY, action="status", status=401, count=-1)
    run = run_tap(h.base_config(domo, guid, read_method="query"))
    assert str(run.error) == (
        f"Domo rejected 3 access tokens in a row for DataSet {guid} (stream 'events'): check "
        'that the API client ("client_id") still exists and has the data scope'
    )
