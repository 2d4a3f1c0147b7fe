"""Import definitions (eloqua-api.md §3.1): validation, their JSON, staged uploads (§3.2)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sandbox.eloqua.errors import ValidationFailed, failure
from sandbox.eloqua.models import CustomObject, iso_time

MAX_FIELDS = 100
MAX_NAME = 100
MAX_SYNC_ACTIONS = 10
UPDATE_RULES = ("always", "ifNewIsNotNull", "ifExistingIsNull", "useFieldRule")
ENTITY_TYPES = ("Contact", "Company")
RECORD_ID = "Id"
EXTERNAL_ID = "ExternalId"
#: Types Eloqua refuses as identifiers (IMPCHAR: large text, date, boolean).
NOT_IDENTIFIER_TYPES = ("largeText", "date")
BOOLEAN_PROPERTIES = (
    "isSyncTriggeredOnImport",
    "isUpdatingMultipleMatchedRecords",
    "mapDataCards",
    "mapDataCardsCaseSensitiveMatch",
    "nullIdentifierFieldName",
)

_STATEMENT = re.compile(
    r"\{\{CustomObject\[(\d+)\]\.(?:Field\[(\d+)\]|(Id|ExternalId))\}\}", re.IGNORECASE
)
_ENTITY_FIELD = re.compile(r"\{\{(Contact|Company)\.Field\((\w+)\)\}\}")
_DURATION = re.compile(
    r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)
_HOUR = timedelta(hours=1)
_FOURTEEN_DAYS = timedelta(days=14)

#: A mapped target: a field id, or the record-level `Id` / `ExternalId` statement.
Target = int | str


@dataclass
class Upload:
    """One data POST staged on a definition."""

    rows: list[Any]
    keys: set[str]
    bytes: int
    content_type: str
    created_at: float = field(default_factory=time.time)

    @property
    def row_count(self) -> int:
        """How many rows the POST carried."""
        return len(self.rows)


@dataclass
class ImportDefinition:
    """A custom-object import definition and its staging area."""

    id: int
    parent_id: int
    body: dict[str, Any]
    targets: dict[str, Target]
    created_by: str
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    staged: list[Upload] = field(default_factory=list)

    @property
    def uri(self) -> str:
        """`/customObjects/{parent}/imports/{id}`, relative to `/api/bulk/2.0` (§3.1)."""
        return f"/customObjects/{self.parent_id}/imports/{self.id}"

    @property
    def identifier(self) -> str:
        """The `fields` key used to match records."""
        return str(self.body["identifierFieldName"])

    def option(self, name: str) -> Any:
        """A request property, with Eloqua's default when it was omitted."""
        return self.body.get(name, _DEFAULTS.get(name))

    def staged_bytes(self) -> int:
        """Bytes staged and not yet synced."""
        return sum(upload.bytes for upload in self.staged)

    def to_json(self) -> dict[str, Any]:
        """The definition as `GET {uri}` returns it (COIMPGET)."""
        data = {name: self.option(name) for name in _DEFAULTS}
        data.update(self.body)
        data.update(
            {
                "id": self.id,
                "parentId": self.parent_id,
                "uri": self.uri,
                "kbUsed": self.staged_bytes() // 1024,
                "createdBy": self.created_by,
                "createdAt": iso_time(self.created_at),
                "updatedBy": self.created_by,
                "updatedAt": iso_time(self.updated_at),
            }
        )
        return {key: value for key, value in data.items() if value is not None}


# IMPCHAR documents isSyncTriggeredOnImport defaulting to true; COIMPGET gives P7D retention.
_DEFAULTS: dict[str, Any] = {
    "updateRule": "always",
    "isSyncTriggeredOnImport": True,
    "isUpdatingMultipleMatchedRecords": False,
    "dataRetentionDuration": "P7D",
    "mapDataCards": False,
    "mapDataCardsCaseSensitiveMatch": False,
}
_READ_ONLY = ("id", "parentId", "uri", "kbUsed", "createdAt", "createdBy", "updatedAt", "updatedBy")


def build_definition(
    body: Any, obj: CustomObject, definition_id: int, user: str
) -> ImportDefinition:
    """Validate a `POST /customObjects/{id}/imports` body and build the definition.

    Raises:
        ValidationFailed: with one failure per invalid property (§6.2).
    """
    if not isinstance(body, dict):
        raise ValidationFailed([failure("", "", "The request body must be a JSON object.")])
    failures: list[dict[str, Any]] = []
    _check_name(body, failures)
    targets = _check_fields(body, obj, failures)
    _check_identifier(body, obj, targets, failures)
    _check_options(body, failures)
    _check_map_data_cards(body, failures)
    if failures:
        raise ValidationFailed(failures)
    kept = {key: value for key, value in body.items() if key not in _READ_ONLY}
    return ImportDefinition(definition_id, obj.id, kept, targets or {}, user)


def resolve_targets(definition: ImportDefinition, obj: CustomObject) -> list[dict[str, Any]]:
    """Failures for mapped fields that no longer exist (20D: checked again at sync creation)."""
    return [
        failure("fields", definition.body["fields"][key], "Field no longer exists.")
        for key, target in definition.targets.items()
        if isinstance(target, int) and target not in obj.fields
    ]


def _check_name(body: dict[str, Any], failures: list[dict[str, Any]]) -> None:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        failures.append(failure("name", name, "Is required."))
    elif len(name) > MAX_NAME:
        failures.append(failure("name", name, f"Must be at most {MAX_NAME} characters."))


