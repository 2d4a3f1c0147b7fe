"""How fast the sandbox serves the benchmark's traffic, measured from a client in another process.

Run `python -m bench.sandbox_speed [--rows N]`. It starts `sandbox serve` as a subprocess, seeds
an N-row benchmark DataSet and the benchmark custom object, then times, with a `requests` client:

* export: `GET /v1/datasets/{id}/data` (the whole DataSet as CSV), read to the end;
* query pages: `POST /v1/datasets/query/execute/{id}` for whole batches, ~100k rows a page,
  read to the end (the JSON is parsed after the clock stops, only to check the row count);
* upload accept: Bulk `POST {definition}/data` of ~20 MB JSON bodies, serialised beforehand;
* sync apply: `GET /syncs/{id}` on a sync of up to 200k staged rows (the poll applies it).

Each line gives rows/s and the sandbox process's CPU seconds per 1M rows (from /proc), so the
sandbox's share of a 2-core machine is visible next to its rate.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import requests
from sandbox.domo.client import DomoControl
from sandbox.domo.seed import bench_tuples
from sandbox.eloqua.client import EloquaControl
from sandbox.eloqua.seed import seed_bench

_URL = re.compile(r"http://\S+")
_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_ROWS = 100_000
POST_BYTES = 20 * 1024 * 1024
SYNC_ROWS = 200_000
LOADS = 100


@dataclass
class Figure:
    """One measured operation."""

    name: str
    rows: int
    seconds: float
    cpu_seconds: float

    def line(self) -> str:
        """The table row."""
        rate = self.rows / self.seconds if self.seconds else float("inf")
        per_million = self.cpu_seconds / self.rows * 1e6 if self.rows else 0.0
        return f"{self.name:<16} {self.rows:>10,} {rate:>12,.0f} {per_million:>14.2f}"


class Sandbox:
    """`sandbox serve` in a subprocess, with its URLs and a CPU-time reader."""

    def __init__(self) -> None:
        """Start the server and read its two URLs from its first lines."""
        argv = [sys.executable, "-m", "sandbox.cli", "serve", "--seed", "none"]
        argv += ["--domo-port", "0", "--eloqua-port", "0"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        urls: list[str] = []
        while len(urls) < 2:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("sandbox serve exited before printing its URLs")
            found = _URL.search(line)
            if found:
                urls.append(found.group())
        self.domo_url, self.eloqua_url = urls

    def cpu(self) -> float:
        """User + system CPU seconds the server has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def stop(self) -> None:
        """Terminate the server."""
        self.proc.terminate()
        self.proc.wait(timeout=10)


def measure(sandbox: Sandbox, name: str, action: Callable[[], int]) -> Figure:
    """Time `action` (which returns how many rows it moved) and the server's CPU meanwhile."""
    cpu, started = sandbox.cpu(), time.perf_counter()
    rows = action()
    seconds = time.perf_counter() - started
    return Figure(name, rows, seconds, sandbox.cpu() - cpu)


# ---- Domo ---------------------------------------------------------------------------------------
def domo_session(url: str) -> requests.Session:
    """A session holding a Domo access token of the default client."""
    http = requests.Session()
    response = http.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "data"},
        auth=(DomoControl.DEFAULT_CLIENT_ID, DomoControl.DEFAULT_CLIENT_SECRET),
    )
    response.raise_for_status()
    http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return http


def export_rows(http: requests.Session, url: str, dataset_id: str) -> int:
    """Read the whole CSV export; returns its line count."""
    headers = {"Accept": "text/csv"}
    with http.get(f"{url}/v1/datasets/{dataset_id}/data", headers=headers, stream=True) as r:
        r.raise_for_status()
        return sum(chunk.count(b"\n") for chunk in r.iter_content(1024 * 1024))


