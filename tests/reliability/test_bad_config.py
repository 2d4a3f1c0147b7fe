"""Config fuzzing: every malformed or hostile setting ends in one clear line naming it.

Each plugin runs as a real process on a valid config with one setting broken. The cases are
drawn from a pool per plugin (missing keys, wrong types, empty strings, hostile values: huge and
negative numbers, infinities, unicode, SQL fragments, paths, JSON of the wrong shape) by a seeded
generator, so a run is reproducible and a bounded number of processes is started:
`RELIABILITY_FUZZ_SEED=<n>` draws another sample, `RELIABILITY_FUZZ_ALL=1` runs the whole pool.

Accepted failure (see `input_support`): non-zero exit, no traceback, and either the plugin's own
last line (`tap-domo: …` / `target-eloqua: …`) naming the setting, or the SDK's
`Config validation failed` after a line naming `config['<setting>']`. Nothing may reach Eloqua
(no import definition, upload or sync) and the tap may emit no RECORD.

The tests at the end pin inputs that once ended in a traceback.
"""

from __future__ import annotations

import json
import os
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sandbox.domo.client import DomoControl
from sandbox.eloqua.client import EloquaControl

from tests.reliability.input_support import (
    Run,
    assert_clear_failure,
    eloqua_writes,
    run_tap,
    run_target,
    tap_config,
    target_config,
)

pytestmark = pytest.mark.e2e

MISSING = object()
GUID = "a1b2c3d4-0000-4000-8000-0000000000c1"
SEED = int(os.environ.get("RELIABILITY_FUZZ_SEED", "20261129"))
RUN_ALL = os.environ.get("RELIABILITY_FUZZ_ALL") == "1"
SAMPLE = 8  # cases per plugin per run (each is a process start of about 2 s of CPU)
HUGE = 10**30
SQL = "1; DROP TABLE t; --"

# (setting changed, its hostile value or MISSING, the names an acceptable message may use)
TAP_POOL: list[tuple[str, Any, tuple[str, ...]]] = [
    ("client_id", MISSING, ("client_id",)),
    ("client_secret", MISSING, ("client_secret",)),
    ("datasets", MISSING, ("datasets",)),
    ("client_id", 123, ("client_id",)),
    ("client_id", "", ("client_id",)),
    ("client_secret", {"a": 1}, ("client_secret",)),
    ("client_secret", "", ("client_secret",)),
    ("client_secret", SQL, ("client_secret",)),
    ("datasets", "x", ("datasets",)),
    ("datasets", [], ("datasets",)),
    ("datasets", {"id": GUID}, ("datasets",)),
    ("datasets", [1], ("datasets",)),
    ("datasets", [{"id": ""}], ("datasets",)),
    ("datasets", [{"id": SQL}], ("datasets",)),
    ("datasets", [{"id": "../../../etc/passwd"}], ("datasets",)),
    ("datasets", [{"id": GUID + "?x=1"}], ("datasets",)),
    ("datasets", [{"id": "ünïcødé-🎉"}], ("datasets",)),
    ("datasets", [{"stream_name": "orders"}], ("datasets",)),
    ("datasets", [{"id": GUID, "stream_name": "a b; --"}], ("datasets",)),
    ("datasets", [{"id": GUID, "stream_name": "naïve"}], ("datasets",)),
    ("datasets", [{"id": GUID}, {"id": GUID.upper()}], ("datasets",)),
    ("page_size", -5, ("page_size",)),
    ("page_size", 0, ("page_size",)),
    ("page_size", 1_000_000, ("page_size",)),
    ("page_size", HUGE, ("page_size",)),
    ("page_size", 1.5, ("page_size",)),
    ("page_size", "100", ("page_size",)),
    ("page_size", True, ("page_size",)),
    ("request_timeout", -1, ("request_timeout",)),
    ("request_timeout", 0, ("request_timeout",)),
    ("request_timeout", "fast", ("request_timeout",)),
    ("request_timeout", "1e400", ("request_timeout",)),
    ("start_batch_id", SQL, ("start_batch_id",)),
    ("start_batch_id", {"gt": 1}, ("start_batch_id",)),
    ("start_batch_id", "NaN", ("start_batch_id",)),
    ("read_method", "query; --", ("read_method",)),
    ("read_method", "", ("read_method",)),
    ("read_method", "EXPORT", ("read_method",)),
    ("read_method", 1, ("read_method",)),
    ("api_url", 42, ("api_url",)),
    ("api_url", ["https://api.domo.com"], ("api_url",)),
    ("csv_empty_string_is_null", "yes", ("csv_empty_string_is_null",)),
]