def _check_fields(
    body: dict[str, Any], obj: CustomObject, failures: list[dict[str, Any]]
) -> dict[str, Target] | None:
    fields = body.get("fields")
    if not isinstance(fields, dict) or not fields:
        failures.append(failure("fields", fields, "Is required."))
        return None
    if len(fields) > MAX_FIELDS:
        constraint = f"Must contain at most {MAX_FIELDS} fields."
        failures.append(failure("fields", len(fields), constraint))
        return None
    targets: dict[str, Target] = {}
    for key, statement in fields.items():
        target = _target(statement, obj, failures)
        if target is not None:
            targets[key] = target
    return targets


def _target(statement: Any, obj: CustomObject, failures: list[dict[str, Any]]) -> Target | None:
    match = _STATEMENT.fullmatch(statement) if isinstance(statement, str) else None
    if match is None or int(match.group(1)) != obj.id:
        constraint = f"Must be a field statement of CustomObject[{obj.id}]."
        failures.append(failure("fields", statement, constraint))
        return None
    if match.group(3):
        return RECORD_ID if match.group(3).lower() == "id" else EXTERNAL_ID
    found = obj.fields.get(int(match.group(2)))
    if found is None:
        failures.append(failure("fields", statement, "Must reference an existing field."))
        return None
    if found.read_only:
        failures.append(failure("fields", statement, "Field is read-only and cannot be imported."))
        return None
    return found.id


def _check_identifier(
    body: dict[str, Any],
    obj: CustomObject,
    targets: dict[str, Target] | None,
    failures: list[dict[str, Any]],
) -> None:
    name = body.get("identifierFieldName")
    if not isinstance(name, str) or not name:
        failures.append(failure("identifierFieldName", name, "Is required."))
        return
    if targets is None:
        return
    if name not in body.get("fields", {}):
        # ELQ-00112's wording.
        failures.append(
            failure("identifierFieldName", name, f"{name} must be contained within Fields")
        )
        return
    target = targets.get(name)
    if isinstance(target, int) and obj.fields[target].data_type in NOT_IDENTIFIER_TYPES:
        constraint = "Large Text, Date and Boolean fields are not supported as identifiers."
        failures.append(failure("identifierFieldName", name, constraint))


def _check_options(body: dict[str, Any], failures: list[dict[str, Any]]) -> None:
    for name in BOOLEAN_PROPERTIES:
        if name in body and not isinstance(body[name], bool):
            failures.append(failure(name, body[name], "Must be a boolean."))
    if "updateRule" in body and body["updateRule"] not in UPDATE_RULES:
        constraint = f"Must be one of: {', '.join(UPDATE_RULES)}."
        failures.append(failure("updateRule", body["updateRule"], constraint))
    by_field = body.get("updateRuleByField")
    if by_field is not None and not _valid_rules_by_field(by_field, body.get("fields")):
        constraint = "Must map keys of fields to update rules."
        failures.append(failure("updateRuleByField", by_field, constraint))
    _check_duration(body, "dataRetentionDuration", _FOURTEEN_DAYS, failures)
    _check_duration(body, "autoDeleteDuration", None, failures)
    actions = body.get("syncActions")
    if actions is not None and (not isinstance(actions, list) or len(actions) > MAX_SYNC_ACTIONS):
        constraint = f"Must be a list of at most {MAX_SYNC_ACTIONS} actions."
        failures.append(failure("syncActions", actions, constraint))


def _valid_rules_by_field(by_field: Any, fields: Any) -> bool:
    if not isinstance(by_field, dict) or not isinstance(fields, dict):
        return False
    return all(key in fields and rule in UPDATE_RULES[:3] for key, rule in by_field.items())


def _check_duration(
    body: dict[str, Any], name: str, maximum: timedelta | None, failures: list[dict[str, Any]]
) -> None:
    if name not in body or body[name] is None:
        return
    value = body[name]
    span = parse_duration(value) if isinstance(value, str) else None
    if span is None:
        failures.append(failure(name, value, "Must be an ISO-8601 duration."))
    elif span < _HOUR or (maximum is not None and span > maximum):
        limit = "between PT1H and P14D" if maximum is not None else "at least PT1H"
        failures.append(failure(name, value, f"Must be {limit}."))


def parse_duration(text: str) -> timedelta | None:
    """An ISO-8601 duration (`P7D`, `PT1H`, `P1DT12H`…); years count 365 days, months 30."""
    match = _DURATION.fullmatch(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        return None
    years, months, weeks, days, hours, minutes, seconds = match.groups()
    return timedelta(
        days=int(years or 0) * 365 + int(months or 0) * 30 + int(days or 0),
        weeks=int(weeks or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=float(seconds or 0),
    )


def _check_map_data_cards(body: dict[str, Any], failures: list[dict[str, Any]]) -> None:
    if body.get("mapDataCards") is not True:
        return
    entity_type = body.get("mapDataCardsEntityType")
    if entity_type not in ENTITY_TYPES:
        constraint = "Must be Contact or Company."
        failures.append(failure("mapDataCardsEntityType", entity_type, constraint))
    source = body.get("mapDataCardsSourceField")
    fields = body.get("fields")
    if not isinstance(source, str) or not isinstance(fields, dict) or source not in fields:
        constraint = "Must be contained within Fields."
        failures.append(failure("mapDataCardsSourceField", source, constraint))
    entity_field = body.get("mapDataCardsEntityField")
    match = _ENTITY_FIELD.fullmatch(entity_field) if isinstance(entity_field, str) else None
    if match is None or match.group(1) != entity_type:
        constraint = f"Must be a field statement of the {entity_type} entity."
        failures.append(failure("mapDataCardsEntityField", entity_field, constraint))


def entity_field_name(definition: ImportDefinition) -> str:
    """The entity field internal name (`C_EmailAddress`) of a mapDataCards definition."""
    match = _ENTITY_FIELD.fullmatch(str(definition.body.get("mapDataCardsEntityField", "")))
    return match.group(2) if match else ""
