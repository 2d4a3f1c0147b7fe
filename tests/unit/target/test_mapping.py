"""Resolving the configured mapping against Eloqua's metadata."""

from __future__ import annotations

import pytest
from target_eloqua.bulk import BulkField, CustomObject
from target_eloqua.convert import FieldKind
from target_eloqua.errors import MappingConfigError
from target_eloqua.mapping import (
    ContactsConfig,
    FieldPair,
    MappingConfig,
    field_kind,
    find_field,
    mapping_for_stream,
    pick_custom_object,
    resolve_mapping,
)

OBJ = CustomObject(id=9, name="Orders")


def fld(name: str, internal: str, bulk: str = "string", rest: str | None = "text", **kw: bool):
    fid = abs(hash(internal)) % 1000
    return BulkField(
        name=name,
        internal_name=internal,
        data_type=bulk,
        statement=f"{{{{CustomObject[9].Field[{fid}]}}}}",
        uri=f"/customObjects/9/fields/{fid}",
        rest_data_type=rest,
        **kw,
    )


FIELDS = [
    fld("Order Id", "Order_Id1"),
    fld("Number of Tickets", "Numbers1", bulk="number", rest="number"),
    fld("Amount", "Amount1", bulk="number", rest="numeric"),
    fld("Notes", "Notes1", rest="largeText"),
    fld("Ordered At", "Ordered_At1", bulk="date", rest="date"),
    fld("Email", "Email1", bulk="emailAddress", rest="text"),
    fld("Locked", "Locked1", read_only=True),
    fld("Twin", "Twin_A"),
    fld("Twin_A", "Twin_B"),
]
SCHEMA = {"id": {}, "Numbers": {}, "amount": {}, "notes": {}, "at": {}, "email": {}}


def cfg(identifier: tuple[str, str], *optional: tuple[str, str]) -> MappingConfig:
    return MappingConfig(
        custom_object=9,
        identifier=FieldPair(*identifier),
        optional=tuple(FieldPair(*p) for p in optional),
        setting="",
    )


def test_fields_resolve_by_display_or_internal_name() -> None:
    resolved = resolve_mapping(
        cfg(("Order Id", "id"), ("Number of Tickets", "Numbers"), ("Amount1", "amount")),
        OBJ,
        FIELDS,
        SCHEMA,
    )
    assert [(c.key, c.dataset_field, c.kind) for c in resolved.columns] == [
        ("Order_Id1", "id", FieldKind.TEXT),
        ("Numbers1", "Numbers", FieldKind.NUMBER),
        ("Amount1", "amount", FieldKind.NUMERIC),
    ]
    assert resolved.identifier.key == "Order_Id1"
    assert resolved.object_id == 9


def test_kinds_come_from_rest_types_then_bulk() -> None:
    kinds = {f.internal_name: field_kind(f) for f in FIELDS}
    assert kinds["Notes1"] is FieldKind.LARGE_TEXT
    assert kinds["Ordered_At1"] is FieldKind.DATE
    assert kinds["Email1"] is FieldKind.EMAIL
    assert field_kind(fld("X", "X", bulk="number", rest=None)) is FieldKind.NUMERIC


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (cfg(("Nope", "id")), "`identifier_field.eloqua_field`: no Eloqua field named 'Nope'"),
        (cfg(("Twin_A", "id")), "'Twin_A' names several Eloqua fields"),
        (
            cfg(("Order Id", "id"), ("Locked", "id")),
            "`optional_fields[0].eloqua_field`: Eloqua field 'Locked' is read-only",
        ),
        (cfg(("Notes", "notes")), "is large text, which Eloqua refuses as an import identifier"),
        (cfg(("Ordered At", "at")), "is date, which Eloqua refuses as an import identifier"),
        (
            cfg(("Order Id", "missing")),
            "`identifier_field.dataset_field`: the stream has no field 'missing'",
        ),
        (
            cfg(("Order Id", "id"), ("Order_Id1", "id")),
            "is already mapped by `identifier_field`",
        ),
    ],
)
def test_mappings_that_cannot_work_are_refused(mapping: MappingConfig, message: str) -> None:
    with pytest.raises(MappingConfigError, match=None) as info:
        resolve_mapping(mapping, OBJ, FIELDS, SCHEMA)
    assert message in str(info.value)


def test_more_than_100_fields_is_refused() -> None:
    many = [fld(f"F{i}", f"F{i}") for i in range(101)]
    mapping = MappingConfig(
        9, FieldPair("F0", "id"), tuple(FieldPair(f"F{i}", "id") for i in range(1, 101)), ""
    )
    with pytest.raises(MappingConfigError, match="at most 100"):
        resolve_mapping(mapping, OBJ, many, None)


def test_map_to_contacts_needs_a_mapped_column() -> None:
    contacts = ContactsConfig(dataset_field="email")
    resolved = resolve_mapping(
        cfg(("Order Id", "id"), ("Email", "email")), OBJ, FIELDS, SCHEMA, contacts
    )
    assert resolved.contact_source_key() == "Email1"
    with pytest.raises(MappingConfigError, match="must also be mapped"):
        resolve_mapping(cfg(("Order Id", "id")), OBJ, FIELDS, SCHEMA, contacts)


def test_custom_object_by_id_or_exact_name() -> None:
    objects = [CustomObject(3, "Orders"), CustomObject(4, "orders"), CustomObject(5, "Dup"),
               CustomObject(6, "Dup")]  # fmt: skip
    assert pick_custom_object(4, objects, "custom_object").id == 4
    assert pick_custom_object("3", objects, "custom_object").id == 3
    assert pick_custom_object("orders", objects, "custom_object").id == 4
    with pytest.raises(MappingConfigError, match="several custom objects are named 'Dup'"):
        pick_custom_object("Dup", objects, "custom_object")
    with pytest.raises(MappingConfigError, match="`custom_object`: no custom object"):
        pick_custom_object("ORDERS", objects, "custom_object")


def test_find_field_is_exact() -> None:
    with pytest.raises(MappingConfigError):
        find_field("order id", FIELDS, "x")


def test_stream_mappings_override_the_top_level() -> None:
    config = {
        "custom_object": "Orders",
        "identifier_field": {"eloqua_field": "Order Id", "dataset_field": "id"},
        "optional_fields": [{"eloqua_field": "Amount", "dataset_field": "amount"}],
        "stream_mappings": {
            "tickets": {
                "custom_object": 12,
                "identifier_field": {"eloqua_field": "Ticket", "dataset_field": "tid"},
            },
            "orders_v2": {"identifier_field": {"eloqua_field": "Order Id", "dataset_field": "k"}},
        },
    }
    top = mapping_for_stream(config, "orders")
    assert (top.custom_object, top.identifier.dataset_field, len(top.optional)) == (
        "Orders",
        "id",
        1,
    )
    tickets = mapping_for_stream(config, "tickets")
    assert (tickets.custom_object, tickets.optional, tickets.setting) == (
        12,
        (),
        "stream_mappings.tickets",
    )
    v2 = mapping_for_stream(config, "orders_v2")
    assert (v2.custom_object, v2.identifier.dataset_field, len(v2.optional)) == ("Orders", "k", 1)
    with pytest.raises(MappingConfigError, match=r"`stream_mappings\.bad\.identifier_field` needs"):
        mapping_for_stream({**config, "stream_mappings": {"bad": {"identifier_field": {}}}}, "bad")
