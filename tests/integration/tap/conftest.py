"""Helpers for running tap-domo in-process against the Domo emulator."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sandbox.domo.client import DomoControl
from tap_domo.retry import RetryPolicy
from tap_domo.tap import TapDomo

DATA = Path(__file__).parents[2] / "data" / "tap"


def load_seed(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def seed_sales(domo: DomoControl, **kwargs: Any) -> tuple[str, list[int]]:
    """Create the sales DataSet from tests/data/tap/sales.json; returns (guid, batch ids)."""
    seed = load_seed("sales")
    columns = [tuple(c) for c in seed["columns"]]
    guid = domo.create_dataset(seed["name"], columns, seed["loads"][0], **kwargs)
    batches = [1]
    for rows in seed["loads"][1:]:
        batches.append(domo.append_load(guid, rows))
    return guid, batches


def base_config(domo: DomoControl, *guids: str, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": DomoControl.DEFAULT_CLIENT_ID,
        "client_secret": DomoControl.DEFAULT_CLIENT_SECRET,
        "api_url": domo.url,
        "datasets": [{"id": g} for g in guids],
        **extra,
    }


@dataclass
class Run:
    messages: list[dict[str, Any]]
    error: BaseException | None
    tap: TapDomo | None = None
    sleeps: list[float] = field(default_factory=list)

    def records(self, stream: str | None = None) -> list[dict[str, Any]]:
        return [
            m["record"]
            for m in self.messages
            if m["type"] == "RECORD" and (stream is None or m["stream"] == stream)
        ]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def last_state(self) -> dict[str, Any]:
        return self.states[-1]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries record their waits instead of sleeping."""
    waits: list[float] = []
    monkeypatch.setattr("tap_domo.client.RetryPolicy", lambda: RetryPolicy(sleep=waits.append))
    return waits


@pytest.fixture
def run_tap(sleeps: list[float]) -> Callable[..., Run]:
    """Run the tap in-process; capture its Singer messages (numbers with fractions as Decimal)."""

    def run(config: dict[str, Any], state: dict[str, Any] | None = None) -> Run:
        buffer = io.BytesIO()
        out = io.TextIOWrapper(buffer, encoding="utf-8")
        error: BaseException | None = None
        tap = None
        with contextlib.redirect_stdout(out):
            try:
                tap = TapDomo(config=config, state=state)
                tap.sync_all()
            except Exception as exc:
                error = exc
            out.flush()
        lines = buffer.getvalue().decode("utf-8").splitlines()
        messages = [json.loads(line, parse_float=Decimal) for line in lines]
        return Run(messages, error, tap, sleeps)

    return run


def assert_states_follow_whole_batches(run: Run, stream: str, rows_per_batch: dict[Any, int]):
    """Every STATE names a batch all of whose rows (in this run's window) came before it."""
    seen: dict[Any, int] = {}
    for message in run.messages:
        if message["type"] == "RECORD" and message["stream"] == stream:
            batch = message["record"]["_BATCH_ID_"]
            seen[batch] = seen.get(batch, 0) + 1
        elif message["type"] == "STATE":
            bookmark = message["value"]["bookmarks"].get(stream, {}).get("replication_key_value")
            if bookmark is None:
                continue
            for batch, count in rows_per_batch.items():
                if batch <= bookmark:
                    assert seen.get(batch, 0) == count, (message, batch, seen)


@pytest.fixture
def h():
    """The helper functions above, for test modules (conftest is not importable by name)."""
    import types

    return types.SimpleNamespace(
        seed_sales=seed_sales,
        base_config=base_config,
        load_seed=load_seed,
        assert_states_follow_whole_batches=assert_states_follow_whole_batches,
    )
