"""Helpers for the reliability tests: the pipeline as real processes, Meltano-style state, checks.

A `Pipeline` owns one small demo DataSet and its custom object, runs `tap-domo | target-eloqua`
as two real processes joined by a pipe, and keeps state the way Meltano does: the last STATE
line the target printed (also when the run failed) is handed to the tap with `--state` on the
next run. The checks compare the custom object with the content expected from the Domo
emulator's rows (load order, last row per identifier wins), converted as the target converts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.domo.client import DomoControl
from sandbox.domo.seed import append_demo_load
from sandbox.domo.seed import seed_demo as seed_domo
from sandbox.eloqua.client import EloquaControl
from sandbox.eloqua.seed import seed_demo as seed_eloqua

from tests.e2e.support import (
    BIN,
    DEMO_MAPPING,
    REPO,
    SAMPLES,
    eloqua_value,
    expected_content,
    internal_names,
)

STREAM = "event_registrations"
BATCH_ID = "_BATCH_ID_"
TAP = str(BIN / "tap-domo")
TARGET = str(BIN / "target-eloqua")

# Domo routes (regular expressions matched in full against the request path).
DOMO_TOKEN = r"/oauth/token"
DOMO_DATASET = r"/v1/datasets/[0-9a-f-]+"
DOMO_QUERY = r"/v1/datasets/query/execute/[0-9a-f-]+"
DOMO_EXPORT = r"/v1/datasets/[0-9a-f-]+/data"
# Eloqua routes (the pod prefix is matched loosely: a pod move changes it).
ELOQUA_ID = r"/id"
_BULK = r"/pods/[^/]+/api/bulk/2\.0"
ELOQUA_CUSTOM_OBJECTS = _BULK + r"/customObjects"
ELOQUA_CUSTOM_OBJECT_REST = r"/pods/[^/]+/api/REST/2\.0/assets/customObject/\d+"
ELOQUA_FIELDS = _BULK + r"/customObjects/\d+/fields"
ELOQUA_IMPORT = _BULK + r"/customObjects/\d+/imports"
ELOQUA_DEFINITION = _BULK + r"/customObjects/\d+/imports/\d+"
ELOQUA_DATA = _BULK + r"/customObjects/\d+/imports/\d+/data"
ELOQUA_SYNCS = _BULK + r"/syncs"
ELOQUA_SYNC = _BULK + r"/syncs/\d+"
ELOQUA_LOGS = _BULK + r"/syncs/\d+/logs"

Route = tuple[str, str, str]  # (name, path regex, method)

#: Every route the pipeline calls, per service, as (name, path regex, method).
DOMO_ROUTES: list[Route] = [
    ("token", DOMO_TOKEN, "POST"),
    ("dataset", DOMO_DATASET, "GET"),
    ("query", DOMO_QUERY, "POST"),
    ("export", DOMO_EXPORT, "GET"),
]
ELOQUA_ROUTES: list[Route] = [
    ("id", ELOQUA_ID, "GET"),
    ("custom objects", ELOQUA_CUSTOM_OBJECTS, "GET"),
    ("custom object (REST)", ELOQUA_CUSTOM_OBJECT_REST, "GET"),
    ("fields", ELOQUA_FIELDS, "GET"),
    ("import definition", ELOQUA_IMPORT, "POST"),
    ("data", ELOQUA_DATA, "POST"),
    ("sync", ELOQUA_SYNCS, "POST"),
    ("sync status", ELOQUA_SYNC, "GET"),
    ("sync logs", ELOQUA_LOGS, "GET"),
    ("definition delete", ELOQUA_DEFINITION, "DELETE"),
]

#: The `Retry-After` (seconds) of the "429 Retry-After" transient kind.
RETRY_AFTER = 1.0


def transient_kinds(request_timeout: float, cut_after: int = 40) -> dict[str, dict[str, Any]]:
    """The transient faults a retry must get past, by name, as `add_fault` keyword arguments.

    A "read timeout" starts its response `request_timeout` + 1.5 s late; a "response cut" ends
    the body after `cut_after` bytes.
    """
    return {
        "429": {"action": "status", "status": 429},
        "429 Retry-After": {
            "action": "status", "status": 429, "headers": {"Retry-After": f"{RETRY_AFTER:g}"}
        },
        "500": {"action": "status", "status": 500},
        "502": {"action": "status", "status": 502},
        "503": {"action": "status", "status": 503},
        "dropped connection": {"action": "drop"},
        "response cut": {"action": "cut", "after_bytes": cut_after},
        "read timeout": {"action": "delay", "seconds": request_timeout + 1.5},
    }  # fmt: skip


@dataclass
class RunResult:
    """One finished (or killed) run of the pipe.

    Attributes:
        tap_rc: the tap's exit code (negative: killed by that signal).
        target_rc: the target's exit code.
        states: every STATE the target printed, in order.
        tap_err: the tap's stderr.
        target_err: the target's stderr.
        seconds: wall time of the run.
    """

    tap_rc: int
    target_rc: int
    states: list[dict[str, Any]]
    tap_err: str
    target_err: str
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether both processes exited 0."""
        return self.tap_rc == 0 and self.target_rc == 0

    @property
    def stderr(self) -> str:
        """Both stderrs, the tap's first."""
        return self.tap_err + self.target_err

    def failure_line(self) -> str:
        """The one line a failed process ended with (`tap-domo: …` or `target-eloqua: …`)."""
        for rc, err in ((self.target_rc, self.target_err), (self.tap_rc, self.tap_err)):
            if rc > 0:
                lines = [line for line in err.splitlines() if line.strip()]
                return lines[-1] if lines else ""
        return ""


