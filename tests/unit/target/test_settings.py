"""Config checks before anything is sent: files, JSON schema, ranges, URLs; secrets masked."""

from __future__ import annotations

import base64
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from target_eloqua import redact
from target_eloqua.cli import config_file_problem, schema_problem
from target_eloqua.runtime import config_problems, reject_ratio
from target_eloqua.target import TargetEloqua
from target_eloqua.urls import url_problem

GOOD: dict[str, Any] = {
    "company": "Co",
    "username": "u",
    "password": "secret-pass",
    "custom_object": "Orders",
    "identifier_field": {"eloqua_field": "Code", "dataset_field": "code"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": NaN}', "is not valid JSON"),
        ('{"a": "b",', "is not valid JSON"),
        ("[1, 2]", "holds a JSON list, not an object"),
        ("", "is not valid JSON"),
    ],
)
def test_config_files_that_are_not_json_objects_are_refused(
    tmp_path: Path, text: str, expected: str
):
    path = tmp_path / "c.json"
    path.write_text(text)
    problem = config_file_problem(["ENV", str(path)])
    assert problem is not None
    assert expected in problem
    assert str(path) in problem
    assert config_file_problem([str(tmp_path / "missing.json")]).startswith("cannot read")  # type: ignore[union-attr]


def _schema() -> dict[str, Any]:
    TargetEloqua.append_builtin_config(TargetEloqua.config_jsonschema)
    return TargetEloqua.config_jsonschema


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("map_to_contacts", "Code"),
        ("identifier_field", "Email"),
        ("optional_fields", {"eloqua_field": "x"}),
        ("stream_mappings", []),
        ("max_sync_bytes", Decimal("1E+400")),
        ("dry_run", "yes"),
    ],
)
def test_the_schema_check_names_the_setting(setting: str, value: Any):
    problem = schema_problem({**GOOD, setting: value}, _schema())
    assert problem is not None
    assert problem.startswith(f"setting '{setting}")


def test_a_secret_of_the_wrong_type_is_not_shown():
    problem = schema_problem({**GOOD, "password": 12345678}, _schema())
    assert problem == "setting 'password' must be a string (value not shown: a secret)"


def test_a_good_config_passes_every_check():
    assert schema_problem(GOOD, _schema()) is None
    assert config_problems(GOOD) == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("request_timeout", -1),
        ("request_timeout", 0),
        ("sync_poll_interval", -3),
        ("sync_timeout", 0),
        ("sync_timeout", Decimal("1E+400")),
        ("max_sync_rows", 0),
        ("max_sync_bytes", -5),
        ("max_upload_bytes", 0),
        ("max_upload_bytes", 33_554_433),
        ("max_reject_ratio", 2),
        ("max_reject_ratio", "-0.5"),
        ("max_reject_ratio", "all"),
        ("max_reject_ratio", "inf"),
        ("date_format", ""),
        ("date_format", "hello"),
        ("date_timezone", "Mars/Olympus_Mons"),
        ("date_timezone", "../../../etc/passwd"),
        ("date_timezone", ""),
        ("login_url", "http://login.example.com"),
        ("login_url", "127.0.0.1:8302"),
        ("base_url", "file:///tmp"),
        ("base_url", "https://user:pw@secure.p03.eloqua.com"),
    ],
)
def test_out_of_range_settings_are_refused_by_name(setting: str, value: Any):
    problems = config_problems({**GOOD, setting: value})
    assert len(problems) == 1
    assert setting in problems[0]


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("max_upload_bytes", 33_554_432),
        ("sync_poll_interval", 0),
        ("max_reject_ratio", "0.5"),
        ("max_reject_ratio", Decimal("0.05")),
        ("date_format", "%d/%m/%Y"),
        ("login_url", "http://127.0.0.1:8302"),
        ("login_url", "http://localhost:8302/"),
        ("base_url", "http://[::1]:8302/pods/p03"),
        ("base_url", ""),
    ],
)
def test_edge_values_that_work_are_accepted(setting: str, value: Any):
    assert config_problems({**GOOD, setting: value}) == []


def test_reject_ratio_reads_numbers_and_numeric_strings():
    assert reject_ratio("0.25") == 0.25
    assert reject_ratio(Decimal("0.5")) == 0.5
    assert reject_ratio(0) == 0.0
    for bad in ("nan", "x", True):
        with pytest.raises(ValueError):  # noqa: PT011 - the caller words the message
            reject_ratio(bad)


def test_url_problem_never_shows_credentials():
    problem = url_problem("base_url", "https://user:pw@host")
    assert problem is not None
    assert "pw" not in problem


def test_secrets_and_auth_values_are_masked_in_messages_and_logs(caplog):
    header = base64.b64encode(b"Co\\u:p\xc3\xa4ss-word").decode()
    redact.remember_basic("Co\\u", "päss-word")
    text = f"echo: Basic {header}; pw päss-word; Bearer abcdefghijklmnopqrstuvwxyz012"
    masked = redact.scrub(text)
    assert header not in masked
    assert "päss-word" not in masked
    assert "abcdefghijklmnopqrstuvwxyz012" not in masked
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "said %s", (text,), None)
    assert redact.RedactingFilter().filter(record)
    assert record.getMessage() == f"said {masked}"


@pytest.mark.parametrize(
    "setting", ["max_upload_bytes", "sync_timeout", "max_reject_ratio", "date_format", "login_url"]
)
def test_a_null_setting_means_its_default(setting: str):
    assert schema_problem({**GOOD, setting: None}, _schema()) is None
    assert config_problems({**GOOD, setting: None}) == []
