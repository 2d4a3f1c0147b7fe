"""The SDK's standard target tests, curated, with each run read back from the Eloqua emulator."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing import target_tests as std
from singer_sdk.testing.suites import SingerTestSuite
from target_eloqua.target import TargetEloqua

Expected = dict[str, dict[str, Any]] | None
CONFIG: dict[str, Any] = {}  # filled per test by the `resource` fixture (the port is dynamic)
FIELDS = [{"name": "Key", "dataType": "text"}] + [
    {"name": n, "dataType": "largeText"} for n in ("A", "B")
]


def pairs(key: str, *optional: tuple[str, str]) -> dict[str, Any]:
    return {
        "identifier_field": {"eloqua_field": "Key", "dataset_field": key},
        "optional_fields": [{"eloqua_field": e, "dataset_field": d} for e, d in optional],
    }


STREAMS = {
    "TestCamelcase": pairs("Id", ("A", "clientName")),
    "ForecastingTypeToCategory": pairs("Id", ("A", "IsDeleted"), ("B", "CreatedDate")),
    "test:SpecialChars!in?attributes": pairs("_id", ("A", "d")),
    "test_array_data": pairs("id", ("A", "fruits")),
    "test_duplicate_records": pairs("id", ("A", "metric")),
    "test_strings": pairs("id", ("A", "info")),
    "test_strings_in_objects": pairs("id", ("A", "info")),
    "test_strings_in_arrays": pairs("id", ("A", "strings")),
    "test_optional_attributes": pairs("id", ("A", "optional")),
    "record_missing_fields": pairs("id", ("A", "optional")),
    "test_schema_updates": pairs("id", ("A", "a1")),
    "test_multiple_state_messages_a": pairs("id", ("A", "metric")),
    "test_multiple_state_messages_b": pairs("id", ("A", "metric")),
    "test_no_pk": pairs("id", ("A", "metric")),
    "example_stream": pairs("id", ("A", "name"), ("B", "email")),
    "test_record_missing_key_property": pairs("id", ("A", "metric")),
    "test_record_before_schema": pairs("id", ("A", "metric")),
}


def landed(eloqua) -> dict[str, dict[str, Any]]:
    (obj,) = [o for o in eloqua.custom_objects() if o["name"] == "Singer Tests"]
    return {r["fields"]["Key1"]: r["fields"] for r in eloqua.records(obj["id"])}


class ReadBack:
    """Mixin: after the SDK's own checks, compare what Eloqua holds with `expected`."""

    expected: ClassVar[Expected] = None

    def validate(self) -> None:
        if self.expected is None:
            return
        got = {
            k: {f: v[f] for f in ("A1", "B1") if v[f] is not None}
            for k, v in landed(self.resource).items()
        }
        assert got == self.expected


class Camelcase(ReadBack, std.TargetCamelcaseTest):
    expected: ClassVar[Expected] = {
        "1": {"A1": "Gitter Windows Desktop App"},
        "2": {"A1": "Gitter iOS App"},
    }


class Duplicates(ReadBack, std.TargetDuplicateRecords):
    # Same identifier within one sync: collapsed, the last row wins.
    expected: ClassVar[Expected] = {"1": {"A1": "100"}, "2": {"A1": "20"}}


class ArrayData(ReadBack, std.TargetArrayData):
    def validate(self) -> None:
        rows = landed(self.resource)
        assert json.loads(rows["1"]["A1"]) == ["apple", "orange", "pear"]
        assert len(rows) == 4


class SpecialChars(ReadBack, std.TargetSpecialCharsInAttributes):
    expected: ClassVar[Expected] = {
        "a2e98886": {"A1": '{"env":"prod","agent:type":"desktop","agent:os:version":"10.13.1"}'}
    }


class OptionalAttributes(ReadBack, std.TargetOptionalAttributes):
    expected: ClassVar[Expected] = {
        "1": {"A1": "This is optional"},
        "2": {},
        "3": {"A1": "Also optional"},
        "4": {},
    }