TARGET_POOL: list[tuple[str, Any, tuple[str, ...]]] = [
    ("company", MISSING, ("company",)),
    ("username", MISSING, ("username",)),
    ("password", MISSING, ("password",)),
    ("custom_object", MISSING, ("custom_object",)),
    ("identifier_field", MISSING, ("identifier_field",)),
    ("company", 5, ("company",)),
    ("company", "", ("company",)),
    ("password", None, ("password",)),
    ("password", "", ("password",)),
    ("password", SQL, ("password",)),
    ("username", ["api.user"], ("username",)),
    ("custom_object", [], ("custom_object",)),
    ("custom_object", 1.5, ("custom_object",)),
    ("custom_object", "", ("custom_object",)),
    ("custom_object", SQL, ("custom_object",)),
    ("custom_object", 99999, ("custom_object",)),
    ("custom_object", HUGE, ("custom_object",)),
    ("custom_object", "\uff2f\uff52\uff44\uff45\uff52\uff53 🎉", ("custom_object",)),
    ("identifier_field", "Email", ("identifier_field",)),
    ("identifier_field", {}, ("identifier_field",)),
    ("identifier_field", {"eloqua_field": "Code"}, ("identifier_field",)),
    ("identifier_field", {"eloqua_field": SQL, "dataset_field": "Code"}, ("identifier_field",)),
    ("identifier_field", {"eloqua_field": "Code", "dataset_field": "code"}, ("identifier_field",)),
    (
        "identifier_field",
        {"eloqua_field": "Notes", "dataset_field": "Notes"},
        ("identifier_field",),
    ),
    ("optional_fields", {"eloqua_field": "Name"}, ("optional_fields",)),
    ("optional_fields", [1], ("optional_fields",)),
    ("optional_fields", [{"eloqua_field": "Nope", "dataset_field": "Name"}], ("optional_fields",)),
    ("optional_fields", [{"eloqua_field": "Name", "dataset_field": "../x"}], ("optional_fields",)),
    ("update_rule", "sometimes", ("update_rule",)),
    ("update_rule", "always; DROP TABLE t", ("update_rule",)),
    ("max_upload_bytes", -1, ("max_upload_bytes",)),
    ("max_upload_bytes", 0, ("max_upload_bytes",)),
    ("max_upload_bytes", HUGE, ("max_upload_bytes",)),
    ("max_upload_bytes", "huge", ("max_upload_bytes",)),
    ("max_sync_bytes", -5, ("max_sync_bytes",)),
    ("max_sync_bytes", "1e400", ("max_sync_bytes",)),
    ("max_reject_ratio", 2, ("max_reject_ratio",)),
    ("max_reject_ratio", -0.5, ("max_reject_ratio",)),
    ("max_reject_ratio", "all", ("max_reject_ratio",)),
    ("date_timezone", "Mars/Olympus_Mons", ("date_timezone",)),
    ("date_timezone", "../../../etc/passwd", ("date_timezone",)),
    ("sync_timeout", -1, ("sync_timeout",)),
    ("sync_timeout", 0, ("sync_timeout",)),
    ("stream_mappings", [], ("stream_mappings",)),
    ("stream_mappings", {"items": 5}, ("stream_mappings",)),
    ("map_to_contacts", {"contact_field": "C_EmailAddress"}, ("map_to_contacts",)),
    ("dry_run", "yes", ("dry_run",)),
]


