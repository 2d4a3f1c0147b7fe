"""Process faults: kills and signals at the worst moments, then a re-run to exact content."""

from __future__ import annotations

import json
import signal
import time

import pytest

from tests.e2e.support import REPO, STATE_ID
from tests.e2e.support import run as run_command
from tests.reliability.support import (
    BIN,
    DOMO_QUERY,
    ELOQUA_DEFINITION,
    ELOQUA_LOGS,
    ELOQUA_SYNC,
    ELOQUA_SYNCS,
    Pipeline,
    Running,
    one_line_failure,
    wait_for,
)

pytestmark = pytest.mark.e2e


def _committed(pipeline: Pipeline, *loads: tuple[int, int]) -> int:
    """A complete first run, then new loads of (rows, seed); returns the committed batch."""
    first = pipeline.run()
    assert first.ok, first.stderr[-4000:]
    for rows, seed in loads:
        pipeline.append_load(rows, seed=seed)
    batch = pipeline.state_batch()
    assert batch is not None
    return batch


def _recovers(pipeline: Pipeline) -> None:
    pipeline.domo.clear_faults()
    pipeline.eloqua.clear_faults()
    pipeline.eloqua.sync_schedule("immediate")
    again = pipeline.run()
    assert again.ok, again.stderr[-4000:]
    pipeline.assert_exact()


def test_tap_killed_mid_batch_loses_nothing(domo, eloqua, tmp_path):
    # page_size 10 < 20 rows per load: each new batch is read in two pages; the second page of
    # the first new batch is held back, and the tap is killed with half that batch emitted.
    pipeline = Pipeline(domo, eloqua, tmp_path, tap={"page_size": 10, "read_method": "query"})
    committed = _committed(pipeline, (20, 201), (20, 202))
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
    committed = _committed(pipeline, (20, 211))
    eloqua.sync_schedule("polls", pending_polls=1_000_000)

    def kill_target(running: Running) -> None:
        wait_for(lambda: len(eloqua.requests(ELOQUA_SYNC + "$")) >= 2)
        running.kill("target")

    killed = pipeline.run(during=kill_target)

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
    committed = _committed(pipeline, (20, 221))
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
    committed = _committed(pipeline, (20, 231))
    eloqua.sync_schedule("polls", pending_polls=1_000_000)

    def terminate(running: Running) -> None:
        wait_for(lambda: len(eloqua.requests(ELOQUA_SYNC + "$")) >= 2)
        running.kill("target", signal.SIGTERM)

    stopped = pipeline.run(during=terminate)

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

MELTANO = str(BIN / "meltano")


def _meltano_env(pipeline: Pipeline, tmp_path) -> dict[str, str]:
    return {
        "MELTANO_ENVIRONMENT": "sandbox",
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "TAP_DOMO_API_URL": pipeline.domo.url,
        "TARGET_ELOQUA_LOGIN_URL": pipeline.eloqua.login_url,
        "TARGET_ELOQUA_REJECT_FILE": str(tmp_path / "rejects.jsonl"),
        "NO_COLOR": "1",
    }


def _meltano_state(env: dict[str, str]) -> dict | None:
    done = run_command([MELTANO, "state", "get", STATE_ID], env)
    if done.returncode != 0:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])["singer_state"]


@pytest.fixture(scope="module")
def meltano_installed() -> None:
    """`meltano install` unless the plugins' venvs are there already."""
    if not (REPO / ".meltano" / "loaders" / "target-eloqua" / "venv").exists():
        done = run_command([MELTANO, "install"], {"MELTANO_ENVIRONMENT": "sandbox"}, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]


def test_meltano_runs_through_faults_to_exact_content(domo, eloqua, tmp_path, meltano_installed):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    env = _meltano_env(pipeline, tmp_path)
    meltano_run = [MELTANO, "run", "tap-domo", "target-eloqua"]
    # Transient faults on both sides: retried inside the run.
    domo.add_fault(DOMO_QUERY, method="POST", status=503)
    eloqua.add_fault(ELOQUA_SYNCS, method="POST", status=502)
    first = run_command(meltano_run, env, timeout=180)
    assert first.returncode == 0, first.stderr[-4000:]
    pipeline.state = _meltano_state(env)
    pipeline.assert_exact()

    # A failed sync: the run fails and Meltano keeps the committed state.
    pipeline.append_load(20, seed=241)
    eloqua.force_next_syncs("error")
    failed = run_command(meltano_run, env, timeout=180)
    assert failed.returncode != 0
    assert "target-eloqua: Eloqua sync" in failed.stderr
    assert "Traceback" not in failed.stderr.split("target-eloqua: Eloqua sync")[0][-3000:]
    assert _meltano_state(env) == {
        "bookmarks": {
            "event_registrations": {"replication_key": "_BATCH_ID_", "replication_key_value": 3}
        }
    }

    again = run_command(meltano_run, env, timeout=180)
    assert again.returncode == 0, again.stderr[-4000:]
    pipeline.state = _meltano_state(env)
    pipeline.assert_exact()
