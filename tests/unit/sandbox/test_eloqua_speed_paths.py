"""Eloqua emulator: the bulk apply path gives the records and logs the row-by-row path gives."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox.eloqua import apply

from tests.unit.sandbox.test_eloqua_records import KEYS, World, logs


def row(code: str, name: str, tickets: int = 1) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(KEYS)
    values.update(Code=code, Email=f"{code.lower()}@example.com", Name=name, Tickets=tickets)
    values.update(Amount="1.50", When="2024-01-02 03:04:05")
    return values


SYNCS: list[list[list[dict[str, Any]]]] = [
    [[row("A", "Ann"), row("B", "Bob")]],  # all new
    [[row("A", "Anna", 2), row("B", "Bobby")]],  # all known
    [[row("B", "Bo"), row("C", "Cy")]],  # mixed: row by row
    [[row("D", "Di")], [row("D", "Dee"), row("E", "Ed")]],  # a repeat across uploads
    [[row("F", "Fay"), row("F", "Fi")]],  # a repeat within an upload
    [[row("G", "Gus"), {**row("H", "Hal"), "Tickets": "-1"}]],  # an invalid value
]


def run(duplicates: str) -> tuple[Any, ...]:
    world = World()
    world.backend.update_settings({"duplicate_identifiers": duplicates})
    definition = world.definition()
    outcomes = []
    for batches in SYNCS:
        sync = world.sync(definition, *batches)
        assert sync.outcome is not None
        outcomes.append((sync.status, logs(sync), sync.outcome.rejects))
    records = world.control.records({}, None, world.object_id)  # type: ignore[arg-type]
    for record in records:
        record.pop("createdAt")
        record.pop("updatedAt")
    return outcomes, records


@pytest.mark.parametrize("duplicates", [apply.LAST_WINS, apply.REJECT_ALL_BUT_FIRST])
def test_bulk_apply_matches_row_by_row(monkeypatch: pytest.MonkeyPatch, duplicates: str) -> None:
    bulk = run(duplicates)
    with monkeypatch.context() as patch:
        patch.setattr(apply.Applier, "_bulk_rows", lambda *_: False)
        row_by_row = run(duplicates)
    assert bulk == row_by_row


def test_bulk_apply_keeps_ids_in_row_order_and_indexes_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken: list[bool] = []
    bulk_rows = apply.Applier._bulk_rows

    def spy(self: apply.Applier, *args: Any) -> bool:
        taken.append(bulk_rows(self, *args))
        return taken[-1]

    monkeypatch.setattr(apply.Applier, "_bulk_rows", spy)
    world = World()
    definition = world.definition()
    world.sync(definition, [row(f"K{i:03d}", f"n{i}") for i in range(50)])
    records = world.control.records({}, None, world.object_id)  # type: ignore[arg-type]
    assert [r["fields"]["Code1"] for r in records] == [f"K{i:03d}" for i in range(50)]
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    second = world.sync(definition, [row("K007", "seven"), row("K008", "eight")])
    assert logs(second)["ELQ-00012"] == 2
    assert world.rows()["K007"]["Name1"] == "seven"
    assert len(world.obj.records) == 50
    assert taken == [True, True]
