"""target-eloqua writing into the Eloqua emulator: upserts, rules, chunking, syncs, rejects."""

from __future__ import annotations

import json

import pytest
from target_eloqua.errors import (
    CredentialsError,
    MappingConfigError,
    RejectRatioError,
    SyncFailedError,
    SyncTimeoutError,
)

STATE_2 = {"bookmarks": {"orders": {"replication_key": "_BATCH_ID_", "replication_key_value": 2}}}
STATE_3 = {"bookmarks": {"orders": {"replication_key": "_BATCH_ID_", "replication_key_value": 3}}}


def test_upsert_creates_then_updates(eloqua, orders, base_config, h):
    first = h.run(base_config, h.singer("orders_create.singer"))
    assert first.error is None
    assert first.states == [STATE_2]
    assert h.rows(eloqua, orders) == {
        "A1": {"Order_Id1": "A1", "Number_of_Tickets1": "2", "Amount1": "10.5",
               "Email1": "ann@example.com", "Ordered_At1": "2024-01-15 11:30:00",
               "Notes1": None, "Owner1": None},
        "A2": {"Order_Id1": "A2", "Number_of_Tickets1": "0", "Amount1": None, "Email1": None,
               "Ordered_At1": None, "Notes1": None, "Owner1": None},
        "A3": {"Order_Id1": "A3", "Number_of_Tickets1": "7", "Amount1": "0.1234",
               "Email1": "cy@example.org", "Ordered_At1": "2024-07-01 08:00:00",
               "Notes1": None, "Owner1": None},
    }  # fmt: skip
    second = h.run(base_config, h.singer("orders_update.singer"))
    assert second.error is None
    assert second.states == [STATE_3]
    landed = h.rows(eloqua, orders)
    assert len(landed) == 4
    assert (landed["A1"]["Number_of_Tickets1"], landed["A1"]["Amount1"]) == ("3", None)
    assert landed["A4"]["Amount1"] == "99.99"
    syncs = eloqua.syncs()
    assert [(s["status"], s["created"], s["updated"]) for s in syncs] == [
        ("success", 3, 0),
        ("success", 1, 1),
    ]
    assert eloqua.import_definitions() == []  # deleted at the end of each run


def test_one_definition_per_stream_with_the_documented_shape(eloqua, orders, base_config, h):
    h.run(base_config, h.singer("orders_create.singer"))
    posted = eloqua.requests(r"(?i)/customobjects/\d+/imports$")
    # The GET lists the stream's definitions left by earlier runs (none here) before the POST.
    assert [r["method"] for r in posted] == ["GET", "POST"]
    definition_calls = eloqua.requests(r"(?i)/imports/\d+$")
    assert [r["method"] for r in definition_calls] == ["DELETE"]


@pytest.mark.parametrize(
    ("rule", "tickets", "amount"),
    [("always", "3", None), ("ifNewIsNotNull", "3", "10.5"), ("ifExistingIsNull", "2", "10.5")],
)
def test_update_rules(eloqua, orders, base_config, h, rule, tickets, amount):  # noqa: PLR0917
    config = {**base_config, "update_rule": rule}
    assert h.run(config, h.singer("orders_create.singer")).error is None
    assert h.run(config, h.singer("orders_update.singer")).error is None
    a1 = h.rows(eloqua, orders)["A1"]
    assert (a1["Number_of_Tickets1"], a1["Amount1"]) == (tickets, amount)


def test_repeated_identifiers_collapse_last_wins(eloqua, orders, base_config, h):
    run = h.run(base_config, h.singer("orders_duplicates.singer"))
    assert run.error is None
    landed = h.rows(eloqua, orders)
    assert {k: (v["Number_of_Tickets1"], v["Email1"]) for k, v in landed.items()} == {
        "D1": ("3", "last@example.com"),
        "D2": ("1", None),
    }
    assert sum(u["rows"] for u in eloqua.uploads()) == 2
    assert [s["rejected"] for s in eloqua.syncs()] == [0]