@dataclass
class Running:
    """A pipe in flight: both processes, their output files, and when it started."""

    tap: subprocess.Popen[bytes]
    target: subprocess.Popen[bytes]
    out: Path
    tap_err: Path
    target_err: Path
    started: float = field(default_factory=time.monotonic)

    def printed_states(self) -> list[dict[str, Any]]:
        """The STATE lines the target has printed so far (complete lines only)."""
        text = self.out.read_text() if self.out.exists() else ""
        lines = text.split("\n")[:-1]
        return [json.loads(line) for line in lines if line.strip()]

    def kill(self, which: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to "tap", "target" or "both" (only processes this run started)."""
        procs = {"tap": [self.tap], "target": [self.target], "both": [self.tap, self.target]}
        for proc in procs[which]:
            if proc.poll() is None:
                proc.send_signal(sig)

    def wait(self, timeout: float = 90) -> RunResult:
        """Wait for both processes (killing both on a hang) and collect the result."""
        try:
            target_rc = self.target.wait(timeout=timeout)
            tap_rc = self.tap.wait(timeout=max(timeout - (time.monotonic() - self.started), 5))
        except subprocess.TimeoutExpired:
            self.kill("both")
            self.tap.wait()
            self.target.wait()
            raise AssertionError(
                "the pipe hung: " + self.tap_err.read_text()[-1500:] + self.target_err.read_text()
            ) from None
        return RunResult(
            tap_rc=tap_rc,
            target_rc=target_rc,
            states=self.printed_states(),
            tap_err=self.tap_err.read_text(),
            target_err=self.target_err.read_text(),
            seconds=time.monotonic() - self.started,
        )


class Pipeline:
    """One demo DataSet → custom object pair, and the state Meltano would keep between runs."""

    def __init__(
        self,
        domo: DomoControl,
        eloqua: EloquaControl,
        work: Path,
        *,
        loads: int = 3,
        rows_per_load: int = 30,
        tap: dict[str, Any] | None = None,
        target: dict[str, Any] | None = None,
    ) -> None:
        self.domo = domo
        self.eloqua = eloqua
        self.work = work
        self.dataset_id = seed_domo(domo, loads=loads, rows_per_load=rows_per_load)
        emails = sorted({row["Email"] for row in domo.dataset_rows(self.dataset_id)})
        self.custom_object_id = seed_eloqua(eloqua, contact_emails=emails[::10])
        self.names = internal_names(eloqua, self.custom_object_id)
        self.tap_config: dict[str, Any] = {
            "client_id": domo.DEFAULT_CLIENT_ID,
            "client_secret": domo.DEFAULT_CLIENT_SECRET,
            "api_url": domo.url,
            "datasets": [{"id": self.dataset_id, "stream_name": STREAM}],
            **(tap or {}),
        }
        self.target_config: dict[str, Any] = {
            **json.loads((SAMPLES / "target-eloqua.sandbox.json").read_text()),
            "login_url": eloqua.login_url,
            "sync_poll_interval": 0.05,
            "reject_file": str(work / "rejects.jsonl"),
            **(target or {}),
        }
        self.state: dict[str, Any] | None = None
        self.runs = 0

    # ---- running --------------------------------------------------------------------------
    def start(
        self, *, tap: dict[str, Any] | None = None, target: dict[str, Any] | None = None
    ) -> Running:
        """Start `tap-domo --config … [--state …] | target-eloqua --config …`."""
        self.runs += 1
        run_dir = self.work / f"run{self.runs}"
        run_dir.mkdir(parents=True)
        tap_config = run_dir / "tap.json"
        tap_config.write_text(json.dumps({**self.tap_config, **(tap or {})}))
        target_config = run_dir / "target.json"
        target_config.write_text(json.dumps({**self.target_config, **(target or {})}))
        tap_argv = [TAP, "--config", str(tap_config)]
        if self.state is not None:
            state_file = run_dir / "state.json"
            state_file.write_text(json.dumps(self.state))
            tap_argv += ["--state", str(state_file)]
        env = {**os.environ, "NO_COLOR": "1"}
        out, tap_err, target_err = (run_dir / n for n in ("out.jsonl", "tap.err", "target.err"))
        with tap_err.open("wb") as terr, target_err.open("wb") as gerr, out.open("wb") as sout:
            tap_proc = subprocess.Popen(
                tap_argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=terr
            )
            target_proc = subprocess.Popen(
                [TARGET, "--config", str(target_config)],
                cwd=REPO, env=env, stdin=tap_proc.stdout, stdout=sout, stderr=gerr,
            )  # fmt: skip
        assert tap_proc.stdout is not None
        tap_proc.stdout.close()  # the target holds the read end now
        return Running(tap_proc, target_proc, out, tap_err, target_err)

    def run(
        self,
        *,
        tap: dict[str, Any] | None = None,
        target: dict[str, Any] | None = None,
        during: Callable[[Running], None] | None = None,
        timeout: float = 90,
    ) -> RunResult:
        """Run the pipe to its end and keep the last STATE the target printed (as Meltano does).

        `during` is called once the processes are started (e.g. to expire tokens mid-run).
        """
        running = self.start(tap=tap, target=target)
        try:
            if during is not None:
                during(running)
        finally:
            result = running.wait(timeout)
        self.keep_state(result)
        return result

    def run_complete_then_load(self, *loads: tuple[int, int]) -> dict[str, Any]:
        """A complete run, then new loads of (rows, seed); returns the state that run kept."""
        first = self.run()
        assert first.ok, first.stderr[-4000:]
        for rows, seed in loads:
            self.append_load(rows, seed=seed)
        assert self.state is not None
        return self.state

    def clear_faults(self) -> None:
        """Remove every fault rule from both emulators."""
        self.domo.clear_faults()
        self.eloqua.clear_faults()

    def assert_next_run_exact(self) -> None:
        """The next run completes and leaves exactly the expected content."""
        again = self.run()
        assert again.ok, again.stderr[-4000:]
        self.assert_exact()

    def keep_state(self, result: RunResult) -> None:
        """Meltano stores the STATE lines the target printed, also of a failed run."""
        if result.states:
            self.state = result.states[-1]

    def append_load(self, rows: int, seed: int) -> int:
        """A new Domo load (about a quarter of it updates earlier identifiers)."""
        return append_demo_load(self.domo, self.dataset_id, rows=rows, seed=seed)

    # ---- what is where --------------------------------------------------------------------
    @property
    def email_key(self) -> str:
        """The internal name of the identifier field."""
        return self.names["Email Address"]

    def last_batch(self) -> int:
        """The highest `_BATCH_ID_` of the DataSet."""
        return max(int(row[BATCH_ID]) for row in self.domo.dataset_rows(self.dataset_id))

    def expected(self) -> dict[str, dict[str, Any]]:
        """The content the custom object must hold after a complete run."""
        return expected_content(self.domo, self.dataset_id, self.names)

    def records(self) -> list[dict[str, Any]]:
        """The custom object's records (each as its fields)."""
        return [r["fields"] for r in self.eloqua.records(self.custom_object_id)]

    def state_batch(self) -> int | None:
        """The batch the kept state names, or None."""
        if self.state is None:
            return None
        value = self.state["bookmarks"][STREAM]["replication_key_value"]
        return int(value)

    def final_state(self) -> dict[str, Any]:
        """The state a complete run must leave."""
        return {
            "bookmarks": {
                STREAM: {"replication_key": BATCH_ID, "replication_key_value": self.last_batch()}
            }
        }

    # ---- checks ---------------------------------------------------------------------------
    def diff(self) -> tuple[int, int, int]:
        """(rows lost, rows duplicated, rows with wrong values) against the expected content."""
        expected = self.expected()
        records = self.records()
        seen: dict[str, int] = {}
        for record in records:
            seen[record[self.email_key]] = seen.get(record[self.email_key], 0) + 1
        lost = sum(1 for email in expected if email not in seen)
        duplicated = sum(count - 1 for count in seen.values())
        by_email = {r[self.email_key]: r for r in records}
        wrong = sum(1 for email, want in expected.items() if by_email.get(email, want) != want)
        extra = sum(1 for email in seen if email not in expected)
        return lost, duplicated, wrong + extra

    def assert_exact(self) -> None:
        """The custom object equals the expected content and the state names the last batch."""
        expected = self.expected()
        records = self.records()
        emails = [r[self.email_key] for r in records]
        assert len(emails) == len(set(emails)), "an identifier landed twice"
        actual = {r[self.email_key]: r for r in records}
        missing = sorted(set(expected) - set(actual))
        assert not missing, f"{len(missing)} rows lost, e.g. {missing[:3]}"
        assert actual == expected
        assert self.state == self.final_state()

    def assert_state_covers_only_committed(self) -> None:
        """Every row of every batch up to the kept state's batch is in Eloqua.

        Its value is the one of its last row up to that batch, or of a later row (a later batch
        may already be committed without its STATE): never an older value, never absent.
        """
        bookmark = self.state_batch()
        if bookmark is None:
            return
        history: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for row in self.domo.dataset_rows(self.dataset_id):
            value = {
                self.names[f]: eloqua_value(column, row[column])
                for f, column in DEMO_MAPPING.items()
            }
            history.setdefault(row["Email"], []).append((int(row[BATCH_ID]), value))
        actual = {r[self.email_key]: r for r in self.records()}
        for email, versions in history.items():
            covered = [i for i, (batch, _) in enumerate(versions) if batch <= bookmark]
            if not covered:
                continue
            allowed = [value for _, value in versions[covered[-1] :]]
            assert email in actual, f"state names batch {bookmark} but {email} is not in Eloqua"
            assert actual[email] in allowed, f"{email} holds a value older than the state"


def one_line_failure(result: RunResult, prefix: str) -> str:
    """Check a failed run ended with one clear line and no traceback; return that line."""
    assert not result.ok
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    line = result.failure_line()
    assert line.startswith(prefix), result.stderr[-3000:]
    return line


def wait_for(condition: Callable[[], bool], timeout: float = 30, step: float = 0.02) -> None:
    """Poll until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(step)
