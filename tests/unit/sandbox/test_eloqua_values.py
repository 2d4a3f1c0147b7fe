"""Eloqua emulator, pure parts: value validation, definition validation, upload parsing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from sandbox.eloqua import values as v
from sandbox.eloqua.errors import EloquaError, ValidationFailed
from sandbox.eloqua.imports import build_definition, parse_duration
from sandbox.eloqua.models import CustomObject, Field
from sandbox.eloqua.uploads import parse_upload


# ---- values ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["0", "7", "123456789012"])
def test_number_accepts_non_negative_integers(value: str) -> None:
    assert v.check_number(value) == value


@pytest.mark.parametrize("value", ["-1", "1.5", "1e3", "null", " 1", "abc"])
def test_number_rejects_anything_else(value: str) -> None:
    with pytest.raises(v.InvalidValue) as err:
        v.check_number(value)
    assert err.value.code == "ELQ-00144"


@pytest.mark.parametrize("value", ["12.5", "-3", "0.1234", "999999999999999.9999", ".5"])
def test_numeric_accepts_decimals_within_limits(value: str) -> None:
    assert v.check_numeric(value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.23456", "Invalid numeric value: more than 4 decimal places."),
        ("1234567890123456", "Invalid numeric value: more than 15 integer digits."),
        ("$12", "Invalid numeric value: not a number."),
        ("null", "Invalid numeric value: not a number."),
        ("-", "Invalid numeric value: not a number."),
    ],
)
def test_numeric_rejects_with_reason(value: str, message: str) -> None:
    with pytest.raises(v.InvalidValue) as err:
        v.check_numeric(value)
    assert err.value.message == message


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2024-03-05", "2024-03-05 00:00:00"),
        ("2024-03-05 07:08:09", "2024-03-05 07:08:09"),
        ("2024-03-05T07:08:09", "2024-03-05 07:08:09"),
        ("2024-03-05T07:08:09.123456", "2024-03-05 07:08:09"),
        ("2024-03-05T07:08:09Z", "2024-03-05 07:08:09"),
        ("2024-03-05T07:08:09+02:00", "2024-03-05 05:08:09"),
        ("03/05/2024", "2024-03-05 00:00:00"),
    ],
)
def test_date_formats_are_parsed_and_normalised(value: str, stored: str) -> None:
    assert v.check_date(value) == stored


@pytest.mark.parametrize(
    "value", ["13/10/2014", "2024-02-30", "2024-02-30 10:00:00", "yesterday", "null", "2024-3-5"]
)
def test_bad_dates_are_rejected(value: str) -> None:
    with pytest.raises(v.InvalidValue, match=r"Invalid date value\."):
        v.check_date(value)


def test_email_validation_uses_elq_00002() -> None:
    assert v.check_email("a.b+c@example.co.uk") == "a.b+c@example.co.uk"
    for bad in ("Polar bear", "a@b", "@example.com", "a@@example.com", "null"):
        with pytest.raises(v.InvalidValue) as err:
            v.check_email(bad)
        assert (err.value.code, err.value.message) == ("ELQ-00002", "Invalid email address.")


def test_text_limits_reject_or_truncate() -> None:
    text = v.validator_for("text", unique=False, truncate=False)
    assert text("x" * 250) == "x" * 250
    with pytest.raises(v.InvalidValue, match="maximum length of 250"):
        text("x" * 251)
    unique = v.validator_for("text", unique=True, truncate=False)
    with pytest.raises(v.InvalidValue, match="maximum length of 100"):
        unique("x" * 101)
    large = v.validator_for("largeText", unique=False, truncate=False)
    assert large("x" * 32_000) == "x" * 32_000
    with pytest.raises(v.InvalidValue):
        large("x" * 32_001)
    assert v.validator_for("text", unique=False, truncate=True)("x" * 300) == "x" * 250


def test_json_null_is_blank_but_the_string_null_is_a_value() -> None:
    assert v.as_text(None) is None
    assert v.as_text("") is None
    assert v.as_text("null") == "null"
    assert v.as_text(12) == "12"
    assert v.as_text(1.5) == "1.5"
    with pytest.raises(v.InvalidValue) as err:
        v.as_text({"nested": 1})
    assert err.value.code == "ELQ-00032"


# ---- import definitions ------------------------------------------------------------------------
def _object() -> CustomObject:
    obj = CustomObject(9, "Orders")
    for fid, name, kind, read_only in [
        (101, "Order Id", "text", False),
        (102, "Notes", "largeText", False),
        (103, "Placed", "date", False),
        (104, "Computed", "text", True),
    ]:
        obj.fields[fid] = Field(fid, 9, name, name.replace(" ", "_") + "1", kind, read_only)
    return obj


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "orders",
        "fields": {
            "OrderId": "{{CustomObject[9].Field[101]}}",
            "Notes": "{{CustomObject[9].Field[102]}}",
        },
        "identifierFieldName": "OrderId",
        "isSyncTriggeredOnImport": False,
    }
    body.update(changes)
    return {k: val for k, val in body.items() if val is not None}


def _failures(body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationFailed) as err:
        build_definition(body, _object(), 1, "api.user")
    assert err.value.status == 400
    return err.value.failures


def test_a_valid_definition_is_built_with_eloqua_defaults() -> None:
    definition = build_definition(_body(), _object(), 874, "api.user")
    data = definition.to_json()
    assert data["uri"] == "/customObjects/9/imports/874"
    assert data["updateRule"] == "always"
    assert data["dataRetentionDuration"] == "P7D"
    assert data["isUpdatingMultipleMatchedRecords"] is False
    assert data["createdBy"] == "api.user"
    assert definition.targets == {"OrderId": 101, "Notes": 102}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": None}, {"field": "name", "value": "", "constraint": "Is required."}),
        (
            {"name": "n" * 101},
            {"field": "name", "value": "n" * 101, "constraint": "Must be at most 100 characters."},
        ),
        ({"fields": None}, {"field": "fields", "value": "", "constraint": "Is required."}),
        (
            {"identifierFieldName": "Email"},
            {
                "field": "identifierFieldName",
                "value": "Email",
                "constraint": "Email must be contained within Fields",
            },
        ),
        (
            {"identifierFieldName": "Notes"},
            {
                "field": "identifierFieldName",
                "value": "Notes",
                "constraint": "Large Text, Date and Boolean fields are not supported as "
                "identifiers.",
            },
        ),
        (
            {"updateRule": "sometimes"},
            {
                "field": "updateRule",
                "value": "sometimes",
                "constraint": "Must be one of: always, ifNewIsNotNull, ifExistingIsNull, "
                "useFieldRule.",
            },
        ),
        (
            {"dataRetentionDuration": "P15D"},
            {
                "field": "dataRetentionDuration",
                "value": "P15D",
                "constraint": "Must be between PT1H and P14D.",
            },
        ),
        (
            {"autoDeleteDuration": "PT30M"},
            {
                "field": "autoDeleteDuration",
                "value": "PT30M",
                "constraint": "Must be at least PT1H.",
            },
        ),
        (
            {"autoDeleteDuration": "3 days"},
            {
                "field": "autoDeleteDuration",
                "value": "3 days",
                "constraint": "Must be an ISO-8601 duration.",
            },
        ),
        (
            {"isSyncTriggeredOnImport": "no"},
            {"field": "isSyncTriggeredOnImport", "value": "no", "constraint": "Must be a boolean."},
        ),
    ],
)
def test_definition_failures(changes: dict[str, Any], expected: dict[str, Any]) -> None:
    assert _failures(_body(**changes)) == [expected]


def test_date_identifier_is_refused() -> None:
    body = _body(fields={"Placed": "{{CustomObject[9].Field[103]}}"}, identifierFieldName="Placed")
    assert _failures(body)[0]["field"] == "identifierFieldName"


def test_field_statements_must_belong_to_this_object_and_be_writable() -> None:
    failures = _failures(
        _body(
            fields={
                "OrderId": "{{CustomObject[9].Field[101]}}",
                "Other": "{{CustomObject[8].Field[101]}}",
                "Gone": "{{CustomObject[9].Field[999]}}",
                "Computed": "{{CustomObject[9].Field[104]}}",
                "Junk": "OrderId",
            }
        )
    )
    assert [(f["value"], f["constraint"]) for f in failures] == [
        ("{{CustomObject[8].Field[101]}}", "Must be a field statement of CustomObject[9]."),
        ("{{CustomObject[9].Field[999]}}", "Must reference an existing field."),
        ("{{CustomObject[9].Field[104]}}", "Field is read-only and cannot be imported."),
        ("OrderId", "Must be a field statement of CustomObject[9]."),
    ]


def test_more_than_100_fields_are_refused() -> None:
    fields = {f"k{i}": "{{CustomObject[9].Field[101]}}" for i in range(101)}
    failures = _failures(_body(fields=fields, identifierFieldName="k0"))
    assert failures[0] == {
        "field": "fields",
        "value": "101",
        "constraint": "Must contain at most 100 fields.",
    }


def test_record_id_statements_are_accepted_as_identifiers() -> None:
    body = _body(
        fields={"Id": "{{CustomObject[9].Id}}", "OrderId": "{{CustomObject[9].Field[101]}}"},
        identifierFieldName="Id",
    )
    assert build_definition(body, _object(), 1, "u").targets == {"Id": "Id", "OrderId": 101}


def test_map_data_cards_is_validated() -> None:
    failures = _failures(
        _body(
            mapDataCards=True,
            mapDataCardsEntityType="Account",
            mapDataCardsSourceField="Missing",
            mapDataCardsEntityField="C_EmailAddress",
        )
    )
    assert [f["field"] for f in failures] == [
        "mapDataCardsEntityType",
        "mapDataCardsSourceField",
        "mapDataCardsEntityField",
    ]
    ok = _body(
        mapDataCards=True,
        mapDataCardsEntityType="Contact",
        mapDataCardsSourceField="OrderId",
        mapDataCardsEntityField="{{Contact.Field(C_EmailAddress)}}",
    )
    assert build_definition(ok, _object(), 1, "u").body["mapDataCards"] is True


def test_iso_durations() -> None:
    assert parse_duration("P7D") == timedelta(days=7)
    assert parse_duration("PT1H") == timedelta(hours=1)
    assert parse_duration("P1DT12H30M") == timedelta(days=1, hours=12, minutes=30)
    assert parse_duration("P2W") == timedelta(weeks=2)
    for bad in ("P", "PT", "7D", "P1DT", "P1H"):
        assert parse_duration(bad) is None


# ---- uploads ------------------------------------------------------------------------------------
def test_json_upload_keeps_rows_and_keys() -> None:
    rows = [{"a": "1", "b": None}, {"a": "2", "c": "x"}]
    upload = parse_upload(orjson.dumps(rows), "application/json; charset=utf-8")
    assert upload.rows == rows
    assert upload.keys == {"a", "b", "c"}
    assert upload.content_type == "application/json"


def test_csv_upload_follows_rfc_4180() -> None:
    raw = b'\xef\xbb\xbfid,note\r\n1,"a, ""quoted""\r\nline"\r\n2,\r\n3\r\n'
    upload = parse_upload(raw, "text/csv")
    assert upload.rows == [
        {"id": "1", "note": 'a, "quoted"\r\nline'},
        {"id": "2", "note": ""},
        ["3"],
    ]
    assert upload.keys == {"id", "note"}


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"a": 1}', "application/json"),
        (b"a,b", "application/xml"),
    ],
)
def test_unparseable_uploads_are_400(raw: bytes, content_type: str) -> None:
    with pytest.raises(EloquaError) as err:
        parse_upload(raw, content_type)
    assert err.value.status == 400
