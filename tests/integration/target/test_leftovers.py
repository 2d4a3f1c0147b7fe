"""A sync left pending by a killed earlier run never lands after a later run's newer values."""

from __future__ import annotations

import json
import time

from target_eloqua.bulk import BulkClient
from target_eloqua.leftovers import definition_name

ORPHAN_SECONDS = 1.5  # how long the killed run's syncs stay active in the emulator


def _client(eloqua) -> BulkClient:
    return BulkClient(
        company=eloqua.DEFAULT_COMPANY,
        username=eloqua.DEFAULT_USERNAME,
        password=eloqua.DEFAULT_PASSWORD,
        login_url=eloqua.login_url,
    )


def _definition(client: BulkClient, orders: int, name: str, keys: list[str]) -> str:
    statements = {f.internal_name: f.statement for f in client.fields(orders)}
    body = {
        "name": name,
        "fields": {key: statements[key] for key in keys},
        "identifierFieldName": "Order_Id1",
        "isSyncTriggeredOnImport": False,
    }
    return client.create_import(orders, body)


def _leave_pending_sync(client: BulkClient, orders: int, name: str, row: dict[str, str]) -> str:
    """What a run killed while its sync was pending leaves: a definition, staged data, a sync."""
    uri = _definition(client, orders, name, list(row))
    client.upload(uri, json.dumps([row]).encode())
    client.create_sync(uri)
    return uri


def test_leftover_definition_of_the_stream_is_deleted_before_new_data(
    eloqua, orders, base_config, h
):
    eloqua.sync_schedule("seconds", seconds=ORPHAN_SECONDS)
    client = _client(eloqua)
    try:
        killed = _leave_pending_sync(
            client, orders, definition_name("orders"), {"Order_Id1": "A1", "Amount1": "1.5"}
        )
        # Another pipeline writing another stream into the same custom object, mid-sync.
        other = _leave_pending_sync(
            client, orders, definition_name("returns"), {"Order_Id1": "R1", "Amount1": "7"}
        )
        # Not a name this target gives, though it mentions the stream.
        foreign = _definition(client, orders, "target-eloqua orders nightly", ["Order_Id1"])
    finally:
        client.close()
    left_at = time.monotonic()
    eloqua.sync_schedule("immediate")

    run = h.run(base_config, h.singer("orders_create.singer"))

    assert run.error is None
    assert h.rows(eloqua, orders)["A1"]["Amount1"] == "10.5"
    remaining = {d["uri"] for d in eloqua.import_definitions()}
    assert remaining == {other, foreign}  # only this stream's leftover went
    # The leftover went before this run's first upload (the killed run's uploads came earlier).
    log = [(e["method"], e["path"]) for e in eloqua.requests()]
    deleted = next(i for i, (m, p) in enumerate(log) if m == "DELETE" and p.endswith(killed))
    uploads = [i for i, (m, p) in enumerate(log) if m == "POST" and p.endswith("/data")]
    assert uploads[:2] == [i for i in uploads if i < deleted]
    assert len(uploads) == 3

    time.sleep(max(0.0, ORPHAN_SECONDS + 0.2 - (time.monotonic() - left_at)))
    syncs = {s["syncedInstanceUri"]: s for s in eloqua.syncs()}
    assert syncs[killed]["status"] == "error"  # stopped (ELQ-00143): it never lands
    assert syncs[other]["status"] == "success"  # the other stream's sync was not disturbed
    landed = h.rows(eloqua, orders)
    assert landed["A1"]["Amount1"] == "10.5"  # the newer value stays
    assert landed["R1"]["Amount1"] == "7"