def query_pages(http: requests.Session, url: str, dataset_id: str, rows: int) -> list[bytes]:
    """Read the DataSet in pages of whole batches (~100k rows); returns the response bodies."""
    per_batch = max(1, rows // LOADS)
    step = max(1, PAGE_ROWS // per_batch)
    bodies = []
    for lower in range(0, LOADS, step):
        upper = min(LOADS, lower + step)
        # The emulator's query API, with bounds this loop computes.
        sql = (
            f"SELECT * FROM table WHERE `_BATCH_ID_` > {lower} "  # noqa: S608
            f"AND `_BATCH_ID_` <= {upper} ORDER BY `_BATCH_ID_` ASC"
        )
        response = http.post(f"{url}/v1/datasets/query/execute/{dataset_id}", json={"sql": sql})
        response.raise_for_status()
        bodies.append(response.content)
    return bodies


# ---- Eloqua -------------------------------------------------------------------------------------
def eloqua_session() -> requests.Session:
    """A session logged in as the default user."""
    http = requests.Session()
    company, user = EloquaControl.DEFAULT_COMPANY, EloquaControl.DEFAULT_USERNAME
    http.auth = (f"{company}\\{user}", EloquaControl.DEFAULT_PASSWORD)
    return http


def bench_definition(control: EloquaControl, http: requests.Session, bulk: str) -> str:
    """Create the bench custom object and an import definition of all its fields; its uri."""
    object_id = seed_bench(control)
    found = next(o for o in control.custom_objects() if int(o["id"]) == object_id)
    fields = {f["internalName"]: f["statement"] for f in found["fields"]}
    body = {
        "name": "sandbox speed",
        "fields": fields,
        "identifierFieldName": next(iter(fields)),
        "isSyncTriggeredOnImport": False,
    }
    response = http.post(f"{bulk}/customObjects/{object_id}/imports", json=body)
    response.raise_for_status()
    return str(response.json()["uri"])


def eloqua_rows(n: int, keys: list[str]) -> Iterator[dict[str, Any]]:
    """Benchmark rows as the target sends them: text values, dates as `YYYY-MM-DD HH:MM:SS`."""
    for row in bench_tuples(n, seed=1):
        identifier, email, first, last, company, _, amount, quantity, day, seen = row
        values = [
            str(identifier), first, last, str(quantity), amount, f"{day} 00:00:00",
            seen.replace("T", " "), email, company, str(identifier),
        ]  # fmt: skip
        yield dict(zip(keys, values, strict=True))


def post_bodies(n: int, keys: list[str]) -> list[tuple[bytes, int]]:
    """(JSON body, rows) pairs of about `POST_BYTES` each."""
    sample = orjson.dumps(next(eloqua_rows(1, keys)))
    per_post = max(1, POST_BYTES // (len(sample) + 1))
    rows = list(eloqua_rows(n, keys))
    return [
        (orjson.dumps(rows[i : i + per_post]), len(rows[i : i + per_post]))
        for i in range(0, n, per_post)
    ]


def pages_figure(sandbox: Sandbox, http: requests.Session, dataset_id: str, rows: int) -> Figure:
    """Time the query pages; the JSON is parsed after the clock stops (it is the client's cost)."""
    bodies: list[bytes] = []

    def read() -> int:
        bodies.extend(query_pages(http, sandbox.domo_url, dataset_id, rows))
        return 0

    figure = measure(sandbox, "query pages", read)
    figure.rows = sum(int(orjson.loads(body)["numRows"]) for body in bodies)
    return figure


def run(rows: int) -> list[Figure]:
    """Seed, measure and return the figures."""
    sandbox = Sandbox()
    try:
        domo = DomoControl(sandbox.domo_url)
        dataset_id = domo.generate_dataset("Speed", rows, loads=LOADS)
        http = domo_session(sandbox.domo_url)
        figures = [
            measure(sandbox, "export", lambda: export_rows(http, sandbox.domo_url, dataset_id)),
            pages_figure(sandbox, http, dataset_id, rows),
        ]
        figures += eloqua_figures(sandbox, rows)
    finally:
        sandbox.stop()
    return figures


def eloqua_figures(sandbox: Sandbox, rows: int) -> list[Figure]:
    """Stage every row in ~20 MB POSTs, syncing every 200k rows; time both sides."""
    control = EloquaControl(sandbox.eloqua_url)
    http = eloqua_session()
    bulk = f"{control.base_url}/api/bulk/2.0"
    uri = bench_definition(control, http, bulk)
    keys = list(http.get(f"{bulk}{uri}").json()["fields"])
    bodies = post_bodies(rows, keys)
    accept, apply = Figure("upload accept", 0, 0.0, 0.0), Figure("sync apply", 0, 0.0, 0.0)
    staged = 0
    for index, (body, count) in enumerate(bodies):
        post = measure(sandbox, "", partial(_post, http, f"{bulk}{uri}/data", body, count))
        _add(accept, post)
        staged += count
        if staged >= SYNC_ROWS or index == len(bodies) - 1:
            _add(apply, _sync(sandbox, http, bulk, uri, staged))
            staged = 0
    return [accept, apply]


def _post(http: requests.Session, url: str, body: bytes, n: int) -> int:
    response = http.post(url, data=body, headers={"Content-Type": "application/json"})
    response.raise_for_status()
    return n


def _sync(sandbox: Sandbox, http: requests.Session, bulk: str, uri: str, staged: int) -> Figure:
    created = http.post(f"{bulk}/syncs", json={"syncedInstanceUri": uri})
    created.raise_for_status()
    sync_uri = created.json()["uri"]

    def poll() -> int:
        status = http.get(f"{bulk}{sync_uri}").json()["status"]
        if status not in ("success", "warning"):
            raise RuntimeError(f"sync ended {status}")
        return staged

    return measure(sandbox, "", poll)


def _add(total: Figure, part: Figure) -> None:
    total.rows += part.rows
    total.seconds += part.seconds
    total.cpu_seconds += part.cpu_seconds


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print the table."""
    parser = argparse.ArgumentParser(prog="bench.sandbox_speed", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="DataSet and upload rows")
    args = parser.parse_args(argv)
    figures = run(args.rows)
    print(f"{'operation':<16} {'rows':>10} {'rows/s':>12} {'CPU s/1M rows':>14}")
    for figure in figures:
        print(figure.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