def _sample(pool: list[Any]) -> list[Any]:
    if RUN_ALL:
        return pool
    return random.Random(SEED).sample(pool, SAMPLE)


def _broken(config: dict[str, Any], setting: str, value: Any) -> dict[str, Any] | str:
    changed = dict(config)
    if value is MISSING:
        changed.pop(setting)
    else:
        changed[setting] = value
    text = json.dumps(changed)
    # "1e400" as a JSON number: a value past any float (read as infinity or a huge Decimal).
    return text.replace('"1e400"', "1e400")


def _run_all(cases: list[Any], job: Any) -> list[tuple[Any, Run]]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        return list(zip(cases, pool.map(job, cases), strict=True))


def test_tap_refuses_bad_config_clearly(domo: DomoControl) -> None:
    guid = domo.create_dataset("Orders", [("Code", "STRING")], [["a"]], dataset_id=GUID)
    good = tap_config(domo, [guid])
    cases = _sample(TAP_POOL)

    def job(case: tuple[str, Any, tuple[str, ...]]) -> Run:
        return run_tap(_broken(good, case[0], case[1]))

    failures: list[str] = []
    for (setting, value, names), result in _run_all(cases, job):
        try:
            assert_clear_failure(result, "tap-domo", names)
            assert not [m for m in result.messages if m.get("type") == "RECORD"]
        except AssertionError as exc:
            shown = "MISSING" if value is MISSING else repr(value)
            failures.append(f"{setting}={shown}: {exc}")
    assert not failures, "\n\n".join(failures)


TARGET_STDIN = (
    '{"type":"SCHEMA","stream":"orders","schema":{"type":"object","properties":'
    '{"Code":{"type":["string","null"]},"Name":{"type":["string","null"]},'
    '"Notes":{"type":["string","null"]}}},"key_properties":["Code"]}\n'
    '{"type":"RECORD","stream":"orders","record":{"Code":"c-1","Name":"n","Notes":"x"}}\n'
    '{"type":"STATE","value":{"bookmarks":{"orders":{"replication_key_value":1}}}}\n'
)


def test_target_refuses_bad_config_clearly(eloqua: EloquaControl) -> None:
    co = eloqua.create_custom_object(
        "Orders",
        [
            {"name": "Code", "dataType": "text", "unique": True},
            {"name": "Name", "dataType": "text"},
            {"name": "Notes", "dataType": "largeText"},
        ],
    )
    good = target_config(eloqua, "Orders", ("Code", "Code"), [("Name", "Name")])
    cases = _sample(TARGET_POOL)

    def job(case: tuple[str, Any, tuple[str, ...]]) -> Run:
        return run_target(_broken(good, case[0], case[1]), TARGET_STDIN)

    failures: list[str] = []
    for (setting, value, names), result in _run_all(cases, job):
        try:
            assert_clear_failure(result, "target-eloqua", names)
            assert result.stdout.strip() == "", "a STATE was emitted"
        except AssertionError as exc:
            shown = "MISSING" if value is MISSING else repr(value)
            failures.append(f"{setting}={shown}: {exc}")
    assert eloqua_writes(eloqua) == []
    assert eloqua.records(co) == []
    assert not failures, "\n\n".join(failures)