def test_repeat_of_an_already_posted_identifier_commits_first(eloqua, orders, base_config, h):
    # A tiny POST size flushes D1 before it repeats: the repeat must go to a later sync.
    lines = h.singer("orders_duplicates.singer").splitlines()
    extra = [lines[1].replace('"D1"', f'"E{i}"') for i in range(3)]
    messages = "\n".join([lines[0], lines[1], lines[2], *extra, *lines[3:]]) + "\n"
    run = h.run({**base_config, "max_upload_bytes": 256}, messages)
    assert run.error is None
    assert h.rows(eloqua, orders)["D1"]["Number_of_Tickets1"] == "3"
    syncs = eloqua.syncs()
    assert len(syncs) == 2
    assert all(s["rejected"] == 0 for s in syncs)
    # D1 D2 E0 E1 E2 in the first sync; the repeated D1 (collapsed to its last row) in the next.
    assert [s["rows"] for s in syncs] == [5, 1]


def test_chunks_never_exceed_max_upload_bytes(eloqua, orders, base_config, h):
    config = {**base_config, "max_upload_bytes": 2048}
    assert h.run(config, h.singer("orders_many.singer")).error is None
    uploads = eloqua.uploads()
    assert len(uploads) > 5
    assert max(u["bytes"] for u in uploads) <= 2048
    assert sum(u["rows"] for u in uploads) == 300
    assert len(eloqua.syncs()) == 1
    assert len(h.rows(eloqua, orders)) == 300


def test_max_sync_bytes_starts_several_syncs(eloqua, orders, base_config, h):
    config = {**base_config, "max_upload_bytes": 2048, "max_sync_bytes": 6000}
    run = h.run(config, h.singer("orders_many.singer"))
    assert run.error is None
    syncs = eloqua.syncs()
    assert len(syncs) >= 4
    assert sum(s["rows"] for s in syncs) == 300
    assert all(s["uploads"] <= 3 for s in syncs)
    assert len(h.rows(eloqua, orders)) == 300
    assert run.states == [{"bookmarks": {"orders": {"replication_key": "_BATCH_ID_",
                                                    "replication_key_value": 9}}}]  # fmt: skip


def test_more_than_500_posts_are_split_across_syncs(eloqua, orders, base_config, h):
    schema = h.singer("orders_many.singer").splitlines()[0]
    records = [
        json.dumps({"type": "RECORD", "stream": "orders", "record": {"id": f"X{i:05d}"}})
        for i in range(6000)
    ]
    config = {**base_config, "optional_fields": [], "max_upload_bytes": 256}
    assert h.run(config, "\n".join([schema, *records]) + "\n").error is None
    syncs = eloqua.syncs()
    assert sum(s["uploads"] for s in syncs) > 500
    assert syncs[0]["uploads"] == 500
    assert len(h.rows(eloqua, orders)) == 6000


def test_rejects_go_to_the_reject_file_and_fail_over_the_ratio(
    eloqua, orders, base_config, h, tmp_path
):
    reject_file = tmp_path / "rejects.jsonl"
    config = {**base_config, "reject_file": str(reject_file)}
    run = h.run(config, h.singer("orders_rejects.singer"))
    assert isinstance(run.error, RejectRatioError)
    assert "max_reject_ratio" in str(run.error)
    assert run.states == []
    lines = [json.loads(line) for line in reject_file.read_text().splitlines()]
    assert [(r["code"], r["invalid_fields"], r["source"]) for r in lines] == [
        ("TARGET-EMAIL", ["Email1"], "target"),
        ("TARGET-NUMERIC", ["Amount1"], "target"),
        ("TARGET-IDENTIFIER", ["Order_Id1"], "target"),
    ]
    assert lines[0]["values"]["Email1"] == "Polar bear"
    assert lines[0]["stream"] == "orders"
    # The valid rows were still committed (an upsert, harmless to send again).
    assert sorted(h.rows(eloqua, orders)) == ["R1", "R3"]


