"""`make bench`: the pipeline beside its floor and a default SDK pair, on the same data.

Seeds the sandbox (in a process of its own) with an N-row, 10-column DataSet over ~100 loads and a
matching custom object, then measures, each several times on the same data:

1. floor     raw msgspec producer | raw msgspec consumer of the same RECORD lines, no SDK
2. tap       `tap-domo > /dev/null`, once per read method
3. target    `target-eloqua < captured tap output`
4. pipeline  `tap-domo | target-eloqua` (a first full load)
5. increment the pipeline again, from its state, after one new load of 1% of the rows
6. peer      a default singer-sdk tap | a default singer-sdk target whose sink does nothing
7. memory    the pipeline once more on a DataSet a fifth the size, to set its peak RSS beside the
             full-size run's (flat memory: the same peaks at N/5 and N rows)

and prints rows/s and MB/s (median, min-max), peak RSS per process, HTTP requests, data POSTs
and syncs, and each ratio to the floor; the figures also go to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import harness
from bench.procs import PipelineResult, Step, run_pipeline

PY = sys.executable


@dataclass
class Scenario:
    """The figures of one measured scenario."""

    name: str
    rows: int
    stream_bytes: int
    seconds: list[float] = field(default_factory=list)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    domo_requests: int = 0
    eloqua_requests: int = 0
    posts: int = 0
    syncs: int = 0
    rows_read: int = 0

    def add(self, result: PipelineResult) -> None:
        """Record one run (it must have succeeded)."""
        failed = [p.name for p in result.processes if p.returncode != 0]
        if failed:
            raise SystemExit(f"bench: {self.name}: {', '.join(failed)} failed")
        self.seconds.append(result.seconds)
        for process in result.processes:
            self.peak_rss_mb[process.name] = max(
                self.peak_rss_mb.get(process.name, 0.0), round(process.peak_rss_mb, 1)
            )
            self.cpu_seconds[process.name] = round(process.cpu_seconds, 2)

    def rates(self) -> tuple[float, float, float]:
        """Median, min and max rows/s."""
        rates = [self.rows / s for s in self.seconds]
        return statistics.median(rates), min(rates), max(rates)

    def to_json(self, floor: float) -> dict[str, Any]:
        """Everything, plus the derived rates."""
        median, low, high = self.rates()
        mb = self.stream_bytes / 1e6 / statistics.median(self.seconds)
        return {
            **asdict(self),
            "rows_per_s": {"median": round(median), "min": round(low), "max": round(high)},
            "mb_per_s": round(mb, 1),
            "ratio_to_floor": round(median / floor, 3) if floor else None,
        }


class Bench:
    """Runs every scenario against one sandbox."""

    def __init__(
        self,
        sandbox: harness.Sandbox,
        work: Path,
        rows: int,
        runs: int,
        plugin_venvs: Path | None = None,
    ) -> None:
        """Seed the data and write the configs.

        `plugin_venvs` holds one virtualenv per plugin (`make bench` builds them, each with only
        the plugin's runtime dependencies, as Meltano installs it); None runs the plugins from
        the workspace's own environment.
        """
        self.sandbox, self.work, self.runs = sandbox, work, runs
        self.plugin_venvs = plugin_venvs
        self.dataset = harness.seed_dataset(sandbox.domo, "bench", rows, loads=100, seed=1)
        self.co = harness.fresh_custom_object(sandbox.eloqua)
        self.capture = work / "tap-output.singer"
        self.logs = work / "logs"
        self.logs.mkdir()

    def config(self, name: str, data: dict[str, Any]) -> str:
        """Write a config file; return its path."""
        return str(harness.write_json(self.work / f"{name}.json", data))

    def exe(self, plugin: str) -> str:
        """The plugin's executable."""
        if self.plugin_venvs is None:
            return str(harness.BIN / plugin)
        return str(self.plugin_venvs / plugin / "bin" / plugin)

    def sdk_python(self) -> str:
        """The peer pair's interpreter: one with the SDK and the plugins' libraries only."""
        if self.plugin_venvs is None:
            return PY
        return str(self.plugin_venvs / "target-eloqua" / "bin" / "python")

    def tap(self, read_method: str) -> Step:
        """The tap over the benchmark DataSet."""
        config = harness.tap_config(self.sandbox.domo, self.dataset, read_method)
        return Step(
            "tap-domo",
            [self.exe("tap-domo"), "--config", self.config(f"tap-{read_method}", config)],
        )

    def target(self, *, fresh: bool = True) -> Step:
        """The target into the benchmark custom object, created afresh unless `fresh` is false."""
        if fresh:
            self.co = harness.fresh_custom_object(self.sandbox.eloqua)
        config = harness.target_config(self.sandbox.eloqua, self.co)
        return Step(
            "target-eloqua",
            [self.exe("target-eloqua"), "--config", self.config("target", config)],
        )

    def measure(
        self, scenario: Scenario, steps_for_run: Any, runs: int | None = None, **kwargs: Any
    ) -> Scenario:
        """Run a pipeline `runs` times (default `--runs`), clearing the request logs before each."""
        eloqua = self.sandbox.eloqua
        for _ in range(self.runs if runs is None else runs):
            steps = steps_for_run()
            self.sandbox.domo.clear_requests()
            eloqua.clear_requests()
            posts, syncs = len(eloqua.uploads()), len(eloqua.syncs())
            scenario.add(run_pipeline(steps, stderr_dir=self.logs, **kwargs))
            scenario.domo_requests = len(self.sandbox.domo.requests())
            scenario.eloqua_requests = len(eloqua.requests())
            scenario.posts = len(eloqua.uploads()) - posts
            scenario.syncs = len(eloqua.syncs()) - syncs
        return scenario

    def check_landed(self, expected: int) -> None:
        """Every row of the DataSet is a record of the custom object, once."""
        records = len(self.sandbox.eloqua.records(self.co))
        if records != expected:
            raise SystemExit(f"bench: {records} records landed, expected {expected}")

    def run_all(self) -> list[Scenario]:
        """Every scenario, in the order of the module docstring."""
        rows = self.dataset.rows
        run_pipeline([self.tap("query")], stdout_path=self.capture, stderr_dir=self.logs)
        size = self.capture.stat().st_size
        results = [
            self.measure(
                Scenario("floor (msgspec pipe)", rows, size),
                lambda: [
                    Step("producer", [PY, "-m", "bench.floor", "produce", str(self.capture)]),
                    Step("consumer", [PY, "-m", "bench.floor", "consume"]),
                ],
            )
        ]
        for method in ("query", "export"):
            results.append(
                self.measure(
                    Scenario(f"tap > /dev/null ({method})", rows, size),
                    lambda m=method: [self.tap(m)],
                )
            )
        results.append(
            self.measure(
                Scenario("target < file", rows, size),
                lambda: [self.target()],
                stdin_path=self.capture,
            )
        )
        self.check_landed(rows)
        pipeline = self.measure(
            Scenario("tap | target (full load)", rows, size),
            lambda: [self.tap("auto"), self.target()],
            stdout_path=self.work / "state.json",
        )
        self.check_landed(rows)
        results.append(pipeline)
        results.append(self.increment())
        results.append(
            self.measure(
                Scenario("peer: default SDK pair", rows, size),
                lambda: [
                    Step(
                        "sdk-tap", [self.sdk_python(), "-m", "bench.peer", "tap", str(self.capture)]
                    ),
                    Step("sdk-target", [self.sdk_python(), "-m", "bench.peer", "target"]),
                ],
            )
        )
        results.append(self.memory_check(max(1_000, rows // 5)))
        return results

    def memory_check(self, rows: int) -> Scenario:
        """The full-load pipeline once on a smaller DataSet: its peak RSS, to compare with N's."""
        small = harness.seed_dataset(self.sandbox.domo, "bench-small", rows, loads=20, seed=2)
        config = harness.tap_config(self.sandbox.domo, small, "auto")
        tap = Step(
            "tap-domo",
            [self.exe("tap-domo"), "--config", self.config("tap-small", config)],
        )
        scenario = Scenario(f"memory: pipeline at {rows:,} rows", rows, 0)
        self.measure(scenario, lambda: [tap, self.target()], runs=1)
        self.check_landed(rows)
        return scenario

    def increment(self) -> Scenario:
        """Append a 1% load, then run the pipeline from the full run's state."""
        new_rows = max(1, self.dataset.rows // 100)
        harness.append_load(self.sandbox.domo, self.dataset, new_rows, seed=99)
        state_lines = (self.work / "state.json").read_text().splitlines()
        state = self.work / "state-in.json"
        state.write_text(state_lines[-1])
        tap = self.tap("auto")
        tap.argv = [*tap.argv, "--state", str(state)]
        scenario = Scenario("increment (1% new rows)", new_rows, 0, rows_read=new_rows)
        # Into the custom object the full load filled: the new rows are added to it.
        self.measure(scenario, lambda: [tap, self.target(fresh=False)], runs=1)
        self.check_landed(self.dataset.rows + new_rows)
        return scenario


def print_table(results: list[Scenario], floor: float) -> None:
    """The readable table."""
    head = (
        f"{'scenario':<28} {'rows/s (median, min-max)':>30} {'MB/s':>6} {'x floor':>8} "
        f"{'peak RSS MB':>26} {'requests D/E':>13} {'POSTs':>6} {'syncs':>6}"
    )
    print(head)
    print("-" * len(head))
    for s in results:
        median, low, high = s.rates()
        rss = ", ".join(f"{k} {v:.0f}" for k, v in s.peak_rss_mb.items())
        mb = s.stream_bytes / 1e6 / statistics.median(s.seconds) if s.stream_bytes else 0.0
        print(
            f"{s.name:<28} {median:>12,.0f} ({low:>7,.0f}-{high:>7,.0f}) {mb:>6.1f} "
            f"{median / floor:>8.2f} {rss:>26} {s.domo_requests:>6}/{s.eloqua_requests:<6} "
            f"{s.posts:>6} {s.syncs:>6}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/latest.json"))
    parser.add_argument(
        "--plugin-venvs",
        type=Path,
        default=None,
        help="run each plugin from DIR/<plugin>/bin (default: the workspace's environment)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, harness.sandbox_process() as sandbox:
        plugin_venvs = args.plugin_venvs.resolve() if args.plugin_venvs else None
        bench = Bench(sandbox, Path(tmp), args.rows, args.runs, plugin_venvs)
        results = bench.run_all()
    floor = results[0].rates()[0]
    print_table(results, floor)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "runs": args.runs,
                "plugins_from": str(args.plugin_venvs or "workspace environment"),
                "scenarios": [s.to_json(floor) for s in results],
            },
            indent=2,
        )
    )
    print(f"\nfigures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
