"""Edge values through the whole pipe: each row lands with the right value or is a recorded reject.

Domo emulator → tap-domo (CSV export, then the query API) → target-eloqua → Eloqua emulator, with
the target's defaults (dates written as `%Y-%m-%d %H:%M:%S` in America/New_York) and
`max_reject_ratio` 1 so every row is accounted for in one run. For every source row the test
asserts one of: it landed with exactly the expected value in every mapped field, or it is in the
reject file with the expected code and field. No row may be missing from both.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sandbox.domo.client import DomoControl
from sandbox.eloqua.client import EloquaControl

from tests.reliability.input_support import pipe, reject_lines, tap_config, target_config

pytestmark = pytest.mark.e2e

EASTERN = ZoneInfo("America/New_York")
COLUMNS = [
    ("Code", "STRING"), ("Label", "STRING"), ("Notes", "STRING"), ("Email", "STRING"),
    ("Ratio", "DOUBLE"), ("Count", "LONG"), ("Amount", "DECIMAL"), ("Day", "DATE"),
    ("Moment", "DATETIME"),
]  # fmt: skip
FIELDS = [
    {"name": "Code", "dataType": "text", "unique": True},
    {"name": "Label", "dataType": "text"},
    {"name": "Notes", "dataType": "largeText"},
    {"name": "Email", "dataType": "emailAddress"},
    {"name": "Ratio", "dataType": "numeric"},
    {"name": "Count", "dataType": "number"},
    {"name": "Amount", "dataType": "numeric"},
    {"name": "Day", "dataType": "date"},
    {"name": "Moment", "dataType": "date"},
]
KEY = {name: f"{name}1" for name, _ in COLUMNS}  # internal names the emulator derives

UNICODE = "Zoë 🎉 日本語 \u200b\u202ertl \U0001f468\u200d\U0001f469\u200d\U0001f467"
# Code → the one mapped value that makes the row special (other columns null), and the outcome:
# ("land", {column: value written}) or ("reject", code, column at fault).
CASES: list[tuple[str, dict[str, Any], tuple[Any, ...]]] = [
    ("text-250", {"Label": "a" * 250}, ("land", {"Label": "a" * 250})),
    ("text-251", {"Label": "b" * 251}, ("reject", "TARGET-LENGTH", "Label")),
    ("large-32000", {"Notes": "n" * 32_000}, ("land", {"Notes": "n" * 32_000})),
    ("large-32001", {"Notes": "m" * 32_001}, ("reject", "TARGET-LENGTH", "Notes")),
    ("email-ok", {"Email": "o'k+tag@example.co.uk"}, ("land", {"Email": "o'k+tag@example.co.uk"})),
    ("email-bad", {"Email": "not-an-email"}, ("reject", "TARGET-EMAIL", "Email")),
    ("email-space", {"Email": "a b@example.com"}, ("reject", "TARGET-EMAIL", "Email")),
    ("count-huge", {"Count": 2**62}, ("land", {"Count": str(2**62)})),
    ("count-zero", {"Count": 0}, ("land", {"Count": "0"})),
    ("count-negative", {"Count": -5}, ("reject", "TARGET-NUMBER", "Count")),
    ("amount-4dp", {"Amount": "-123456789012345.1234"},
     ("land", {"Amount": "-123456789012345.1234"})),
    ("amount-5dp", {"Amount": "1.23456"}, ("reject", "TARGET-NUMERIC", "Amount")),
    ("amount-16-digits", {"Amount": "1234567890123456"}, ("reject", "TARGET-NUMERIC", "Amount")),
    ("ratio-5dp", {"Ratio": 0.12345}, ("reject", "TARGET-NUMERIC", "Ratio")),
    ("ratio-negative", {"Ratio": -0.5}, ("land", {"Ratio": "-0.5"})),
    ("unicode", {"Label": UNICODE}, ("land", {"Label": UNICODE})),
    ("nul-byte", {"Label": "a\x00b"}, ("land", {"Label": "a\x00b"})),
    ("empty-and-null", {"Label": "", "Notes": None}, ("land", {"Label": None, "Notes": None})),
    ("date-max", {"Day": "9999-12-31"}, ("land", {"Day": "9999-12-31 00:00:00"})),
    ("date-leap", {"Day": "2024-02-29"}, ("land", {"Day": "2024-02-29 00:00:00"})),
    ("moment-leap", {"Moment": "2024-02-29T23:30:00"}, ("land", {"Moment": "2024-02-29 18:30:00"})),
    ("moment-max", {"Moment": "9999-12-31T23:59:59"}, ("land", {"Moment": "9999-12-31 18:59:59"})),
    ("dst-before-spring", {"Moment": "2024-03-10T06:59:59"},
     ("land", {"Moment": "2024-03-10 01:59:59"})),
    ("dst-after-spring", {"Moment": "2024-03-10T07:00:00"},
     ("land", {"Moment": "2024-03-10 03:00:00"})),
    ("dst-fall-first", {"Moment": "2024-11-03T05:30:00"},
     ("land", {"Moment": "2024-11-03 01:30:00"})),
    ("dst-fall-second", {"Moment": "2024-11-03T06:30:00"},
     ("land", {"Moment": "2024-11-03 01:30:00"})),
]  # fmt: skip


# Years before 1000 (written with four digits, as Eloqua's `YYYY-MM-DD HH:MM:SS` needs).
EARLY_YEARS: list[tuple[str, dict[str, Any], tuple[Any, ...]]] = [
    ("date-min", {"Day": "0001-01-01"}, ("land", {"Day": "0001-01-01 00:00:00"})),
    ("moment-min-noon", {"Moment": "0001-01-01T12:00:00"},
     ("land", {"Moment": "0001-01-01 07:03:58"})),
    ("date-999", {"Day": "0999-12-31"}, ("land", {"Day": "0999-12-31 00:00:00"})),
]  # fmt: skip


def test_expected_local_times_are_right() -> None:
    """The expected date-times above are UTC → America/New_York, checked independently."""
    for _, values, outcome in [*CASES, *EARLY_YEARS]:
        if "Moment" in values and outcome[0] == "land":
            moment = dt.datetime.fromisoformat(values["Moment"]).replace(tzinfo=dt.UTC)
            local = moment.astimezone(EASTERN)
            local = f"{local.year:04d}-" + local.strftime("%m-%d %H:%M:%S")
            assert local == outcome[1]["Moment"], values


def _row(code: str, values: dict[str, Any]) -> list[Any]:
    row = {"Code": code, **values}
    if "Amount" in row and row["Amount"] is not None:
        row["Amount"] = Decimal(row["Amount"])
    return [row.get(name) for name, _ in COLUMNS]


@pytest.mark.parametrize("read_method", ["export", "query"])
def test_every_row_lands_right_or_is_a_recorded_reject(
    domo: DomoControl, eloqua: EloquaControl, tmp_path: Path, read_method: str
) -> None:
    guid = domo.create_dataset("Edge Cases", COLUMNS, [_row(c, v) for c, v, _ in CASES])
    co = eloqua.create_custom_object("Edge Cases", FIELDS)
    mapping = [(name, name) for name, _ in COLUMNS[1:]]
    rejects_path = tmp_path / "rejects.jsonl"
    tap, target = pipe(
        tap_config(domo, [guid], read_method=read_method, csv_empty_string_is_null=True),
        target_config(eloqua, "Edge Cases", ("Code", "Code"), mapping,
                      reject_file=str(rejects_path), max_reject_ratio=1),
        tmp_path,
    )  # fmt: skip
    assert tap.returncode == 0, tap.describe()
    assert target.returncode == 0, target.describe()
    assert target.messages, "no STATE after a complete run"

    records = {r["fields"][KEY["Code"]]: r["fields"] for r in eloqua.records(co)}
    rejects = {r["values"][KEY["Code"]]: r for r in reject_lines(rejects_path)}
    problems: list[str] = []
    for code, _, outcome in CASES:
        if outcome[0] == "reject":
            _, reason, column = outcome
            got = rejects.get(code)
            if code in records:
                problems.append(f"{code}: landed, expected a {reason} reject")
            elif got is None:
                problems.append(f"{code}: neither landed nor rejected (silently dropped)")
            elif (got["code"], got["invalid_fields"]) != (reason, [KEY[column]]):
                problems.append(f"{code}: rejected as {got['code']} {got['invalid_fields']}")
            elif not got["message"].startswith(f"{KEY[column]}: "):
                problems.append(f"{code}: reject message {got['message']!r}")
            continue
        fields = records.get(code)
        if fields is None:
            reason = rejects[code]["message"] if code in rejects else "silently dropped"
            problems.append(f"{code}: did not land ({reason})")
            continue
        expected = {KEY[c]: None for c, _ in COLUMNS[1:]} | {
            KEY[c]: v for c, v in outcome[1].items()
        }
        actual = {k: fields.get(k) for k in expected}
        if actual != expected:
            wrong = {k: (actual[k], expected[k]) for k in expected if actual[k] != expected[k]}
            problems.append(f"{code}: landed with (actual, expected) {wrong}")
    extra = (set(records) | set(rejects)) - {c for c, _, _ in CASES}
    assert not problems, "\n".join(problems)
    assert not extra
    assert len(rejects) == sum(1 for _, _, o in CASES if o[0] == "reject")


def test_moment_before_year_one_in_eastern_is_a_reject(
    domo: DomoControl, eloqua: EloquaControl, tmp_path: Path
) -> None:
    rows = [_row("moment-min", {"Moment": "0001-01-01T00:00:00"}), _row("ok", {"Label": "x"})]
    guid = domo.create_dataset("Edge Cases", COLUMNS, rows)
    eloqua.create_custom_object("Edge Cases", FIELDS)
    rejects_path = tmp_path / "rejects.jsonl"
    _, target = pipe(
        tap_config(domo, [guid]),
        target_config(eloqua, "Edge Cases", ("Code", "Code"), [("Moment", "Moment")],
                      reject_file=str(rejects_path), max_reject_ratio=1),
        tmp_path,
    )  # fmt: skip
    assert target.returncode == 0, target.describe()
    assert [(r["values"]["Code1"], r["code"]) for r in reject_lines(rejects_path)] == [
        ("moment-min", "TARGET-DATE")
    ]


def test_dates_before_year_1000_land(
    domo: DomoControl, eloqua: EloquaControl, tmp_path: Path
) -> None:
    guid = domo.create_dataset("Edge Cases", COLUMNS, [_row(c, v) for c, v, _ in EARLY_YEARS])
    co = eloqua.create_custom_object("Edge Cases", FIELDS)
    _, target = pipe(
        tap_config(domo, [guid]),
        target_config(eloqua, "Edge Cases", ("Code", "Code"),
                      [("Day", "Day"), ("Moment", "Moment")],
                      reject_file=str(tmp_path / "rejects.jsonl"), max_reject_ratio=1),
        tmp_path,
    )  # fmt: skip
    assert target.returncode == 0, target.describe()
    landed = {r["fields"]["Code1"]: r["fields"] for r in eloqua.records(co)}
    for code, _, (_, values) in EARLY_YEARS:
        for column, value in values.items():
            assert landed.get(code, {}).get(KEY[column]) == value, code


def test_trailing_zeros_do_not_count_as_decimal_places(
    domo: DomoControl, eloqua: EloquaControl, tmp_path: Path
) -> None:
    guid = domo.create_dataset("Edge Cases", COLUMNS, [_row("zeros", {"Amount": "2.500000"})])
    co = eloqua.create_custom_object("Edge Cases", FIELDS)
    _, target = pipe(
        tap_config(domo, [guid]),
        target_config(eloqua, "Edge Cases", ("Code", "Code"), [("Amount", "Amount")],
                      reject_file=str(tmp_path / "rejects.jsonl"), max_reject_ratio=1),
        tmp_path,
    )  # fmt: skip
    assert target.returncode == 0, target.describe()
    assert [r["fields"]["Amount1"] for r in eloqua.records(co)] == ["2.5"]
