"""Eloqua emulator: background syncs are applied by a worker once created, polls only report."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sandbox.eloqua import apply
from sandbox.eloqua.backend import EloquaBackend
from sandbox.eloqua.errors import ValidationFailed
from sandbox.eloqua.imports import ImportDefinition
from sandbox.eloqua.syncs import Sync, SyncStatus

from tests.unit.sandbox.test_eloqua_records import World, logs

WAIT = 10.0


class Gate:
    """Holds the worker inside `Applier.check` (outside the backend's lock) until opened."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.order: list[int] = []

    def open(self) -> None:
        self.opened.set()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate()
    check = apply.Applier.check

    def gated(self: apply.Applier, upload: Any) -> Any:
        held.order.append(self.definition.id)
        held.entered.set()
        assert held.opened.wait(WAIT)
        return check(self, upload)

    monkeypatch.setattr(apply.Applier, "check", gated)
    try:
        yield held
    finally:
        held.open()


def background_world() -> World:
    world = World()
    world.backend.update_settings({"background_syncs": True})
    return world


def row(code: str, name: str) -> dict[str, Any]:
    return {"Code": code, "Name": name, "Tickets": "1"}


def start(world: World, definition: ImportDefinition, rows: list[dict[str, Any]]) -> Sync:
    world.stage(definition, rows)
    return world.start(definition)


def poll(world: World, sync: Sync) -> str:
    with world.backend.lock:
        return str(world.backend.sync(sync.id, poll=True).status)


def test_a_background_sync_ends_without_any_poll() -> None:
    world = background_world()
    definition = world.definition(keys=["Code", "Name", "Tickets"])
    sync = start(world, definition, [row("A", "Ann"), row("B", "Bob"), row("C", "-")])
    assert world.backend.worker.wait_idle(WAIT)
    assert sync.polls == 0
    assert sync.status is SyncStatus.SUCCESS
    assert sync.started_at is not None
    assert sync.ended_at is not None
    assert poll(world, sync) == "success"
    assert logs(sync)["ELQ-00007"] == 3
    assert logs(sync)["ELQ-00101"] == 0
    assert world.rows()["B"]["Name1"] == "Bob"


def test_polls_while_applying_see_pending_then_active(gate: Gate) -> None:
    world = background_world()
    first = world.definition(keys=["Code", "Name", "Tickets"])
    second = world.definition(keys=["Code", "Name", "Tickets"])
    sync = start(world, first, [row("A", "Ann")])
    assert gate.entered.wait(WAIT)
    queued = start(world, second, [row("B", "Bob")])
    assert poll(world, sync) == "active"
    assert poll(world, queued) == "pending"
    assert "syncStartedAt" in sync.to_json("error")
    assert world.rows() == {}
    gate.open()
    assert world.backend.worker.wait_idle(WAIT)
    assert (poll(world, sync), poll(world, queued)) == ("success", "success")
    assert sync.polls == queued.polls == 1  # polls of a finished sync are not counted


def test_syncs_apply_one_at_a_time_in_creation_order(gate: Gate) -> None:
    world = background_world()
    first = world.definition(keys=["Code", "Name", "Tickets"])
    second = world.definition(keys=["Code", "Name", "Tickets"])
    older = start(world, first, [row("A", "first"), row("B", "first")])
    assert gate.entered.wait(WAIT)
    newer = start(world, second, [row("A", "second")])
    gate.open()
    assert world.backend.worker.wait_idle(WAIT)
    assert gate.order == [first.id, second.id]
    assert older.ended_at is not None
    assert newer.started_at is not None
    assert older.ended_at <= newer.started_at
    assert {code: r["Name1"] for code, r in world.rows().items()} == {"A": "second", "B": "first"}


def test_a_second_sync_of_a_definition_waits_for_the_first(gate: Gate) -> None:
    world = background_world()
    definition = world.definition(keys=["Code", "Name", "Tickets"])
    start(world, definition, [row("A", "Ann")])
    assert gate.entered.wait(WAIT)
    world.stage(definition, [row("B", "Bob")])
    with pytest.raises(ValidationFailed) as refused:
        world.start(definition)
    assert "already has a active sync" in str(refused.value.failures)


def test_reset_while_applying_forgets_the_sync_and_the_worker_goes_on(gate: Gate) -> None:
    world = background_world()
    backend = world.backend
    definition = world.definition(keys=["Code", "Name", "Tickets"])
    start(world, definition, [row("A", "Ann")])
    assert gate.entered.wait(WAIT)
    backend.reset()
    gate.open()
    assert backend.worker.wait_idle(WAIT)
    assert backend.syncs == {}
    assert backend.objects == {}
    assert world.obj.records.by_id == {}
    # The emulator works as before the reset, and the same worker serves the next syncs.
    again = World(backend=backend)
    backend.update_settings({"background_syncs": True})
    sync = start(again, again.definition(keys=["Code", "Name"]), [{"Code": "Z", "Name": "Zed"}])
    assert backend.worker.wait_idle(WAIT)
    assert sync.status is SyncStatus.SUCCESS
    assert list(again.rows()) == ["Z"]


def test_reset_drops_queued_syncs(gate: Gate) -> None:
    world = background_world()
    first = world.definition(keys=["Code", "Name", "Tickets"])
    second = world.definition(keys=["Code", "Name", "Tickets"])
    start(world, first, [row("A", "Ann")])
    assert gate.entered.wait(WAIT)
    start(world, second, [row("B", "Bob")])
    world.backend.reset()
    gate.open()
    assert world.backend.worker.wait_idle(WAIT)
    assert gate.order == [first.id]


def test_forced_outcomes_apply_in_the_background() -> None:
    world = background_world()
    world.backend.force_next_syncs("error", 1)
    world.backend.force_next_syncs("never", 1)
    failing = start(world, world.definition(keys=["Code"]), [{"Code": "A"}])
    stuck = start(world, world.definition(keys=["Code"]), [{"Code": "B"}])
    assert world.backend.worker.wait_idle(WAIT)
    assert failing.status is SyncStatus.ERROR
    assert logs(failing)["ELQ-00146"] == 0
    assert stuck.status is SyncStatus.ACTIVE
    assert poll(world, stuck) == "active"
    assert world.rows() == {}


def test_with_the_setting_off_a_poll_still_applies_the_sync() -> None:
    world = World()
    sync = start(world, world.definition(keys=["Code"]), [{"Code": "A"}])
    assert not sync.background
    assert sync.status is SyncStatus.PENDING
    assert poll(world, sync) == "success"


def test_the_setting_is_a_boolean_and_a_server_default_survives_resets() -> None:
    backend = EloquaBackend({"background_syncs": True})
    backend.reset()
    assert backend.settings["background_syncs"] is True
    with pytest.raises(ValueError, match="true or false"):
        backend.update_settings({"background_syncs": 1})
    with pytest.raises(ValueError, match="unknown setting"):
        EloquaBackend({"background": True})
