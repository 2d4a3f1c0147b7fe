"""Handlers of the application REST API 2.0 (eloqua-api.md §2.1-2.2): metadata and record reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.core.app import json_response
from sandbox.eloqua.backend import EloquaBackend, User
from sandbox.eloqua.errors import NotFound
from sandbox.eloqua.models import CustomObject, Record, unix_time
from sandbox.eloqua.paging import name_filter, rest_envelope, rest_window

PodHandler = Callable[..., Response]
DEPTHS = ("minimal", "partial", "complete")


class RestApi:
    """The REST routes, relative to `{base}/api/rest/2.0` (matched lower-cased)."""

    def __init__(self, backend: EloquaBackend) -> None:
        """Serve `backend`."""
        self.backend = backend

    def rules(self) -> list[tuple[str, list[str], PodHandler]]:
        """(rule, methods, handler(request, user, **args))."""
        data = "/data/customobject/<int:object_id>"
        return [
            ("/assets/customobjects", ["GET"], self.list_objects),
            ("/assets/customobject/<int:object_id>", ["GET"], self.get_object),
            (f"{data}/instances", ["GET"], self.list_instances),
            (f"{data}/instance/<int:record_id>", ["GET"], self.get_instance),
        ]

    def list_objects(self, request: Request, user: User) -> Response:
        """`GET /assets/customObjects` (RESTCO): `count`, `page`, `depth`, `search`."""
        page, count = rest_window(request.args)
        keep = name_filter(request.args.get("search"), "search")
        depth = _depth(request.args.get("depth"), "minimal")
        with self.backend.lock:
            elements = [
                _object_json(obj, depth, user.username)
                for obj in self.backend.objects.values()
                if keep({"name": obj.name})
            ]
        body = {"type": "CustomObject", **rest_envelope(elements, page, count)}
        return json_response(body)

    def get_object(self, request: Request, user: User, object_id: int) -> Response:
        """`GET /assets/customObject/{id}` with its `fields[]` (SW-RCO)."""
        depth = _depth(request.args.get("depth"), "complete")
        with self.backend.lock:
            obj = self._object(object_id)
            return json_response(_object_json(obj, depth, user.username))

    def list_instances(self, request: Request, user: User, object_id: int) -> Response:
        """`GET /data/customObject/{id}/instances` (SW-RCOD): `count` ≤ 1000, `page`, `search`."""
        page, count = rest_window(request.args)
        keep = name_filter(request.args.get("search"), "search")
        with self.backend.lock:
            obj = self._object(object_id)
            matching = [
                record for record in obj.records.by_id.values() if keep(_searchable(obj, record))
            ]
            start = (page - 1) * count
            elements = [_instance_json(obj, r) for r in matching[start : start + count]]
        body = {
            "type": "CustomObjectData",
            "elements": elements,
            "page": page,
            "pageSize": count,
            "total": len(matching),
        }
        return json_response(body)

    def get_instance(
        self, request: Request, user: User, object_id: int, record_id: int
    ) -> Response:
        """`GET /data/customObject/{id}/instance/{recordId}`."""
        with self.backend.lock:
            obj = self._object(object_id)
            record = obj.records.by_id.get(record_id)
            if record is None:
                raise NotFound(f"/data/customObject/{object_id}/instance/{record_id}")
            return json_response(_instance_json(obj, record))

    def _object(self, object_id: int) -> CustomObject:
        found = self.backend.objects.get(object_id)
        if found is None:
            raise NotFound(f"/assets/customObject/{object_id}")
        return found


def _depth(raw: str | None, default: str) -> str:
    # RESTCO: an invalid depth is reset to minimal.
    if raw is None:
        return default
    return raw if raw in DEPTHS else "minimal"


def _object_json(obj: CustomObject, depth: str, user: str) -> dict[str, Any]:
    stamp = unix_time(obj.created_at)
    data: dict[str, Any] = {
        "type": "CustomObject",
        "id": str(obj.id),
        "name": obj.name,
        "description": obj.description,
        "depth": depth,
        "createdAt": stamp,
        "createdBy": user,
        "updatedAt": stamp,
        "updatedBy": user,
    }
    for key, role in (
        ("uniqueCodeFieldId", "unique"),
        ("emailAddressFieldId", "email"),
        ("displayNameFieldId", "display"),
    ):
        found = obj.role_field(role)
        if found is not None:
            data[key] = str(found.id)
    if depth != "minimal":
        data["fields"] = [f.rest_json() for f in obj.fields.values()]
    return data


def _instance_json(obj: CustomObject, record: Record) -> dict[str, Any]:
    values = []
    for field in obj.fields.values():
        value = record.values.get(field.id)
        if value is None:
            continue
        if field.data_type == "date":
            # SW-RCOD: the REST API speaks Unix time for date values.
            value = _unix(value)
        values.append({"type": "FieldValue", "id": str(field.id), "value": value})
    unique = obj.role_field("unique")
    display = obj.role_field("display")
    data: dict[str, Any] = {
        "type": "CustomObjectData",
        "id": str(record.id),
        "isMapped": "Yes" if record.contact_id is not None else "No",
        "createdAt": unix_time(record.created_at),
        "updatedAt": unix_time(record.updated_at),
        "fieldValues": values,
    }
    if record.contact_id is not None:
        data["contactId"] = str(record.contact_id)
    if unique is not None and record.values.get(unique.id) is not None:
        data["uniqueCode"] = record.values[unique.id]
    if display is not None and record.values.get(display.id) is not None:
        data["name"] = record.values[display.id]
    return data


def _searchable(obj: CustomObject, record: Record) -> dict[str, Any]:
    item: dict[str, Any] = {"id": str(record.id), "contactId": str(record.contact_id or "")}
    for field in obj.fields.values():
        item[field.internal_name] = record.values.get(field.id) or ""
        if field.unique:
            item["uniqueCode"] = item[field.internal_name]
    return item


def _unix(stored: str) -> str:
    moment = datetime.strptime(stored, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return str(int(moment.timestamp()))
