"""Process faults: kills and signals at the worst moments, then a re-run to exact content."""

from __future__ import annotations

import signal
import time

import pytest

from tests.e2e.support import (
    MELTANO,
    REPO,
    meltano_install,
    meltano_singer_state,
    sandbox_meltano_env,
)
from tests.e2e.support import run as run_command
from tests.reliability.support import (
    DOMO_QUERY,
    ELOQUA_DEFINITION,
    ELOQUA_LOGS,
    ELOQUA_SYNC,
    ELOQUA_SYNCS,
    Pipeline,
    Running,
    RunResult,
    one_line_failure,
    wait_for,
)

pytestmark = pytest.mark.e2e


def _recovers(pipeline: Pipeline) -> None:
    pipeline.clear_faults()
    pipeline.eloqua.sync_schedule("immediate")
    pipeline.assert_next_run_exact()


def _signal_target_while_sync_pending(
    pipeline: Pipeline, seed: int, sig: int
) -> tuple[int | None, RunResult]:
    """A complete run and a new load of 20 rows (`seed`), then a run whose sync stays pending
    and whose target gets `sig` once it has polled the sync twice.

    Returns the batch the first run committed and the signalled run.
    """
    pipeline.run_complete_then_load((20, seed))
    committed = pipeline.state_batch()
    pipeline.eloqua.sync_schedule("polls", pending_polls=1_000_000)

    def signal_target(running: Running) -> None:
        wait_for(lambda: len(pipeline.eloqua.requests(ELOQUA_SYNC + "$")) >= 2)
        running.kill("target", sig)

    return committed, pipeline.run(during=signal_target)


def test_tap_killed_mid_batch_loses_nothing(domo, eloqua, tmp_path):
    # page_size 10 < 20 rows per load: each new batch is read in two pages; the second page of
    # the first new batch is held back, and the tap is killed with half that batch emitted.
    pipeline = Pipeline(domo, eloqua, tmp_path, tap={"page_size": 10, "read_method": "query"})
    pipeline.run_complete_then_load((20, 201), (20, 202))
    committed = pipeline.state_batch()
    # Queries: MAX, the plan, then pages of 10 rows; the 4th (batch 4, rows 11-20) is held.
    domo.add_fault(DOMO_QUERY, method="POST", action="delay", seconds=30, skip=3)

    def kill_tap(running: Running) -> None:
        wait_for(lambda: len(domo.requests(DOMO_QUERY)) >= 3)
        time.sleep(0.5)
        running.kill("tap")

    killed = pipeline.run(during=kill_tap)

    assert killed.tap_rc == -signal.SIGKILL
    assert pipeline.state_batch() == committed
    pipeline.assert_state_covers_only_committed()
    _recovers(pipeline)


def test_target_killed_while_sync_pending_loses_nothing(domo, eloqua, tmp_path):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    committed, killed = _signal_target_while_sync_pending(pipeline, 211, signal.SIGKILL)

    assert killed.target_rc == -signal.SIGKILL
    assert killed.states == []
    assert pipeline.state_batch() == committed
    assert eloqua.syncs()[-1]["status"] == "pending"
    pipeline.assert_state_covers_only_committed()
    _recovers(pipeline)


@pytest.mark.parametrize(
    ("held", "method"),
    [
        pytest.param(ELOQUA_LOGS, "GET", id="logs-after-terminal-poll-held"),
        pytest.param(ELOQUA_DEFINITION, "DELETE", id="definition-delete-held"),
    ],
)
def test_both_killed_between_sync_success_and_state(domo, eloqua, tmp_path, held, method):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    pipeline.run_complete_then_load((20, 221))
    committed = pipeline.state_batch()
    eloqua.sync_schedule("polls", pending_polls=2)
    eloqua.add_fault(held, method=method, action="delay", seconds=60)

    def kill_both(running: Running) -> None:
        # The third status poll is the terminal one: the sync has written its rows.
        wait_for(lambda: len(eloqua.requests(ELOQUA_SYNC + "$")) >= 3)
        if method == "DELETE":
            wait_for(lambda: len(eloqua.requests(ELOQUA_LOGS)) >= 1)
        time.sleep(0.5)
        running.kill("both")

    killed = pipeline.run(during=kill_both)

    assert killed.target_rc == -signal.SIGKILL
    assert eloqua.syncs()[-1]["status"] == "success"
    # Either no STATE (logs held) or the STATE of the committed rows (DELETE comes last).
    assert pipeline.state_batch() in {committed, pipeline.last_batch()}
    if method == "GET":
        assert killed.states == []
    pipeline.assert_state_covers_only_committed()
    _recovers(pipeline)


def test_sigterm_during_drain_acknowledges_nothing_uncommitted(domo, eloqua, tmp_path):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    committed, stopped = _signal_target_while_sync_pending(pipeline, 231, signal.SIGTERM)

    line = one_line_failure(stopped, "target-eloqua: ")
    assert line == (
        "target-eloqua: stopped by signal 15 while committing to Eloqua; no STATE was emitted "
        "for uncommitted rows, which are sent again on the next run"
    )
    assert stopped.states == []
    assert pipeline.state_batch() == committed
    pipeline.assert_state_covers_only_committed()
    _recovers(pipeline)


# ---- real `meltano run`s --------------------------------------------------------------------


@pytest.fixture(scope="module")
def meltano_installed() -> None:
    """`meltano install` unless the plugins' venvs are there already."""
    if not (REPO / ".meltano" / "loaders" / "target-eloqua" / "venv").exists():
        meltano_install(timeout=600)


def test_meltano_runs_through_faults_to_exact_content(domo, eloqua, tmp_path, meltano_installed):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    env = sandbox_meltano_env(domo, eloqua, tmp_path)
    meltano_run = [MELTANO, "run", "tap-domo", "target-eloqua"]
    # Transient faults on both sides: retried inside the run.
    domo.add_fault(DOMO_QUERY, method="POST", status=503)
    eloqua.add_fault(ELOQUA_SYNCS, method="POST", status=502)
    first = run_command(meltano_run, env, timeout=180)
    assert first.returncode == 0, first.stderr[-4000:]
    pipeline.state = meltano_singer_state(env)
    pipeline.assert_exact()

    # A failed sync: the run fails and Meltano keeps the committed state.
    pipeline.append_load(20, seed=241)
    eloqua.force_next_syncs("error")
    failed = run_command(meltano_run, env, timeout=180)
    assert failed.returncode != 0
    assert "target-eloqua: Eloqua sync" in failed.stderr
    assert "Traceback" not in failed.stderr.split("target-eloqua: Eloqua sync")[0][-3000:]
    assert meltano_singer_state(env) == {
        "bookmarks": {
            "event_registrations": {"replication_key": "_BATCH_ID_", "replication_key_value": 3}
        }
    }

    again = run_command(meltano_run, env, timeout=180)
    assert again.returncode == 0, again.stderr[-4000:]
    pipeline.state = meltano_singer_state(env)
    pipeline.assert_exact()
