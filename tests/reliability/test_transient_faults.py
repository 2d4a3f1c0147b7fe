"""Transient faults on every route the pipeline uses: retried to exact content, or a clear failure.

Each transient kind is injected once on every route of one service in the same run (one rule per
route, `count=1`), and every rule must have been hit: so each (kind, route) pair is exercised
while the suite stays a few dozen process pairs. `RELIABILITY_ONE_ROUTE=1` runs one route per
case instead, to pin a failure down.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from tests.reliability.support import (
    DOMO_DATASET,
    DOMO_EXPORT,
    DOMO_QUERY,
    DOMO_ROUTES,
    ELOQUA_ROUTES,
    ELOQUA_SYNC,
    ELOQUA_SYNCS,
    RETRY_AFTER,
    Pipeline,
    Route,
    Running,
    one_line_failure,
    transient_kinds,
    wait_for,
)

pytestmark = pytest.mark.e2e

#: A read timeout: the response starts after REQUEST_TIMEOUT + 1.5 s (whole seconds: see
#: `test_fractional_request_timeout_is_accepted`).
REQUEST_TIMEOUT = 1
KINDS = transient_kinds(REQUEST_TIMEOUT)


def _cases() -> list[Any]:
    one_route = os.environ.get("RELIABILITY_ONE_ROUTE") == "1"
    cases = []
    for service, routes in (("domo", DOMO_ROUTES), ("eloqua", ELOQUA_ROUTES)):
        for kind in KINDS:
            groups = [[route] for route in routes] if one_route else [routes]
            for group in groups:
                label = group[0][0] if one_route else "every route"
                cases.append(pytest.param(service, kind, group, id=f"{service}-{kind}-{label}"))
    return cases


def _unhit_faults(control: Any) -> list[dict[str, Any]]:
    return [rule for rule in control.faults() if rule["hits"] < 1]


@pytest.mark.parametrize(("service", "kind", "routes"), _cases())
def test_transient_fault_is_retried_to_exact_content(  # noqa: PLR0917
    domo, eloqua, tmp_path, service, kind, routes
):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    control = domo if service == "domo" else eloqua
    for _, path, method in routes:
        control.add_fault(path, method=method, **KINDS[kind])
    timeouts = {"request_timeout": REQUEST_TIMEOUT} if kind == "read timeout" else {}
    tap, target = (timeouts, None) if service == "domo" else (None, timeouts)

    result = pipeline.run(tap=tap, target=target)

    assert result.ok, result.stderr[-4000:]
    assert "Traceback" not in result.stderr
    assert _unhit_faults(control) == [], "a route was never exercised"
    pipeline.assert_exact()
    if "Retry-After" in kind:
        _assert_retry_after_honoured(control, routes)


def _assert_retry_after_honoured(control: Any, routes: list[Route]) -> None:
    log = control.requests()
    for name, path, method in routes:
        pattern = re.compile(path)
        hits = [e for e in log if e["method"] == method and pattern.fullmatch(e["path"])]
        faulted = next(i for i, e in enumerate(hits) if e["fault"])
        retry = hits[faulted + 1]
        gap = retry["started"] - hits[faulted]["started"]
        assert gap >= RETRY_AFTER - 0.05, f"{name}: retried after {gap:.2f} s"


# ---- a Domo token expiring mid-run --------------------------------------------------------


def test_domo_token_expiring_mid_run_is_refreshed(domo, eloqua, tmp_path):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    # The query and the export start only after the emulator's delay: expiring the tokens
    # during the delay makes Domo answer them as expired (401 JSON, 406 HTML on the CSV).
    domo.add_fault(DOMO_QUERY, method="POST", action="delay", seconds=1.0)
    domo.add_fault(DOMO_EXPORT, method="GET", action="delay", seconds=1.0)

    def expire_twice(running: Running) -> None:
        wait_for(lambda: bool(domo.requests(DOMO_DATASET + "$")))
        domo.expire_tokens()
        # Only once the query has succeeded with the refreshed token: the export comes next and
        # waits a second before Domo checks its token (expiring earlier races the refresh).
        wait_for(lambda: any(e["status"] == 200 for e in domo.requests(DOMO_QUERY)))
        domo.expire_tokens()

    result = pipeline.run(during=expire_twice)

    assert result.ok, result.stderr[-4000:]
    statuses = {(e["path"].rsplit("/", 1)[-1], e["status"]) for e in domo.requests()}
    assert ("data", 406) in statuses
    assert (pipeline.dataset_id, 401) in statuses  # the query route ends with the id
    assert domo.tokens_issued() == 3
    pipeline.assert_exact()


def test_domo_token_rejected_on_every_route_is_refreshed_once(domo, eloqua, tmp_path):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    domo.add_fault(DOMO_DATASET, method="GET", status=401)
    domo.add_fault(DOMO_QUERY, method="POST", status=401)
    domo.add_fault(DOMO_EXPORT, method="GET", status=406)

    result = pipeline.run()

    assert result.ok, result.stderr[-4000:]
    assert _unhit_faults(domo) == []
    assert domo.tokens_issued() == 4
    pipeline.assert_exact()


# ---- an Eloqua pod move mid-run -----------------------------------------------------------


def test_eloqua_pod_move_mid_sync_is_followed(domo, eloqua, tmp_path):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    eloqua.sync_schedule("polls", pending_polls=2, active_polls=2)

    def move(running: Running) -> None:
        wait_for(lambda: bool(eloqua.requests(ELOQUA_SYNCS + "$")))
        eloqua.move_pod("p07")

    result = pipeline.run(during=move)

    assert result.ok, result.stderr[-4000:]
    paths = [(e["path"], e["status"]) for e in eloqua.requests()]
    assert any(status == 401 and "/pods/p03/" in path for path, status in paths)
    assert any("/pods/p07/" in path and status == 200 for path, status in paths)
    assert [p for p, _ in paths].count("/id") == 2
    pipeline.assert_exact()


# ---- failures that cannot be retried away: clear message, state unmoved, next run exact ----


FAILURES = [
    pytest.param(
        "eloqua", {"force": "error"}, {}, r"target-eloqua: Eloqua sync /syncs/\d+ of stream "
        r"'event_registrations' ended with status error: .*No STATE was emitted", id="sync-error",
    ),
    pytest.param(
        "eloqua", {"force": "error", "failure_status": "errored"}, {},
        r"target-eloqua: Eloqua sync .* ended with status errored", id="sync-errored",
    ),
    pytest.param(
        "eloqua", {"force": "never"}, {"sync_timeout": 1},
        r"target-eloqua: Sync /syncs/\d+ still (pending|active) after 1 s; raise `sync_timeout`",
        id="sync-never-finishes",
    ),
    pytest.param(
        "eloqua", {"path": ELOQUA_SYNC, "method": "GET", "status": 503, "count": -1,
                   "headers": {"Retry-After": "0"}}, {},
        r"target-eloqua: GET /pods/p03/api/bulk/2.0/syncs/\d+ still failing after 6 attempts",
        id="sync-status-503-persistent",
    ),
    pytest.param(
        "domo", {"path": DOMO_QUERY, "method": "POST", "status": 503, "count": -1,
                 "headers": {"Retry-After": "0"}}, {},
        r"tap-domo: query on DataSet .* failed 5 times, giving up: HTTP 503",
        id="domo-query-503-persistent",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("service", "fault", "target", "message"), FAILURES)
def test_unrecoverable_fault_fails_clearly_and_next_run_completes(  # noqa: PLR0917
    domo, eloqua, tmp_path, service, fault, target, message
):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    committed = pipeline.run_complete_then_load((20, 101))
    if "force" in fault:
        if "failure_status" in fault:
            eloqua.settings(failure_status=fault["failure_status"])
        eloqua.force_next_syncs(fault["force"])
    else:
        (domo if service == "domo" else eloqua).add_fault(**fault)

    failed = pipeline.run(target=target)

    line = one_line_failure(failed, "tap-domo: " if service == "domo" else "target-eloqua: ")
    assert re.fullmatch(message + ".*", line), line
    # The target may print again the state it was given, never one past it.
    assert all(state == committed for state in failed.states)
    assert pipeline.state == committed
    pipeline.assert_state_covers_only_committed()

    pipeline.clear_faults()
    pipeline.assert_next_run_exact()


def test_fractional_request_timeout_is_accepted(domo, eloqua, tmp_path):
    pipeline = Pipeline(domo, eloqua, tmp_path)
    domo.add_fault(DOMO_EXPORT, method="GET", action="delay", seconds=3)

    result = pipeline.run(tap={"request_timeout": 1.5})

    assert result.ok, result.stderr[-3000:]
    pipeline.assert_exact()
