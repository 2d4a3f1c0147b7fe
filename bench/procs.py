"""Run a shell-free pipeline of processes and measure it: wall time, peak RSS per process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ProcessResult:
    """What one process of a pipeline used."""

    name: str
    returncode: int
    peak_rss_mb: float
    cpu_seconds: float


@dataclass
class PipelineResult:
    """One timed run of a pipeline."""

    seconds: float
    processes: list[ProcessResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every process exited 0."""
        return all(p.returncode == 0 for p in self.processes)


@dataclass
class Step:
    """One process of a pipeline: a name, its argv, and optionally its own environment."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None


def run_pipeline(
    steps: Sequence[Step],
    *,
    stdin_path: Path | None = None,
    stdout_path: Path | None = None,
    stderr_dir: Path | None = None,
    timeout: float = 3600,
) -> PipelineResult:
    """Run `steps[0] | steps[1] | ...`, wait for all, and measure each (see `bench.launch`)."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL  # noqa: SIM115
    final_out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
    procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    usage_tmp = tempfile.TemporaryDirectory(prefix="bench-usage-")
    usage_dir = Path(usage_tmp.name)
    started = time.perf_counter()
    previous = stdin
    try:
        for index, step in enumerate(steps):
            last = index == len(steps) - 1
            err = (
                open(stderr_dir / f"{step.name}.stderr", "wb")  # noqa: SIM115
                if stderr_dir
                else subprocess.DEVNULL
            )
            env = {**os.environ, **(step.env or {})}
            usage_path = usage_dir / f"{index}-{step.name}.json"
            launcher = [sys.executable, "-m", "bench.launch", str(usage_path), "--"]
            proc = subprocess.Popen(
                [*launcher, *step.argv],
                stdin=previous,
                stdout=final_out if last else subprocess.PIPE,
                stderr=err,
                env=env,
                # Its own process group: a timeout kills the launcher and the plugin it forked.
                start_new_session=True,
            )
            if previous not in (subprocess.DEVNULL, stdin) and hasattr(previous, "close"):
                previous.close()  # the child holds its own copy of the pipe's read end
            previous = proc.stdout if proc.stdout is not None else subprocess.DEVNULL
            procs.append((step.name, proc, usage_path))
        results = [_wait(name, proc, path, started + timeout) for name, proc, path in procs]
    finally:
        for _, proc, _ in procs:
            if proc.poll() is None:  # interrupted (e.g. Ctrl-C): leave no plugin behind
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for handle in (stdin, final_out):
            if hasattr(handle, "close"):
                handle.close()
        usage_tmp.cleanup()
    return PipelineResult(seconds=time.perf_counter() - started, processes=results)


def _wait(
    name: str, proc: subprocess.Popen[bytes], usage_path: Path, deadline: float
) -> ProcessResult:
    """Wait for one launched step; its own rusage comes from the launcher's file."""
    try:
        proc.wait(timeout=max(0.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    usage = json.loads(usage_path.read_text()) if usage_path.exists() else {}
    return ProcessResult(
        name=name,
        returncode=proc.returncode,
        peak_rss_mb=usage.get("peak_rss_kb", 0) / 1024,
        cpu_seconds=usage.get("cpu_seconds", 0.0),
    )
