"""Handlers of the Bulk API 2.0 (eloqua-api.md §2.3, §3): custom objects, imports, data, syncs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

from sandbox.core.app import json_response
from sandbox.eloqua.backend import EloquaBackend, User
from sandbox.eloqua.errors import PARSING_ERROR, EloquaError, ValidationFailed, failure
from sandbox.eloqua.paging import bulk_page
from sandbox.eloqua.uploads import JSON, media_type, parse_upload, paused_gc

PodHandler = Callable[..., Response]
_CHUNK = 1024 * 1024


class BulkApi:
    """The Bulk API routes, relative to `{base}/api/bulk/2.0` (matched lower-cased)."""

    def __init__(self, backend: EloquaBackend) -> None:
        """Serve `backend`."""
        self.backend = backend

    def rules(self) -> list[tuple[str, list[str], PodHandler]]:
        """(rule, methods, handler(request, user, **args))."""
        co = "/customobjects/<int:object_id>"
        imp = f"{co}/imports/<int:definition_id>"
        return [
            ("/customobjects", ["GET"], self.list_objects),
            (co, ["GET"], self.get_object),
            (f"{co}/fields", ["GET"], self.list_fields),
            (f"{co}/imports", ["GET"], self.list_definitions),
            (f"{co}/imports", ["POST"], self.create_definition),
            (imp, ["GET"], self.get_definition),
            (imp, ["PUT"], self.replace_definition),
            (imp, ["DELETE"], self.delete_definition),
            (f"{imp}/data", ["POST"], self.post_data),
            (f"{imp}/data", ["DELETE"], self.delete_data),
            ("/imports", ["GET"], self.list_all_definitions),
            ("/syncs", ["GET"], self.list_syncs),
            ("/syncs", ["POST"], self.create_sync),
            ("/syncs/<int:sync_id>", ["GET"], self.get_sync),
            ("/syncs/<int:sync_id>/logs", ["GET"], self.sync_logs),
            ("/syncs/<int:sync_id>/rejects", ["GET"], self.sync_rejects),
        ]

    # ---- custom objects ------------------------------------------------------------------------
    def list_objects(self, request: Request, user: User) -> Response:
        """`GET /customObjects` (COBULK)."""
        with self.backend.lock:
            items = [o.bulk_json(user.username) for o in self.backend.objects.values()]
        return json_response(bulk_page(request.args, items))

    def get_object(self, request: Request, user: User, object_id: int) -> Response:
        """`GET /customObjects/{id}`."""
        with self.backend.lock:
            return json_response(self.backend.custom_object(object_id).bulk_json(user.username))

    def list_fields(self, request: Request, user: User, object_id: int) -> Response:
        """`GET /customObjects/{id}/fields` (COFLD), record-level statements last (NEWCO)."""
        with self.backend.lock:
            obj = self.backend.custom_object(object_id)
            items = [f.bulk_json(user.username) for f in obj.fields.values()]
            items.extend(obj.record_statements(user.username))
        return json_response(bulk_page(request.args, items))

    # ---- import definitions --------------------------------------------------------------------
    def list_definitions(self, request: Request, user: User, object_id: int) -> Response:
        """`GET /customObjects/{id}/imports`."""
        with self.backend.lock:
            self.backend.custom_object(object_id)
            items = [
                d.to_json() for d in self.backend.definitions.values() if d.parent_id == object_id
            ]
        return json_response(bulk_page(request.args, items))

    def list_all_definitions(self, request: Request, user: User) -> Response:
        """`GET /imports` (RETDEF)."""
        with self.backend.lock:
            items = [d.to_json() for d in self.backend.definitions.values()]
        return json_response(bulk_page(request.args, items))

    def create_definition(self, request: Request, user: User, object_id: int) -> Response:
        """`POST /customObjects/{id}/imports` → 201 (COIMP)."""
        body = _json_body(request)
        with self.backend.lock:
            definition = self.backend.create_definition(object_id, body, user)
            return json_response(definition.to_json(), status=201)

    def get_definition(
        self, request: Request, user: User, object_id: int, definition_id: int
    ) -> Response:
        """`GET /customObjects/{id}/imports/{n}`."""
        with self.backend.lock:
            return json_response(self.backend.definition(object_id, definition_id).to_json())

    def replace_definition(
        self, request: Request, user: User, object_id: int, definition_id: int
    ) -> Response:
        """`PUT /customObjects/{id}/imports/{n}`."""
        body = _json_body(request)
        with self.backend.lock:
            definition = self.backend.replace_definition(object_id, definition_id, body, user)
            return json_response(definition.to_json())

    def delete_definition(
        self, request: Request, user: User, object_id: int, definition_id: int
    ) -> Response:
        """`DELETE /customObjects/{id}/imports/{n}` → 204."""
        with self.backend.lock:
            self.backend.delete_definition(object_id, definition_id)
        return Response(status=204)

    # ---- staging -------------------------------------------------------------------------------
    def post_data(
        self, request: Request, user: User, object_id: int, definition_id: int
    ) -> Response:
        """`POST {uri}/data` → 204, or 201 with the sync when the definition triggers one (§3.2)."""
        limit = int(self.backend.settings["max_post_bytes"])
        declared = request.content_length
        if declared is not None and declared > limit:
            _discard(request)
            # LIM: a body over 32 MB is answered with 404, oddly.
            raise EloquaError(404)
        if not media_type(request.content_type):
            _discard(request)
            constraint = "Content-Type is required: application/json or text/csv."
            raise EloquaError(400, PARSING_ERROR, [failure("Content-Type", "", constraint)])
        with self.backend.lock:
            definition = self.backend.definition(object_id, definition_id)
            self.backend.check_can_stage(definition, declared or 0)
        raw = request.get_data(cache=False)
        if len(raw) > limit:
            raise EloquaError(404)
        with paused_gc():
            upload = parse_upload(raw, request.content_type or "")
        with self.backend.lock:
            definition = self.backend.definition(object_id, definition_id)
            sync = self.backend.stage(definition, upload, user)
            if sync is not None:
                failure_status = str(self.backend.settings["failure_status"])
                return json_response(sync.to_json(failure_status), status=201)
        return Response(status=204)

    def delete_data(
        self, request: Request, user: User, object_id: int, definition_id: int
    ) -> Response:
        """`DELETE {uri}/data` clears the staged data → 204."""
        with self.backend.lock:
            self.backend.definition(object_id, definition_id).staged = []
        return Response(status=204)

    # ---- syncs ---------------------------------------------------------------------------------
    def create_sync(self, request: Request, user: User) -> Response:
        """`POST /syncs` → 201 with a pending sync (§3.3)."""
        body = _json_body(request)
        with self.backend.lock:
            sync = self.backend.create_sync(body, user)
            return json_response(sync.to_json(self._failure_status()), status=201)

    def list_syncs(self, request: Request, user: User) -> Response:
        """`GET /syncs`."""
        with self.backend.lock:
            self.backend.advance_all()
            status = self._failure_status()
            items = [s.to_json(status) for s in self.backend.syncs.values()]
        return json_response(bulk_page(request.args, items))

    def get_sync(self, request: Request, user: User, sync_id: int) -> Response:
        """`GET /syncs/{id}`: each call is one poll of the schedule."""
        with self.backend.lock:
            sync = self.backend.sync(sync_id, poll=True)
            return json_response(sync.to_json(self._failure_status()))

    def sync_logs(self, request: Request, user: User, sync_id: int) -> Response:
        """`GET /syncs/{id}/logs` (§3.4)."""
        with self.backend.lock:
            items = self.backend.sync(sync_id, poll=False).log_json()
        return json_response(bulk_page(request.args, items))

    def sync_rejects(self, request: Request, user: User, sync_id: int) -> Response:
        """`GET /syncs/{id}/rejects` (§3.5)."""
        with self.backend.lock:
            outcome = self.backend.sync(sync_id, poll=False).outcome
            items = outcome.rejects if outcome is not None else []
            return json_response(bulk_page(request.args, items))

    def _failure_status(self) -> str:
        return str(self.backend.settings["failure_status"])


def _json_body(request: Request) -> Any:
    """The JSON body of a POST/PUT; Content-Type is required (§7).

    Raises:
        EloquaError: 400 for a missing Content-Type or a body that is not JSON.
    """
    if media_type(request.content_type) != JSON:
        constraint = "Content-Type must be application/json."
        raise ValidationFailed([failure("Content-Type", request.content_type, constraint)])
    try:
        return orjson.loads(request.get_data(cache=True) or b"null")
    except orjson.JSONDecodeError as exc:
        raise EloquaError(400, PARSING_ERROR, [failure("body", "", str(exc))]) from exc


def _discard(request: Request) -> None:
    """Read and drop an unwanted body, so the client sees the error rather than a reset."""
    stream = request.stream
    while stream.read(_CHUNK):
        pass