def test_the_good_configs_work(domo: DomoControl, eloqua: EloquaControl) -> None:
    """The fuzzed configs differ from these by one setting, and these run (so it is that one)."""
    guid = domo.create_dataset("Orders", [("Code", "STRING")], [["a"]], dataset_id=GUID)
    tap = run_tap(tap_config(domo, [guid]))
    assert tap.returncode == 0, tap.describe()
    assert [m["record"]["Code"] for m in tap.messages if m["type"] == "RECORD"] == ["a"]
    co = eloqua.create_custom_object(
        "Orders",
        [
            {"name": "Code", "dataType": "text", "unique": True},
            {"name": "Name", "dataType": "text"},
        ],
    )
    target = run_target(
        target_config(eloqua, "Orders", ("Code", "Code"), [("Name", "Name")]), TARGET_STDIN
    )
    assert target.returncode == 0, target.describe()
    assert target.messages == [{"bookmarks": {"orders": {"replication_key_value": 1}}}]
    assert [r["fields"]["Code1"] for r in eloqua.records(co)] == ["c-1"]


# ---- inputs that once ended in a traceback ------------------------------------------------------


@pytest.mark.parametrize(
    ("plugin", "text"),
    [
        ("tap-domo", '{"client_id": NaN}'),
        ("tap-domo", '{"client_id": "a",'),
        ("target-eloqua", '{"client_id": NaN}'),
        ("target-eloqua", '{"client_id": "a",'),
    ],
)
def test_malformed_config_file_is_a_clear_error(plugin: str, text: str) -> None:
    result = run_tap(text) if plugin == "tap-domo" else run_target(text)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, f"{plugin}: {result.describe()}"
    assert result.last_line.startswith(f"{plugin}: the config file "), result.describe()
    assert "is not valid JSON" in result.last_line


def test_config_of_the_wrong_shape_is_a_clear_error() -> None:
    for result in (run_tap("[1, 2]"), run_target("[1, 2]")):
        assert result.returncode != 0
        assert "Traceback" not in result.stderr, result.describe()
        assert "holds a JSON list, not an object of settings" in result.last_line


def test_unicode_credentials_are_a_clear_error(domo: DomoControl, eloqua: EloquaControl) -> None:
    guid = domo.create_dataset("Orders", [("Code", "STRING")], [["a"]], dataset_id=GUID)
    tap = run_tap(tap_config(domo, [guid], client_id="客户端🔑"))
    eloqua.create_custom_object("Orders", [{"name": "Code", "dataType": "text"}])
    target = run_target(
        target_config(eloqua, "Orders", ("Code", "Code"), password="pässwörd🔑"), TARGET_STDIN
    )
    assert_clear_failure(tap, "tap-domo", ("client_id",))
    assert_clear_failure(target, "target-eloqua", ("password",))


def test_map_to_contacts_of_the_wrong_type_is_a_clear_error(eloqua: EloquaControl) -> None:
    eloqua.create_custom_object("Orders", [{"name": "Code", "dataType": "text"}])
    result = run_target(
        target_config(eloqua, "Orders", ("Code", "Code"), map_to_contacts="Code"), TARGET_STDIN
    )
    assert_clear_failure(result, "target-eloqua", ("map_to_contacts",))


def test_target_negative_request_timeout_is_refused(eloqua: EloquaControl) -> None:
    eloqua.create_custom_object("Orders", [{"name": "Code", "dataType": "text"}])
    result = run_target(
        target_config(eloqua, "Orders", ("Code", "Code"), request_timeout=-1), TARGET_STDIN
    )
    assert_clear_failure(result, "target-eloqua", ("request_timeout",))


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("sync_poll_interval", -3),
        ("max_sync_rows", -1),
        ("date_format", ""),
        ("date_format", "no digits"),
        ("max_upload_bytes", 33_554_433),
        ("max_reject_ratio", "2"),
        ("sync_timeout", 0),
    ],
)
def test_target_out_of_range_settings_are_refused(
    eloqua: EloquaControl, setting: str, value: Any
) -> None:
    eloqua.create_custom_object("Orders", [{"name": "Code", "dataType": "text"}])
    result = run_target(
        target_config(eloqua, "Orders", ("Code", "Code"), **{setting: value}), TARGET_STDIN
    )
    assert_clear_failure(result, "target-eloqua", (setting,))
    assert eloqua_writes(eloqua) == []