class MissingOptionalFields(ReadBack, std.TargetRecordMissingOptionalFields):
    expected: ClassVar[Expected] = {"1": {"A1": "now you see me"}, "2": {}}


class SchemaUpdates(ReadBack, std.TargetSchemaUpdates):
    def validate(self) -> None:
        assert sorted(landed(self.resource)) == [str(i) for i in range(1, 7)]


class NoPrimaryKeys(ReadBack, std.TargetNoPrimaryKeys):
    def validate(self) -> None:
        assert {k: v["A1"] for k, v in landed(self.resource).items()} == {
            "1": "11", "2": "22", "3": "33"
        }  # fmt: skip


class PrimaryKeyUpdates(ReadBack, std.TargetPrimaryKeyUpdates):
    def validate(self) -> None:
        rows = landed(self.resource)
        assert {k: (v["A1"], v["B1"]) for k, v in rows.items()} == {
            "1": ("Alice", "alice@example.com"), "2": ("Bob", "bob@example.com")
        }  # fmt: skip


class EncodedStrings(ReadBack, std.TargetEncodedStringData):
    def validate(self) -> None:
        # Three streams share one custom object here: check the text came through intact.
        values = {v["A1"] for v in landed(self.resource).values()}
        assert any("简单的字串" in v and "απλή συμβολοσειρά" in v for v in values), values


class ComplexCamelcase(ReadBack, std.TargetCamelcaseComplexSchema):
    def validate(self) -> None:
        # Two SCHEMA messages, no RECORD: nothing to write, so not even a definition.
        assert landed(self.resource) == {}
        assert self.resource.requests(r"(?i).*/imports.*") == []


SUITE = SingerTestSuite(
    kind="target",
    tests=[
        std.TargetCliPrintsTest,
        Camelcase,
        ComplexCamelcase,
        Duplicates,
        ArrayData,
        EncodedStrings,
        std.TargetInvalidSchemaTest,
        NoPrimaryKeys,
        OptionalAttributes,
        std.TargetRecordBeforeSchemaTest,
        std.TargetRecordMissingKeyProperty,
        SchemaUpdates,
        PrimaryKeyUpdates,
        SpecialChars,
        MissingOptionalFields,
        # Left out, with the reason:
        # - TargetMultipleStateMessages: it expects a STATE per input checkpoint, but STATE may
        #   only follow an Eloqua commit; the SDK writes it at drain_all (end of input or every
        #   5 minutes), and one sync per checkpoint would burn the hourly sync quota. The exact
        #   STATE lines are asserted in test_state.py instead.
        # - TargetSchemaNoProperties: a stream without properties has no column to use as the
        #   Eloqua identifier; the target refuses such a mapping before writing (tested in
        #   test_writes::test_mapping_mistakes_write_nothing for missing dataset fields).
        # - TargetRecordMissingRequiredProperty: its record lacks the very column mapped as
        #   the identifier; the target rejects such rows (TARGET-IDENTIFIER) and, with the
        #   default max_reject_ratio 0, fails the run by design (test_writes covers rejects).
    ],
)

Base = get_target_test_class(
    TargetEloqua, config=CONFIG, custom_suites=[SUITE], include_target_tests=False
)


class TestTargetEloquaStandard(Base):  # type: ignore[misc, valid-type]
    @pytest.fixture
    def resource(self, eloqua):
        eloqua.create_custom_object("Singer Tests", FIELDS)
        CONFIG.clear()
        CONFIG.update(
            company=eloqua.DEFAULT_COMPANY,
            username=eloqua.DEFAULT_USERNAME,
            password=eloqua.DEFAULT_PASSWORD,
            login_url=eloqua.login_url,
            custom_object="Singer Tests",
            sync_poll_interval=0.01,
            stream_mappings=STREAMS,
            **pairs("id", ("A", "metric")),
        )
        return eloqua
