"""Helpers for the end-to-end tests: real processes, the demo DataSet, expected Eloqua content."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.domo.client import DomoControl
from sandbox.eloqua.client import EloquaControl

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SAMPLES = REPO / "samples"
STATE_ID = "sandbox:tap-domo-to-target-eloqua"
MELTANO = str(BIN / "meltano")
EASTERN = ZoneInfo("America/New_York")

# Eloqua field (display name) <- DataSet column, as in meltano.yml and samples/.
DEMO_MAPPING = {
    "Email Address": "Email",
    "First Name": "First Name",
    "Last Name": "Last Name",
    "Company": "Company",
    "Number of Tickets": "Numbers",
    "Amount": "Amount",
    "Event Date": "Event Date",
    "Registered At": "Registration Time",
}


def run(
    argv: list[str], env: dict[str, str], timeout: float = 300, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root, capturing its output as text."""
    return subprocess.run(
        argv,
        cwd=REPO,
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def meltano_install(timeout: float = 300) -> None:
    """`meltano install` for the sandbox environment (the plugins are editable installs)."""
    done = run([MELTANO, "install"], env={"MELTANO_ENVIRONMENT": "sandbox"}, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]


def sandbox_meltano_env(domo: DomoControl, eloqua: EloquaControl, work: Path) -> dict[str, str]:
    """Environment for `meltano` pointing the sandbox environment at these emulators.

    Meltano's system database and target-eloqua's reject file go under `work`.
    """
    return {
        "MELTANO_ENVIRONMENT": "sandbox",
        "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
        "TAP_DOMO_API_URL": domo.url,
        "TARGET_ELOQUA_LOGIN_URL": eloqua.login_url,
        "TARGET_ELOQUA_REJECT_FILE": str(work / "rejects.jsonl"),
        "NO_COLOR": "1",
    }


def meltano_singer_state(env: dict[str, str]) -> dict[str, Any] | None:
    """The Singer state Meltano keeps for the sandbox pipeline, or None when it has none."""
    done = run([MELTANO, "state", "get", STATE_ID], env)
    if done.returncode != 0:
        return None
    state: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])["singer_state"]
    return state


def eloqua_value(column: str, value: Any) -> str | None:
    """What target-eloqua writes for a demo value (eloqua-api.md §5, the target's defaults)."""
    if value is None:
        return None
    if column == "Event Date":
        return f"{value} 00:00:00"
    if column == "Registration Time":
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)  # Domo DATETIMEs are UTC
        return moment.astimezone(EASTERN).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def expected_content(
    domo: DomoControl, dataset_id: str, internal: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """The custom object's content after every load: the last row per email wins, in load order."""
    expected: dict[str, dict[str, Any]] = {}
    for row in domo.dataset_rows(dataset_id):
        expected[row["Email"]] = {
            internal[field]: eloqua_value(column, row[column])
            for field, column in DEMO_MAPPING.items()
        }
    return expected


def internal_names(eloqua: EloquaControl, custom_object_id: int) -> dict[str, str]:
    """Display name -> internal name of the custom object's fields."""
    for co in eloqua.custom_objects():
        if int(co["id"]) == custom_object_id:
            return {f["name"]: f["internalName"] for f in co["fields"]}
    raise LookupError(custom_object_id)


def actual_content(
    eloqua: EloquaControl, custom_object_id: int, email_field: str
) -> dict[str, dict[str, Any]]:
    """The custom object's records keyed by email (each email must appear once)."""
    records = eloqua.records(custom_object_id)
    content = {r["fields"][email_field]: r["fields"] for r in records}
    assert len(content) == len(records), "an email landed twice"
    return content


def write_config(path: Path, sample: str, **overrides: Any) -> Path:
    """A sample config with some settings replaced, written to `path`."""
    config = json.loads((SAMPLES / sample).read_text())
    config.update(overrides)
    path.write_text(json.dumps(config))
    return path


def last_state(stdout: str) -> dict[str, Any] | None:
    """The last state a target printed (a target prints each state value as one JSON line)."""
    states = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return states[-1] if states else None
