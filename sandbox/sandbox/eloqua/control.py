"""The Eloqua emulator's own control plane (under `/_sandbox/`): seeding, switches, inspection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.core.app import json_response, read_json
from sandbox.eloqua.backend import EloquaBackend
from sandbox.eloqua.models import (
    BULK_TYPES,
    Contact,
    CustomObject,
    Field,
    derive_internal_name,
    iso_time,
)
from sandbox.eloqua.syncs import FORCED_OUTCOMES, SCHEDULE_MODES, Schedule

Handler = Callable[..., Response]


class ControlError(ValueError):
    """A control request that cannot be honoured (answered with 400)."""


def pod_base(request: Request, pod: str) -> str:
    """The base URL of a pod on this server: `{root}/pods/{pod}`."""
    return f"{request.host_url.rstrip('/')}/pods/{pod}"


class ControlApi:
    """Control routes, relative to `/_sandbox/`."""

    def __init__(self, backend: EloquaBackend) -> None:
        """Drive `backend`."""
        self.backend = backend

    def rules(self) -> list[tuple[str, list[str], Handler]]:
        """(path, methods, handler(request, **args))."""
        routes: list[tuple[str, list[str], Callable[..., Any]]] = [
            ("pod", ["GET"], self.get_pod),
            ("pod", ["POST"], self.move_pod),
            ("users", ["POST"], self.add_user),
            ("custom-objects", ["GET"], self.list_objects),
            ("custom-objects", ["POST"], self.create_object),
            ("custom-objects/<int:object_id>/fields/<path:name>", ["DELETE"], self.delete_field),
            ("custom-objects/<int:object_id>/records", ["GET"], self.records),
            ("contacts", ["POST"], self.add_contact),
            ("sync-schedule", ["POST"], self.sync_schedule),
            ("force-syncs", ["POST"], self.force_syncs),
            ("settings", ["GET", "POST"], self.settings),
            ("syncs", ["GET"], self.syncs),
            ("import-definitions", ["GET"], self.import_definitions),
            ("uploads", ["GET"], self.uploads),
        ]
        return [(path, methods, self._guard(handler)) for path, methods, handler in routes]

    def _guard(self, handler: Callable[..., Any]) -> Handler:
        def run(request: Request, **args: Any) -> Response:
            try:
                with self.backend.lock:
                    result = handler(read_json(request) or {}, request, **args)
            except (ControlError, ValueError, KeyError, TypeError) as exc:
                return json_response({"error": str(exc)}, status=400)
            return json_response(result)

        return run

    def get_pod(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        """The current pod and its base URL."""
        return {"pod": self.backend.pod, "base_url": pod_base(request, self.backend.pod)}

    def move_pod(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        """Move the site to another pod: the old base answers 401 from now on (§1.3)."""
        pod = str(body["pod"]).lower()
        if not pod.isalnum():
            raise ControlError("a pod name is letters and digits, e.g. p06")
        self.backend.pod = pod
        return self.get_pod(body, request)

    def add_user(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        """Add an API user."""
        user = self.backend.add_user(body["company"], body["username"], body["password"])
        return {"id": user.id, "siteId": user.site_id}

    def list_objects(self, body: dict[str, Any], request: Request) -> list[dict[str, Any]]:
        """Every custom object with its fields."""
        return [
            {
                "id": obj.id,
                "name": obj.name,
                "fields": [_field_json(f) for f in obj.fields.values()],
            }
            for obj in self.backend.objects.values()
        ]

    def create_object(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        """Create a custom object from `{"name", "fields": [...]}`; returns its id."""
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ControlError("a custom object needs a name")
        specs = body.get("fields") or []
        if sum(1 for spec in specs if spec.get("unique")) > 1:
            raise ControlError("a custom object has at most one unique-code field")
        obj = CustomObject(self.backend.next_id("object", 1), name)
        for spec in specs:
            new = self._field(obj, spec)
            obj.fields[new.id] = new
        self.backend.objects[obj.id] = obj
        return {"id": obj.id, "fields": [_field_json(f) for f in obj.fields.values()]}

    def _field(self, obj: CustomObject, spec: dict[str, Any]) -> Field:
        name, data_type = spec.get("name"), spec.get("dataType", "text")
        if not isinstance(name, str) or not name:
            raise ControlError("a field needs a name")
        if data_type not in BULK_TYPES:
            raise ControlError(f"dataType must be one of {sorted(BULK_TYPES)}, not {data_type!r}")
        taken = [f.internal_name for f in obj.fields.values()]
        internal = spec.get("internalName") or derive_internal_name(name, taken)
        if internal in taken:
            raise ControlError(f"internal name {internal!r} is used twice")
        return Field(
            id=self.backend.next_id("field", 100),
            object_id=obj.id,
            name=name,
            internal_name=internal,
            data_type=data_type,
            read_only=bool(spec.get("readOnly", False)),
            unique=bool(spec.get("unique", False)),
            not_null=bool(spec.get("notNull", False)),
            default_value=str(spec.get("defaultValue", "")),
        )

    def delete_field(
        self, body: dict[str, Any], request: Request, object_id: int, name: str
    ) -> dict[str, Any]:
        """Delete a field by display or internal name (definitions using it go stale)."""
        obj = self._object(object_id)
        for field in list(obj.fields.values()):
            if name in (field.name, field.internal_name):
                del obj.fields[field.id]
                obj.records.drop_field(field.id)
                return {"deleted": field.id}
        raise ControlError(f"custom object {object_id} has no field {name!r}")

    def records(self, body: dict[str, Any], request: Request, object_id: int) -> list[Any]:
        """The records in creation order, values keyed by internal name."""
        self.backend.advance_all()
        obj = self._object(object_id)
        names = {f.id: f.internal_name for f in obj.fields.values()}
        return [
            {
                "id": record.id,
                "contactId": record.contact_id,
                "fields": {name: record.get(fid) for fid, name in names.items()},
                "createdAt": iso_time(record.created_at),
                "updatedAt": iso_time(record.updated_at),
            }
            for record in obj.records.by_id.values()
        ]

    def add_contact(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        """Add a contact: `{"email": ..., "fields": {"C_FirstName": ...}}`."""
        fields = {str(k): str(v) for k, v in (body.get("fields") or {}).items()}
        fields["C_EmailAddress"] = str(body["email"])
        contact = Contact(self.backend.next_id("contact", 1), fields)
        self.backend.contacts[contact.id] = contact
        return {"id": contact.id}

    def sync_schedule(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        """Set how syncs created from now on advance."""
        mode = body.get("mode", "immediate")
        if mode not in SCHEDULE_MODES:
            raise ControlError(f"mode must be one of {SCHEDULE_MODES}")
        schedule = Schedule(
            mode=mode,
            pending_polls=int(body.get("pending_polls", 0)),
            active_polls=int(body.get("active_polls", 0)),
            seconds=float(body.get("seconds", 0.0)),
        )
        if min(schedule.pending_polls, schedule.active_polls, schedule.seconds) < 0:
            raise ControlError("polls and seconds cannot be negative")
        self.backend.schedule = schedule
        return {"mode": schedule.mode}

    def force_syncs(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        """Force the outcome of the next syncs (`error` or `never`)."""
        outcome, count = body.get("outcome"), int(body.get("count", 1))
        if outcome not in FORCED_OUTCOMES or count < 1:
            raise ControlError(f"outcome must be one of {FORCED_OUTCOMES}, count ≥ 1")
        self.backend.force_next_syncs(str(outcome), count)
        return {"forced": list(self.backend.forced)}

    def settings(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        """Read, or change then read, the behaviour switches."""
        if request.method == "POST":
            self.backend.update_settings(body)
        return dict(self.backend.settings)

    def syncs(self, body: dict[str, Any], request: Request) -> list[dict[str, Any]]:
        """Every sync with its status and row counts."""
        self.backend.advance_all()
        status = str(self.backend.settings["failure_status"])
        return [s.summary(status) for s in self.backend.syncs.values()]

    def import_definitions(self, body: dict[str, Any], request: Request) -> list[dict[str, Any]]:
        """The live import definitions, with their staged file counts."""
        return [
            {**d.to_json(), "stagedUploads": len(d.staged)}
            for d in self.backend.definitions.values()
        ]

    def uploads(self, body: dict[str, Any], request: Request) -> list[dict[str, Any]]:
        """Every accepted data POST."""
        return list(self.backend.upload_log)

    def _object(self, object_id: int) -> CustomObject:
        found = self.backend.objects.get(object_id)
        if found is None:
            raise ControlError(f"no custom object {object_id}")
        return found


def _field_json(field: Field) -> dict[str, Any]:
    return {
        "id": field.id,
        "name": field.name,
        "internalName": field.internal_name,
        "dataType": field.data_type,
        "statement": field.statement,
        "readOnly": field.read_only,
        "unique": field.unique,
        "notNull": field.not_null,
    }
