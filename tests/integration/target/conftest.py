"""Shared helpers for target-eloqua against the Eloqua emulator."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from target_eloqua.target import TargetEloqua

DATA = Path(__file__).resolve().parents[2] / "data" / "target"

ORDER_FIELDS = [
    {"name": "Order Id", "internalName": "Order_Id1", "dataType": "text", "unique": True},
    {"name": "Number of Tickets", "internalName": "Number_of_Tickets1", "dataType": "number"},
    {"name": "Amount", "internalName": "Amount1", "dataType": "numeric"},
    {"name": "Email", "internalName": "Email1", "dataType": "emailAddress"},
    {"name": "Ordered At", "internalName": "Ordered_At1", "dataType": "date"},
    {"name": "Notes", "internalName": "Notes1", "dataType": "largeText"},
    {"name": "Record Owner", "internalName": "Owner1", "dataType": "text", "readOnly": True},
]
ORDER_MAPPING = {
    "identifier_field": {"eloqua_field": "Order Id", "dataset_field": "id"},
    "optional_fields": [
        {"eloqua_field": "Number of Tickets", "dataset_field": "Numbers"},
        {"eloqua_field": "Amount", "dataset_field": "amount"},
        {"eloqua_field": "Email", "dataset_field": "email"},
        {"eloqua_field": "Ordered At", "dataset_field": "ordered_at"},
    ],
}


@dataclass
class Run:
    """What one in-process run printed and raised."""

    states: list[dict[str, Any]]
    error: BaseException | None


def singer(name: str) -> str:
    return (DATA / name).read_text()


def run_target(config: dict[str, Any], messages: str | Iterable[str]) -> Run:
    """Run the target in-process the way `invoke` does (listen, then release).

    `messages` is the whole input, or an iterable of its lines (read as they are asked for).
    """
    out = io.StringIO()
    error: BaseException | None = None
    with redirect_stdout(out):
        target = TargetEloqua(config=config, validate_config=True)
        try:
            target.listen(io.StringIO(messages) if isinstance(messages, str) else messages)
        except Exception as exc:
            error = exc
        finally:
            target.release()
    states = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return Run(states=states, error=error)


def spawn_target(config: dict[str, Any], tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """`target-eloqua --config … [args]` as a process with pipes on every stream (stdin open)."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    exe = str(Path(sys.executable).with_name("target-eloqua"))
    return subprocess.Popen(
        [exe, "--config", str(path), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def sigterm_when(
    proc: subprocess.Popen[str], ready: Callable[[], Any], what: str
) -> tuple[int, str, str]:
    """Wait (20 s at most) until `ready()` holds, send SIGTERM, and collect the process's end.

    Returns:
        (exit code, stdout, stderr).
    """
    try:
        deadline = time.monotonic() + 20
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready(), f"the target never {what}"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err


@pytest.fixture
def orders(eloqua) -> int:
    return eloqua.create_custom_object("Orders", ORDER_FIELDS)


@pytest.fixture
def base_config(eloqua, orders) -> dict[str, Any]:
    return {
        "company": eloqua.DEFAULT_COMPANY,
        "username": eloqua.DEFAULT_USERNAME,
        "password": eloqua.DEFAULT_PASSWORD,
        "login_url": eloqua.login_url,
        "custom_object": "Orders",
        "sync_poll_interval": 0.01,
        "sync_timeout": 30,
        **ORDER_MAPPING,
    }


def rows(eloqua, object_id: int) -> dict[str, dict[str, Any]]:
    """Records keyed by Order Id, fields only."""
    return {r["fields"]["Order_Id1"]: r["fields"] for r in eloqua.records(object_id)}


@pytest.fixture
def h():
    """The helpers, as one namespace (test modules cannot import conftest in importlib mode)."""

    class Helpers:
        run = staticmethod(run_target)
        spawn = staticmethod(spawn_target)
        sigterm_when = staticmethod(sigterm_when)
        singer = staticmethod(singer)
        rows = staticmethod(rows)
        DATA = DATA
        ORDER_FIELDS = ORDER_FIELDS
        ORDER_MAPPING = ORDER_MAPPING

    return Helpers
