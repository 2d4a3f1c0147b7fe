"""Eloqua emulator backend without sockets: upserts, update rules, rejects, links, syncs, limits."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sandbox.eloqua.backend import EloquaBackend, User
from sandbox.eloqua.control import ControlApi
from sandbox.eloqua.errors import EloquaError, ValidationFailed
from sandbox.eloqua.imports import ImportDefinition
from sandbox.eloqua.syncs import Schedule, Sync, SyncStatus
from sandbox.eloqua.uploads import parse_upload

FIELDS: list[dict[str, Any]] = [
    {"name": "Code", "dataType": "text", "unique": True},
    {"name": "Email", "dataType": "emailAddress"},
    {"name": "Name", "dataType": "text"},
    {"name": "Notes", "dataType": "largeText"},
    {"name": "Tickets", "dataType": "number"},
    {"name": "Amount", "dataType": "numeric"},
    {"name": "When", "dataType": "date"},
]
KEYS = ["Code", "Email", "Name", "Notes", "Tickets", "Amount", "When"]


class World:
    """A backend with one custom object, driven directly."""

    def __init__(
        self, fields: list[dict[str, Any]] | None = None, backend: EloquaBackend | None = None
    ) -> None:
        self.backend = backend or EloquaBackend()
        self.control = ControlApi(self.backend)
        body = {"name": "Things", "fields": fields or FIELDS}
        self.object_id = self.control.create_object(body, None)["id"]  # type: ignore[arg-type]
        self.obj = self.backend.objects[self.object_id]
        self.user: User = next(iter(self.backend.users.values()))

    def statement(self, name: str) -> str:
        if name in ("Id", "ExternalId"):
            return f"{{{{CustomObject[{self.object_id}].{name}}}}}"
        return next(f.statement for f in self.obj.fields.values() if f.name == name)

    def definition(
        self, identifier: str = "Code", keys: list[str] | None = None, **options: Any
    ) -> ImportDefinition:
        body = {
            "name": "test import",
            "fields": {name: self.statement(name) for name in keys or KEYS},
            "identifierFieldName": identifier,
            "isSyncTriggeredOnImport": False,
            **options,
        }
        return self.backend.create_definition(self.object_id, body, self.user)

    def stage(self, definition: ImportDefinition, rows: list[Any]) -> Sync | None:
        upload = parse_upload(orjson.dumps(rows), "application/json")
        return self.backend.stage(definition, upload, self.user)

    def start(self, definition: ImportDefinition) -> Sync:
        return self.backend.create_sync({"syncedInstanceUri": definition.uri}, self.user)

    def sync(self, definition: ImportDefinition, *batches: list[Any]) -> Sync:
        for rows in batches:
            self.stage(definition, rows)
        return self.backend.sync(self.start(definition).id, poll=True)

    def rows(self) -> dict[str, dict[str, Any]]:
        """Record values by internal name, keyed by the Code value."""
        records = self.control.records({}, None, self.object_id)  # type: ignore[arg-type]
        return {r["fields"]["Code1"]: r["fields"] for r in records}


def logs(sync: Sync) -> dict[str, int]:
    return {entry["statusCode"]: entry["count"] for entry in sync.log_json()}


def rejects(sync: Sync) -> list[dict[str, Any]]:
    assert sync.outcome is not None
    return sync.outcome.rejects


@pytest.fixture
def world() -> World:
    return World()


# ---- upsert and update rules ------------------------------------------------------------------
def test_upsert_creates_then_updates_on_the_identifier(world: World) -> None:
    definition = world.definition()
    first = world.sync(definition, [{"Code": "A", "Name": "Ann"}, {"Code": "B", "Name": "Bob"}])
    second = world.sync(definition, [{"Code": "A", "Name": "Anna"}, {"Code": "C", "Name": "Cy"}])
    assert (first.status, second.status) == (SyncStatus.SUCCESS, SyncStatus.SUCCESS)
    assert {code: row["Name1"] for code, row in world.rows().items()} == {
        "A": "Anna",
        "B": "Bob",
        "C": "Cy",
    }
    assert logs(second)["ELQ-00007"] == 1
    assert logs(second)["ELQ-00012"] == 1
    assert logs(second)["ELQ-00001"] == 2
    ids = [r["id"] for r in world.control.records({}, None, world.object_id)]  # type: ignore[arg-type]
    assert ids == [1, 2, 3]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("always", {"Name1": None, "Email1": "new@x.com", "Tickets1": "5"}),
        ("ifNewIsNotNull", {"Name1": "Old", "Email1": "new@x.com", "Tickets1": "5"}),
        ("ifExistingIsNull", {"Name1": "Old", "Email1": "old@x.com", "Tickets1": "5"}),
    ],
)
def test_update_rules(world: World, rule: str, expected: dict[str, Any]) -> None:
    world.sync(world.definition(), [{"Code": "A", "Name": "Old", "Email": "old@x.com"}])
    definition = world.definition(updateRule=rule)
    world.sync(definition, [{"Code": "A", "Name": None, "Email": "new@x.com", "Tickets": "5"}])
    row = world.rows()["A"]
    assert {key: row[key] for key in expected} == expected


def test_update_rule_by_field_overrides(world: World) -> None:
    world.sync(world.definition(), [{"Code": "A", "Name": "Old", "Email": "old@x.com"}])
    definition = world.definition(updateRule="always", updateRuleByField={"Name": "ifNewIsNotNull"})
    world.sync(definition, [{"Code": "A", "Name": "", "Email": ""}])
    assert (world.rows()["A"]["Name1"], world.rows()["A"]["Email1"]) == ("Old", None)


def test_absent_keys_leave_existing_values(world: World) -> None:
    definition = world.definition()
    world.sync(definition, [{"Code": "A", "Name": "Ann", "Tickets": "2"}])
    world.sync(definition, [{"Code": "A", "Tickets": "3"}])
    assert (world.rows()["A"]["Name1"], world.rows()["A"]["Tickets1"]) == ("Ann", "3")


def test_duplicates_last_wins_by_default(world: World) -> None:
    rows = [{"Code": "A", "Name": "first"}, {"Code": "B"}, {"Code": "A", "Name": "last"}]
    sync = world.sync(world.definition(), rows)
    assert sync.status is SyncStatus.SUCCESS
    assert world.rows()["A"]["Name1"] == "last"
    assert len(world.rows()) == 2


def test_duplicates_can_be_rejected_all_but_first(world: World) -> None:
    world.backend.update_settings({"duplicate_identifiers": "reject_all_but_first"})
    rows = [{"Code": "A", "Name": "first"}, {"Code": "B"}, {"Code": "A", "Name": "last"}]
    sync = world.sync(world.definition(), rows)
    assert sync.status is SyncStatus.WARNING
    assert world.rows()["A"]["Name1"] == "first"
    assert rejects(sync) == [
        {
            "fieldValues": {"Code": "A", "Name": "last"},
            "invalidFields": ["Code"],
            "message": "Duplicate identifier.",
            "statusCode": "ELQ-00026",
            "recordIndex": 3,
        }
    ]
    assert logs(sync)["ELQ-00026"] == 1


# ---- validation rejects ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("row", "code", "invalid"),
    [
        ({"Email": "Polar bear"}, "ELQ-00002", ["Email"]),
        ({"Name": "x" * 251}, "ELQ-00125", ["Name"]),
        ({"Notes": "x" * 32_001}, "ELQ-00125", ["Notes"]),
        ({"Tickets": "-1"}, "ELQ-00144", ["Tickets"]),
        ({"Tickets": "1.5"}, "ELQ-00144", ["Tickets"]),
        ({"Amount": "1.23456"}, "ELQ-00144", ["Amount"]),
        ({"Amount": "1234567890123456"}, "ELQ-00144", ["Amount"]),
        ({"Amount": "twelve"}, "ELQ-00144", ["Amount"]),
        ({"When": "13/10/2014"}, "ELQ-00144", ["When"]),
        ({"Tickets": "null"}, "ELQ-00144", ["Tickets"]),
        ({"Tickets": "x", "Email": "bad"}, "ELQ-00002", ["Email", "Tickets"]),
    ],
)
def test_invalid_values_are_rejected_and_not_written(
    world: World, row: dict[str, Any], code: str, invalid: list[str]
) -> None:
    sync = world.sync(world.definition(), [{"Code": "OK"}, {"Code": "BAD", **row}])
    assert sync.status is SyncStatus.WARNING
    (reject,) = rejects(sync)
    assert (reject["statusCode"], sorted(reject["invalidFields"]), reject["recordIndex"]) == (
        code,
        sorted(invalid),
        2,
    )
    assert list(world.rows()) == ["OK"]
    assert logs(sync)["ELQ-00060"] == 1
    assert logs(sync)[code] == 1


def test_null_is_blank_and_the_string_null_is_text(world: World) -> None:
    sync = world.sync(world.definition(), [{"Code": "A", "Name": "null", "Tickets": None}])
    assert sync.status is SyncStatus.SUCCESS
    assert (world.rows()["A"]["Name1"], world.rows()["A"]["Tickets1"]) == ("null", None)


def test_missing_or_blank_identifier_is_rejected(world: World) -> None:
    sync = world.sync(world.definition(), [{"Name": "no code"}, {"Code": "", "Name": "blank"}])
    assert [(r["statusCode"], r["invalidFields"], r["recordIndex"]) for r in rejects(sync)] == [
        ("ELQ-00061", ["Code"], 1),
        ("ELQ-00061", ["Code"], 2),
    ]
    assert world.rows() == {}


def test_record_index_counts_rows_across_uploads(world: World) -> None:
    sync = world.sync(
        world.definition(),
        [{"Code": "A"}, {"Code": "B"}],
        [{"Code": "C", "Email": "nope"}, "not an object"],
    )
    assert [(r["recordIndex"], r["statusCode"]) for r in rejects(sync)] == [
        (3, "ELQ-00002"),
        (4, "ELQ-00032"),
    ]
    assert sorted(world.rows()) == ["A", "B"]


def test_values_are_normalised(world: World) -> None:
    world.sync(world.definition(), [{"Code": "A", "When": "2024-01-02T03:04:05Z", "Tickets": 7}])
    assert (world.rows()["A"]["When1"], world.rows()["A"]["Tickets1"]) == (
        "2024-01-02 03:04:05",
        "7",
    )


def test_over_long_text_can_be_truncated(world: World) -> None:
    world.backend.update_settings({"text_over_limit": "truncate"})
    sync = world.sync(world.definition(), [{"Code": "A", "Name": "x" * 300}])
    assert sync.status is SyncStatus.SUCCESS
    assert world.rows()["A"]["Name1"] == "x" * 250


def test_not_null_fields_must_end_up_with_a_value() -> None:
    world = World([{"name": "Code", "unique": True}, {"name": "Name", "notNull": True}])
    definition = world.definition(keys=["Code", "Name"])
    sync = world.sync(definition, [{"Code": "A", "Name": "Ann"}, {"Code": "B"}])
    assert [(r["statusCode"], r["message"]) for r in rejects(sync)] == [
        ("ELQ-00125", "Field Name cannot be empty.")
    ]
    sync = world.sync(definition, [{"Code": "A", "Name": None}])
    assert rejects(sync)[0]["invalidFields"] == ["Name"]
    assert world.rows()["A"]["Name1"] == "Ann"


def test_unknown_and_missing_keys_are_logged(world: World) -> None:
    sync = world.sync(world.definition(keys=["Code", "Name"]), [{"Code": "A", "Extra": "x"}])
    messages = {e["statusCode"]: e["message"] for e in sync.log_json()}
    assert (
        messages["ELQ-00111"]
        == "Field Extra is not part of import definition, and will be ignored."
    )
    assert (
        messages["ELQ-00121"]
        == "Field Name is part of import definition, but not included in file."
    )
    assert (
        messages["ELQ-00101"] == f"Sync processed for sync {sync.id}, resulting in Success status."
    )


# ---- record id identifiers and contact links ---------------------------------------------------
def test_blank_id_identifier_always_creates(world: World) -> None:
    definition = world.definition(identifier="Id", keys=["Id", "Code"])
    world.sync(definition, [{"Id": "", "Code": "A"}, {"Id": None, "Code": "A"}])
    assert len(world.control.records({}, None, world.object_id)) == 2  # type: ignore[arg-type]
    sync = world.sync(definition, [{"Id": "1", "Code": "Z"}, {"Id": "99", "Code": "Q"}])
    records = world.control.records({}, None, world.object_id)  # type: ignore[arg-type]
    assert [r["fields"]["Code1"] for r in records] == ["Z", "A"]
    assert [(r["statusCode"], r["recordIndex"]) for r in rejects(sync)] == [("ELQ-00034", 2)]


def test_external_id_identifier_matches_or_creates(world: World) -> None:
    definition = world.definition(identifier="ExternalId", keys=["ExternalId", "Code"])
    world.sync(definition, [{"ExternalId": "x1", "Code": "A"}])
    world.sync(definition, [{"ExternalId": "x1", "Code": "B"}, {"ExternalId": "x2", "Code": "C"}])
    assert sorted(world.rows()) == ["B", "C"]


@pytest.mark.parametrize(("sensitive", "linked"), [(False, 2), (True, 1)])
def test_map_data_cards_links_contacts(world: World, sensitive: bool, linked: int) -> None:
    ada = world.control.add_contact({"email": "ada@example.com"}, None)["id"]  # type: ignore[arg-type]
    bob = world.control.add_contact({"email": "Bob@Example.com"}, None)["id"]  # type: ignore[arg-type]
    definition = world.definition(
        mapDataCards=True,
        mapDataCardsEntityType="Contact",
        mapDataCardsSourceField="Email",
        mapDataCardsEntityField="{{Contact.Field(C_EmailAddress)}}",
        mapDataCardsCaseSensitiveMatch=sensitive,
    )
    rows = [
        {"Code": "A", "Email": "ada@example.com"},
        {"Code": "B", "Email": "bob@example.com"},
        {"Code": "C", "Email": "nobody@example.com"},
    ]
    sync = world.sync(definition, rows)
    records = world.control.records({}, None, world.object_id)  # type: ignore[arg-type]
    expected = [ada, bob if not sensitive else None, None]
    assert [r["contactId"] for r in records] == expected
    assert logs(sync)["ELQ-00025"] == linked
    assert logs(sync)["ELQ-00034"] == 3 - linked


# ---- syncs: schedule, outcomes, limits --------------------------------------------------------
def test_schedule_phases() -> None:
    polls = Schedule("polls", pending_polls=2, active_polls=1)
    assert [polls.phase(n, 0) for n in range(5)] == [
        SyncStatus.PENDING,
        SyncStatus.PENDING,
        SyncStatus.PENDING,
        SyncStatus.ACTIVE,
        None,
    ]
    assert [Schedule().phase(n, 0) for n in range(2)] == [SyncStatus.PENDING, None]
    seconds = Schedule("seconds", seconds=5)
    assert (seconds.phase(9, 4.9), seconds.phase(0, 5.0)) == (SyncStatus.ACTIVE, None)


def test_polls_schedule_writes_only_at_the_end(world: World) -> None:
    world.backend.schedule = Schedule("polls", pending_polls=1, active_polls=2)
    definition = world.definition()
    world.stage(definition, [{"Code": "A"}])
    sync = world.start(definition)
    seen = []
    for _ in range(4):
        seen.append((str(world.backend.sync(sync.id, poll=True).status), len(world.rows())))
    assert seen == [("pending", 0), ("active", 0), ("active", 0), ("success", 1)]
    assert sync.started_at is not None
    assert sync.ended_at is not None


def test_forced_error_writes_nothing_and_spells_the_status(world: World) -> None:
    world.backend.force_next_syncs("error", 1)
    world.backend.update_settings({"failure_status": "errored"})
    sync = world.sync(world.definition(), [{"Code": "A"}])
    assert sync.to_json("errored")["status"] == "errored"
    assert logs(sync) == {"ELQ-00146": 0, "ELQ-00101": 0}
    assert world.rows() == {}
    assert world.sync(world.definition(), [{"Code": "B"}]).status is SyncStatus.SUCCESS


def test_forced_never_stays_active(world: World) -> None:
    world.backend.force_next_syncs("never", 1)
    definition = world.definition()
    world.stage(definition, [{"Code": "A"}])
    sync = world.start(definition)
    statuses = {str(world.backend.sync(sync.id, poll=True).status) for _ in range(5)}
    assert statuses == {"active"}
    assert world.rows() == {}


def test_second_sync_on_a_busy_definition_is_refused(world: World) -> None:
    definition = world.definition()
    world.stage(definition, [{"Code": "A"}])
    first = world.start(definition)
    with pytest.raises(ValidationFailed) as err:
        world.start(definition)
    assert (
        err.value.failures[0]["constraint"]
        == f"Definition already has a pending sync: {first.uri}."
    )
    world.backend.sync(first.id, poll=True)
    assert world.start(definition).status is SyncStatus.PENDING


def test_stale_definition_is_refused_at_sync_creation(world: World) -> None:
    definition = world.definition()
    world.control.delete_field({}, None, world.object_id, "Name")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as err:
        world.start(definition)
    assert err.value.failures[0]["constraint"] == "Field no longer exists."


def test_field_deleted_while_a_sync_waits_fails_it(world: World) -> None:
    world.backend.schedule = Schedule("polls", pending_polls=1)
    definition = world.definition()
    world.stage(definition, [{"Code": "A"}])
    sync = world.start(definition)
    world.control.delete_field({}, None, world.object_id, "Name1")  # type: ignore[arg-type]
    world.backend.sync(sync.id, poll=True)
    assert world.backend.sync(sync.id, poll=True).status is SyncStatus.ERROR
    assert "ELQ-00122" in logs(sync)


def test_deleting_the_definition_fails_its_running_sync(world: World) -> None:
    world.backend.schedule = Schedule("polls", pending_polls=1)
    definition = world.definition()
    world.stage(definition, [{"Code": "A"}])
    sync = world.start(definition)
    world.backend.delete_definition(world.object_id, definition.id)
    world.backend.sync(sync.id, poll=True)
    assert world.backend.sync(sync.id, poll=True).status is SyncStatus.ERROR
    assert "ELQ-00143" in logs(sync)


def test_files_per_sync_limit(world: World) -> None:
    world.backend.update_settings({"max_posts_per_sync": 2})
    definition = world.definition()
    world.stage(definition, [{"Code": "A"}])
    world.stage(definition, [{"Code": "B"}])
    with pytest.raises(ValidationFailed) as err:
        world.stage(definition, [{"Code": "C"}])
    assert err.value.failures[0]["field"] == "data"
    world.backend.sync(world.start(definition).id, poll=True)
    world.stage(definition, [{"Code": "C"}])
    assert len(definition.staged) == 1


def test_staging_storage_limit_is_413(world: World) -> None:
    world.backend.update_settings({"max_staged_bytes": 20})
    definition = world.definition()
    with pytest.raises(EloquaError) as err:
        world.stage(definition, [{"Code": "A", "Name": "more than twenty bytes"}])
    assert (err.value.status, err.value.message) == (413, "Storage space exceeded.")


def test_sync_triggered_on_import(world: World) -> None:
    definition = world.definition(isSyncTriggeredOnImport=True)
    sync = world.stage(definition, [{"Code": "A"}])
    assert sync is not None
    assert sync.synced_instance_uri == definition.uri
    assert world.backend.sync(sync.id, poll=True).status is SyncStatus.SUCCESS
    assert list(world.rows()) == ["A"]


def test_settings_are_checked(world: World) -> None:
    with pytest.raises(ValueError, match="unknown setting"):
        world.backend.update_settings({"speed": 1})
    with pytest.raises(ValueError, match="failure_status must be one of"):
        world.backend.update_settings({"failure_status": "failed"})
    with pytest.raises(ValueError, match="positive integer"):
        world.backend.update_settings({"max_post_bytes": 0})


def test_bad_credentials_do_not_authenticate(world: World) -> None:
    import base64

    def header(text: str) -> str:
        return "Basic " + base64.b64encode(text.encode()).decode()

    assert world.backend.authenticate(header("SandboxCo\\api.user:sandbox-password")) is not None
    assert world.backend.authenticate(header("sandboxco\\API.USER:sandbox-password")) is not None
    for bad in (
        header("SandboxCo\\api.user:wrong"),
        header("api.user:sandbox-password"),
        "Basic !!",
        None,
    ):
        assert world.backend.authenticate(bad) is None
