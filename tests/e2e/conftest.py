"""Fixtures for the end-to-end tests: Meltano's plugins installed once, the demo data seeded."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sandbox.domo.client import DomoControl
from sandbox.domo.seed import seed_demo as seed_domo
from sandbox.eloqua.client import EloquaControl
from sandbox.eloqua.seed import seed_demo as seed_eloqua

from tests.e2e.support import REPO, meltano_install, sandbox_meltano_env

PEERS = {"target-jsonl": "target-jsonl==0.1.4", "tap-jsonl": "tap-jsonl==0.3.1"}


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """`meltano install` once per session (the plugins are editable installs of this checkout)."""
    meltano_install()


@pytest.fixture(scope="session")
def peer_venvs() -> Callable[[str], Path]:
    """Other Singer connectors from PyPI, each in a venv of its own (cached under .cache/)."""
    uv = REPO / ".tools" / "bin" / "uv"

    def executable(name: str) -> Path:
        venv = REPO / ".cache" / "e2e" / name
        exe = venv / "bin" / name
        if not exe.exists():
            subprocess.run([str(uv), "venv", "-q", "--python", "3.11", str(venv)], check=True)
            subprocess.run(
                [str(uv), "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                 PEERS[name]],
                check=True,
            )  # fmt: skip
        return exe

    return executable


@dataclass
class Demo:
    """The seeded demo: both emulators, the DataSet and the custom object."""

    domo: DomoControl
    eloqua: EloquaControl
    dataset_id: str
    custom_object_id: int


@pytest.fixture
def demo(domo: DomoControl, eloqua: EloquaControl) -> Demo:
    """The demo DataSet (3 loads) and the matching custom object, freshly seeded."""
    dataset_id = seed_domo(domo)
    emails = sorted({row["Email"] for row in domo.dataset_rows(dataset_id)})
    custom_object_id = seed_eloqua(eloqua, contact_emails=emails[::10])
    return Demo(domo, eloqua, dataset_id, custom_object_id)


@pytest.fixture
def meltano_env(tmp_path: Path, demo: Demo, meltano_installed: None) -> dict[str, str]:
    """Environment for `meltano` pointing the sandbox environment at this session's emulators."""
    return sandbox_meltano_env(demo.domo, demo.eloqua, tmp_path)
