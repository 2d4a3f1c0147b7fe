"""The benchmark's fixtures: a sandbox process, seeded data, and plugin configs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.domo.client import DomoControl
from sandbox.domo.seed import bench_rows
from sandbox.eloqua.client import EloquaControl
from sandbox.eloqua.seed import seed_bench

BIN = Path(sys.executable).parent
_URL = re.compile(r"http://\S+")

# Eloqua field <- DataSet column for the benchmark's 10-column DataSet (BENCH_COLUMNS/FIELDS).
BENCH_MAPPING = {
    "id": "Id",
    "Field 1": "First Name",
    "Field 2": "Last Name",
    "Field 3": "Quantity",
    "Field 4": "Amount",
    "Field 5": "Signup Date",
    "Field 6": "Last Seen",
    "Field 7": "Email",
    "Field 8": "Company",
    "Field 9": "_BATCH_ID_",
}


@dataclass
class Sandbox:
    """The running `sandbox serve` processes, one per API, and control clients for them."""

    processes: list[subprocess.Popen[str]]
    domo: DomoControl
    eloqua: EloquaControl


@contextmanager
def sandbox_process() -> Iterator[Sandbox]:
    """Run each emulator in a process of its own, on free ports, as separate services are.

    The Domo export the tap reads and the uploads and syncs of the target then do not compete
    for one interpreter lock, and Eloqua applies each sync in the background once created
    (`--background-syncs`), so the target can stage the next rows meanwhile, as with Eloqua.
    """
    processes = [
        _start("--only", "domo", "--domo-port", "0"),
        _start("--only", "eloqua", "--eloqua-port", "0", "--background-syncs"),
    ]
    try:
        domo, eloqua = (_url_when_ready(process) for process in processes)
        yield Sandbox(processes, DomoControl(domo), EloquaControl(eloqua))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _start(*args: str) -> subprocess.Popen[str]:
    """`sandbox serve --seed none` with `args`."""
    argv = [str(BIN / "sandbox"), "serve", "--seed", "none", *args]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)


def _url_when_ready(process: subprocess.Popen[str]) -> str:
    """The URL a `sandbox serve --only ...` process prints, once it prints "ready"."""
    if process.stdout is None:
        raise RuntimeError("no sandbox output")
    urls: list[str] = []
    for line in process.stdout:
        urls += _URL.findall(line)
        if line.strip() == "ready":
            break
    if not urls:
        raise RuntimeError("the sandbox did not start")
    return urls[0]


@dataclass
class Dataset:
    """One seeded benchmark DataSet and its size."""

    dataset_id: str
    rows: int
    loads: int


def seed_dataset(domo: DomoControl, name: str, rows: int, loads: int, seed: int) -> Dataset:
    """Generate an N-row DataSet server-side, spread over `loads` loads."""
    return Dataset(domo.generate_dataset(name, rows, loads=loads, seed=seed), rows, loads)


def append_load(domo: DomoControl, dataset: Dataset, rows: int, seed: int) -> int:
    """Append one load of new rows (fresh ids past the existing ones); returns its batch id."""
    fresh = []
    for row in bench_rows(rows, seed=seed):
        values = list(row)
        values[0] = int(values[0]) + dataset.rows  # new ids: these are new records
        fresh.append(values)
    return domo.append_load(dataset.dataset_id, fresh)


def tap_config(domo: DomoControl, dataset: Dataset, read_method: str) -> dict[str, Any]:
    """tap-domo settings for one DataSet."""
    return {
        "client_id": DomoControl.DEFAULT_CLIENT_ID,
        "client_secret": DomoControl.DEFAULT_CLIENT_SECRET,
        "api_url": domo.url,
        "datasets": [{"id": dataset.dataset_id, "stream_name": "bench"}],
        "read_method": read_method,
    }


def target_config(eloqua: EloquaControl, custom_object_id: int) -> dict[str, Any]:
    """target-eloqua settings for the benchmark custom object (validation on, the defaults)."""
    identifier, *others = BENCH_MAPPING.items()
    return {
        "company": EloquaControl.DEFAULT_COMPANY,
        "username": EloquaControl.DEFAULT_USERNAME,
        "password": EloquaControl.DEFAULT_PASSWORD,
        "login_url": eloqua.login_url,
        "custom_object": custom_object_id,
        "identifier_field": {"eloqua_field": identifier[0], "dataset_field": identifier[1]},
        "optional_fields": [{"eloqua_field": e, "dataset_field": d} for e, d in others],
        "sync_poll_interval": 0.2,
    }


def fresh_custom_object(eloqua: EloquaControl) -> int:
    """Forget what earlier runs wrote: reset the Eloqua emulator and create the object again."""
    eloqua.reset()
    return seed_bench(eloqua)


def write_json(path: Path, data: Any) -> Path:
    """Write a config file."""
    path.write_text(json.dumps(data))
    return path
