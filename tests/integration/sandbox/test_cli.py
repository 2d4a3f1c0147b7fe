"""`sandbox serve`: one API per process on request, and background syncs over real HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sandbox.eloqua.client import EloquaControl
from sandbox.eloqua.seed import seed_demo

SANDBOX = Path(sys.executable).parent / "sandbox"


def serve(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Start `sandbox serve` and return it with the lines it printed up to "ready"."""
    process = subprocess.Popen([str(SANDBOX), "serve", *args], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip())
        if line.strip() == "ready":
            break
    return process, lines


@pytest.fixture
def lone_eloqua() -> Iterator[tuple[str, list[str]]]:
    process, lines = serve("--seed", "demo", "--only", "eloqua", "--eloqua-port", "0")
    try:
        urls = re.findall(r"http://\S+", "\n".join(lines))
        yield urls[0], lines
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_only_eloqua_prints_its_url_and_seeds_it_alone(
    lone_eloqua: tuple[str, list[str]],
) -> None:
    url, lines = lone_eloqua
    assert [line.split()[0] for line in lines] == ["Eloqua", "seeded", "ready"]
    assert lines[1] == "seeded custom object 1"
    control = EloquaControl(url)
    assert control.settings()["background_syncs"] is False
    assert [o["name"] for o in control.custom_objects()] == ["Event Registrations"]


def test_only_domo_prints_its_url_alone() -> None:
    process, lines = serve("--seed", "none", "--only", "domo", "--domo-port", "0")
    process.terminate()
    process.wait(timeout=10)
    assert [line.split()[0] for line in lines] == ["Domo", "ready"]


def test_background_syncs_flag_applies_syncs_without_polls() -> None:
    process, lines = serve(
        "--seed", "none", "--only", "eloqua", "--eloqua-port", "0", "--background-syncs"
    )
    try:
        control = EloquaControl(re.findall(r"http://\S+", lines[0])[0])
        control.reset()
        assert control.settings()["background_syncs"] is True
        object_id = seed_demo(control)
        http = requests.Session()
        http.auth = (
            f"{control.DEFAULT_COMPANY}\\{control.DEFAULT_USERNAME}",
            control.DEFAULT_PASSWORD,
        )
        bulk = f"{control.base_url}/api/bulk/2.0"
        fields = http.get(f"{bulk}/customObjects/{object_id}/fields").json()["items"]
        statement = next(f["statement"] for f in fields if f["internalName"] == "Email_Address1")
        body = {"name": "bg", "fields": {"email": statement}, "identifierFieldName": "email"}
        uri = http.post(f"{bulk}/customObjects/{object_id}/imports", json=body).json()["uri"]
        rows = [{"email": f"p{i}@example.com"} for i in range(50)]
        created = http.post(f"{bulk}{uri}/data", json=rows)
        assert created.status_code == 201
        sync_uri = created.json()["uri"]
        deadline = time.monotonic() + 10
        while control.syncs()[0]["status"] != "success" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert control.syncs()[0]["polls"] == 0
        assert http.get(f"{bulk}{sync_uri}").json()["status"] == "success"
        assert len(control.records(object_id)) == 50
    finally:
        process.terminate()
        process.wait(timeout=10)