def test_rejects_within_the_ratio_pass(eloqua, orders, base_config, h, tmp_path):
    config = {**base_config, "max_reject_ratio": 0.6, "reject_file": str(tmp_path / "r.jsonl")}
    run = h.run(config, h.singer("orders_rejects.singer"))
    assert run.error is None
    assert len(run.states) == 1


def test_eloqua_side_rejects_are_recorded(eloqua, base_config, h, tmp_path):
    fields = [*h.ORDER_FIELDS]
    fields[1] = {**fields[1], "notNull": True}  # Number of Tickets required: Eloqua rejects
    eloqua.create_custom_object("Strict Orders", fields)
    reject_file = tmp_path / "rejects.jsonl"
    config = {**base_config, "custom_object": "Strict Orders", "reject_file": str(reject_file),
              "max_reject_ratio": 1}  # fmt: skip
    run = h.run(config, h.singer("orders_create.singer").replace('"Numbers": 0', '"Numbers": null'))
    assert run.error is None
    lines = [json.loads(line) for line in reject_file.read_text().splitlines()]
    assert [(r["code"], r["source"], r["values"]["Order_Id1"]) for r in lines] == [
        ("ELQ-00125", "eloqua", "A2")
    ]
    assert lines[0]["invalid_fields"] == ["Number_of_Tickets1"]


def test_map_to_contacts_links_records(eloqua, orders, base_config, h):
    known = eloqua.add_contact("known@example.com")
    config = {
        **base_config,
        "optional_fields": [{"eloqua_field": "Email", "dataset_field": "email"}],
        "map_to_contacts": {"dataset_field": "email"},
    }
    assert h.run(config, h.singer("contacts_link.singer")).error is None
    linked = {r["fields"]["Order_Id1"]: r["contactId"] for r in eloqua.records(orders)}
    assert linked == {"C1": known, "C2": None}


def test_stream_mappings_write_two_streams_into_two_objects(eloqua, orders, base_config, h):
    tickets = eloqua.create_custom_object(
        "Tickets",
        [{"name": "Ticket", "dataType": "text"}, {"name": "Subject", "dataType": "text"}],
    )
    config = {
        **base_config,
        "optional_fields": [{"eloqua_field": "Number of Tickets", "dataset_field": "Numbers"}],
        "stream_mappings": {
            "tickets": {
                "custom_object": tickets,
                "identifier_field": {"eloqua_field": "Ticket", "dataset_field": "ticket"},
                "optional_fields": [{"eloqua_field": "Subject", "dataset_field": "subject"}],
            }
        },
    }
    run = h.run(config, h.singer("two_streams.singer"))
    assert run.error is None
    assert run.states == [{"bookmarks": {"orders": {"v": 1}, "tickets": {"v": 2}}}]
    assert h.rows(eloqua, orders)["O1"]["Number_of_Tickets1"] == "4"
    assert sorted(
        (r["fields"]["Ticket1"], r["fields"]["Subject1"]) for r in eloqua.records(tickets)
    ) == [
        ("T1", "Printer on fire"),
        ("T2", None),
    ]


def test_dry_run_writes_nothing(eloqua, orders, base_config, h, tmp_path):
    config = {**base_config, "dry_run": True, "reject_file": str(tmp_path / "r.jsonl")}
    run = h.run(config, h.singer("orders_rejects.singer"))
    assert run.error is None
    assert run.states == []
    assert eloqua.requests(r".*/imports.*") == []
    assert eloqua.requests(r".*/syncs.*") == []
    assert eloqua.records(orders) == []
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 3


def test_pod_move_is_followed_once(eloqua, orders, base_config, h):
    old_base = eloqua.base_url
    eloqua.move_pod("p06")
    config = {**base_config, "base_url": old_base}
    run = h.run(config, h.singer("orders_create.singer"))
    assert run.error is None
    assert len(h.rows(eloqua, orders)) == 3
    assert len(eloqua.requests(r"^/id$")) == 1


def test_sync_error_fails_without_state(eloqua, orders, base_config, h):
    eloqua.force_next_syncs("error")
    run = h.run(base_config, h.singer("orders_create.singer"))
    assert isinstance(run.error, SyncFailedError)
    assert "ended with status error" in str(run.error)
    assert run.states == []
    assert eloqua.import_definitions() == []


