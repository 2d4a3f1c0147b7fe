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


def test_rows_stored_whole_behave_as_records_everywhere() -> None:
    world = World()
    full = world.definition()
    world.sync(full, [row(f"R{i}", f"n{i}") for i in range(5)])
    stored = list(world.obj.records.by_id.values())
    assert all(r.stored is None for r in stored)  # kept as rows: the bulk path
    # A definition writing fewer fields updates them and keeps the others.
    partial = world.definition(keys=["Code", "Name"])
    sync = world.sync(partial, [{"Code": f"R{i}", "Name": f"m{i}"} for i in range(5)])
    assert logs(sync)["ELQ-00012"] == 5
    assert world.rows()["R3"] == {**world.rows()["R3"], "Name1": "m3", "Tickets1": "1"}
    # Matching on another field indexes the stored rows; a rule other than `always` reads them.
    by_email = world.definition(identifier="Email", keys=["Email", "Name", "Amount"])
    world.sync(by_email, [{"Email": "r1@example.com", "Name": "via email", "Amount": "2"}])
    assert world.rows()["R1"]["Name1"] == "via email"
    assert world.rows()["R1"]["Amount1"] == "2"
    keep = world.definition(keys=["Code", "Name"], updateRule="ifExistingIsNull")
    world.sync(keep, [{"Code": "R2", "Name": "ignored"}])
    assert world.rows()["R2"]["Name1"] == "m2"
    assert len(world.obj.records) == 5


def test_rows_stored_whole_then_updated_whole_or_deleted_field() -> None:
    world = World()
    definition = world.definition()
    world.sync(definition, [row(f"R{i}", f"n{i}") for i in range(4)])
    world.sync(definition, [row(f"R{i}", f"again {i}", tickets=3) for i in range(4)])
    records = list(world.obj.records.by_id.values())
    assert all(r.stored is None for r in records)  # overwritten as rows again
    tickets = next(f.id for f in world.obj.fields.values() if f.name == "Tickets")
    assert records[0].get(tickets) == "3"
    assert world.rows()["R0"]["Name1"] == "again 0"
    world.control.delete_field({}, None, world.object_id, "Tickets")  # type: ignore[arg-type]
    assert "Tickets1" not in world.rows()["R0"]
    assert all(tickets not in r.values for r in records)


def two_keys_one_field() -> tuple[Any, ...]:
    world = World()
    fields = {"Code": world.statement("Code"), "Alias": world.statement("Code")}
    body = {
        "name": "aliases",
        "fields": {**fields, "Name": world.statement("Name")},
        "identifierFieldName": "Code",
        "isSyncTriggeredOnImport": False,
    }
    definition = world.backend.create_definition(world.object_id, body, world.user)
    first = world.sync(
        definition,
        [{"Code": "A", "Alias": "X", "Name": "n1"}, {"Code": "B", "Alias": "Y", "Name": "n2"}],
    )
    second = world.sync(definition, [{"Code": "X", "Alias": "X", "Name": "again"}])
    records = world.control.records({}, None, world.object_id)  # type: ignore[arg-type]
    return logs(first), logs(second), [(r["id"], r["fields"]) for r in records]


def test_two_keys_writing_one_field_match_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    bulk = two_keys_one_field()
    with monkeypatch.context() as patch:
        patch.setattr(apply.Applier, "_bulk_rows", lambda *_: False)
        assert bulk == two_keys_one_field()
