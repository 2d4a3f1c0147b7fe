"""Helpers for the bad-input and security tests: plugin processes, configs, checks of the output.

The plugins run as real processes (`.venv/bin/tap-domo`, `.venv/bin/target-eloqua`) against the
session's emulators. A *clear failure* is a non-zero exit whose last stderr line is one line of
the plugin's own (`tap-domo: …` / `target-eloqua: …`) naming what to fix, or, for config the
SDK's JSON Schema validation refuses, the SDK's `Config validation failed` after a line naming
the setting as `config['<setting>']`; never a Python traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.domo.client import DomoControl
from sandbox.eloqua.client import EloquaControl

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TAP = str(BIN / "tap-domo")
TARGET = str(BIN / "target-eloqua")
COMPANY, USERNAME, PASSWORD = "SandboxCo", "api.user", "sandbox-password"
# Requests that change something in Eloqua: import definitions, uploads, syncs, deletions.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Run:
    """A finished plugin process."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        """The last non-empty stderr line."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Stdout's JSON lines (Singer messages for the tap, state values for the target)."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def describe(self) -> str:
        """The run's tail, for assertion messages."""
        return f"exit {self.returncode}; stderr tail:\n{self.stderr[-2500:]}"


def run(
    argv: Sequence[str],
    *,
    stdin: str | bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Run:
    """Run a process from the repository root, capturing its output as text."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        list(argv),
        cwd=REPO,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        input=data if data is not None else b"",
        capture_output=True,
        timeout=timeout,
    )
    return Run(
        list(argv),
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def write_config(directory: Path, name: str, config: dict[str, Any] | str) -> Path:
    """A config file: a dict as JSON, or raw text (for malformed files)."""
    path = directory / name
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return path


def run_tap(config: dict[str, Any] | str, directory: Path | None = None, **kw: Any) -> Run:
    """`tap-domo --config <file>` with this config."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_config(directory or Path(tmp), "tap.json", config)
        return run([TAP, "--config", str(path)], **kw)


def run_target(
    config: dict[str, Any] | str, stdin: str | bytes = "", directory: Path | None = None, **kw: Any
) -> Run:
    """`target-eloqua --config <file>` reading `stdin`."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_config(directory or Path(tmp), "target.json", config)
        return run([TARGET, "--config", str(path)], stdin=stdin, **kw)


def tap_config(domo: DomoControl, dataset_ids: Iterable[str], **overrides: Any) -> dict[str, Any]:
    """A tap config for the session's Domo emulator (default client)."""
    config: dict[str, Any] = {
        "client_id": DomoControl.DEFAULT_CLIENT_ID,
        "client_secret": DomoControl.DEFAULT_CLIENT_SECRET,
        "api_url": domo.url,
        "datasets": [{"id": guid} for guid in dataset_ids],
    }
    config.update(overrides)
    return config


def target_config(
    eloqua: EloquaControl,
    custom_object: int | str,
    identifier: tuple[str, str],
    optional: Sequence[tuple[str, str]] = (),
    **overrides: Any,
) -> dict[str, Any]:
    """A target config for the session's Eloqua emulator (default user)."""
    config: dict[str, Any] = {
        "company": COMPANY,
        "username": USERNAME,
        "password": PASSWORD,
        "login_url": eloqua.login_url,
        "custom_object": custom_object,
        "identifier_field": {"eloqua_field": identifier[0], "dataset_field": identifier[1]},
        "optional_fields": [{"eloqua_field": e, "dataset_field": d} for e, d in optional],
        "sync_poll_interval": 0.05,
    }
    config.update(overrides)
    return config


def pipe(tap_cfg: dict[str, Any], target_cfg: dict[str, Any], directory: Path) -> tuple[Run, Run]:
    """`tap-domo | target-eloqua`, one after the other (the tap's stdout is the target's stdin)."""
    tap = run([TAP, "--config", str(write_config(directory, "tap.json", tap_cfg))])
    target_path = write_config(directory, "target.json", target_cfg)
    target = run([TARGET, "--config", str(target_path)], stdin=tap.stdout)
    return tap, target


def eloqua_writes(eloqua: EloquaControl) -> list[str]:
    """Every Eloqua API request that changes something (method and path)."""
    return [
        f"{entry['method']} {entry['path']}"
        for entry in eloqua.requests()
        if entry["method"] in WRITE_METHODS
    ]


def assert_clear_failure(result: Run, plugin: str, names: Sequence[str]) -> None:
    """Non-zero exit, no traceback, and one line naming one of `names` (see the module doc)."""
    assert result.returncode != 0, result.describe()
    assert "Traceback" not in result.stderr, result.describe()
    last = result.last_line
    if last.startswith(f"{plugin}: "):
        named = [line for line in [last] if any(name in line for name in names)]
    else:
        # The SDK's own validation: "… in config['page_size']" lines, then this last line.
        assert last.endswith("| Config validation failed"), result.describe()
        named = [
            line
            for line in result.stderr.splitlines()
            if "ERROR" in line and any(f"'{name}'" in line for name in names)
        ]
    assert named, f"no line names {list(names)}; {result.describe()}"


def assert_one_line_error(result: Run, plugin: str, expected: str) -> None:
    """Non-zero exit, no traceback, and the last stderr line is the plugin's own, containing
    `expected` (a regular expression)."""
    assert result.returncode != 0, result.describe()
    assert "Traceback" not in result.stderr, result.describe()
    assert result.last_line.startswith(f"{plugin}: "), result.describe()
    assert re.search(expected, result.last_line), result.describe()


def reject_lines(path: Path) -> list[dict[str, Any]]:
    """The reject file's JSON lines ([] when it was never written)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ---- SQL ---------------------------------------------------------------------------------------

_SQL_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<ident>`[^`]*`)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[(),*=<>]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
SQL_KEYWORDS = frozenset(
    {"SELECT", "FROM", "WHERE", "AND", "GROUP", "BY", "ORDER", "ASC", "DESC", "LIMIT", "OFFSET",
     "AS", "COUNT", "MAX", "MIN", "table"}
)  # fmt: skip


def sql_problems(sql: str, columns: Iterable[str]) -> list[str]:
    """What makes a statement other than the tap's well-formed reads of these columns.

    Well formed: one statement of keywords, numbers and backtick-quoted identifiers that are
    exactly the DataSet's column names or the tap's own aliases; no comment, no semicolon, no
    string literal, and no stray character outside the identifiers.

    Returns:
        One message per problem ([] for a well-formed statement).
    """
    allowed = set(columns) | {"max_batch", "row_count"}
    problems: list[str] = []
    for match in _SQL_TOKEN.finditer(sql):
        kind, text = match.lastgroup, match.group()
        if kind in ("space", "number", "punct"):
            continue
        if kind == "ident":
            if text[1:-1] not in allowed:
                problems.append(f"identifier {text!r} is not a column of the DataSet")
        elif kind == "word":
            if text not in SQL_KEYWORDS and text.upper() not in SQL_KEYWORDS:
                problems.append(f"bare word {text!r}")
        else:
            problems.append(f"{kind} token {text!r}")
    return problems