def test_errored_status_is_a_failure_too(eloqua, orders, base_config, h):
    eloqua.settings(failure_status="errored")
    eloqua.force_next_syncs("error")
    run = h.run(base_config, h.singer("orders_create.singer"))
    assert isinstance(run.error, SyncFailedError)
    assert "ended with status errored" in str(run.error)


def test_sync_timeout_fails_without_state(eloqua, orders, base_config, h):
    eloqua.force_next_syncs("never")
    run = h.run({**base_config, "sync_timeout": 0.2}, h.singer("orders_create.singer"))
    assert isinstance(run.error, SyncTimeoutError)
    assert run.states == []


def test_slow_sync_is_polled_until_done(eloqua, orders, base_config, h):
    eloqua.sync_schedule("polls", pending_polls=2, active_polls=3)
    run = h.run(base_config, h.singer("orders_create.singer"))
    assert run.error is None
    assert len(eloqua.requests(r".*/syncs/\d+$")) == 6


def test_dropped_upload_is_restaged_without_loss(eloqua, orders, base_config, h):
    eloqua.add_fault(r".*/data", method="POST", action="drop", count=1, skip=2)
    config = {**base_config, "max_upload_bytes": 2048}
    run = h.run(config, h.singer("orders_many.singer"))
    assert run.error is None
    assert len(h.rows(eloqua, orders)) == 300
    syncs = eloqua.syncs()
    assert len(syncs) == 1
    assert syncs[0]["rows"] == 300
    assert syncs[0]["rejected"] == 0


def test_dropped_sync_creation_never_runs_two_syncs_on_a_definition(eloqua, orders, base_config, h):
    eloqua.add_fault(r".*/syncs", method="POST", action="status", status=503, count=1)
    run = h.run(base_config, h.singer("orders_create.singer"))
    assert run.error is None
    per_definition = [s["syncedInstanceUri"] for s in eloqua.syncs()]
    assert len(per_definition) == len(set(per_definition))
    assert len(h.rows(eloqua, orders)) == 3


def test_429_is_retried_honouring_retry_after(eloqua, orders, base_config, h):
    eloqua.add_fault(r".*/fields", method="GET", status=429, count=2, headers={"Retry-After": "0"})
    run = h.run(base_config, h.singer("orders_create.singer"))
    assert run.error is None
    assert [r["status"] for r in eloqua.requests(r".*/fields$")] == [429, 429, 200]


def test_bad_credentials_are_one_clear_error(eloqua, orders, base_config, h):
    run = h.run({**base_config, "password": "wrong"}, h.singer("orders_create.singer"))
    assert isinstance(run.error, CredentialsError)
    assert "`company`, `username` and `password`" in str(run.error)
    assert "wrong" not in str(run.error)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"custom_object": "Nope"},
            "`custom_object`: no custom object with id or exact name 'Nope'",
        ),
        ({"custom_object": 999}, "`custom_object`: no custom object with id or exact name 999"),
        (
            {"identifier_field": {"eloqua_field": "Notes", "dataset_field": "id"}},
            "`identifier_field`: Eloqua field 'Notes' is large text",
        ),
        (
            {"optional_fields": [{"eloqua_field": "Record Owner", "dataset_field": "id"}]},
            "`optional_fields[0].eloqua_field`: Eloqua field 'Record Owner' is read-only",
        ),
        (
            {"optional_fields": [{"eloqua_field": "Amount", "dataset_field": "AMOUNT"}]},
            "`optional_fields[0].dataset_field`: the stream has no field 'AMOUNT'",
        ),
    ],
)
def test_mapping_mistakes_write_nothing(eloqua, orders, base_config, h, override, message):  # noqa: PLR0917
    run = h.run({**base_config, **override}, h.singer("orders_create.singer"))
    assert isinstance(run.error, MappingConfigError)
    assert message in str(run.error)
    assert eloqua.requests(r".*/imports.*") == []
    assert run.states == []
