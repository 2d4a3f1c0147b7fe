"""The Eloqua emulator's WSGI app: the login host (`/id`) and the pods (`/pods/{pod}/...`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.core.app import ApiApp, Handler, json_response
from sandbox.eloqua.backend import EloquaBackend
from sandbox.eloqua.bulk import BulkApi
from sandbox.eloqua.control import ControlApi, pod_base
from sandbox.eloqua.errors import (
    STATUS_TEXT,
    EloquaError,
    bulk_error,
    failure,
    rest_error,
    rest_parameter_error,
)
from sandbox.eloqua.paging import BadParameter
from sandbox.eloqua.rest import RestApi

#: BASEURL/T401: bad credentials at /id get HTTP 200 with this JSON string (20 bytes).
NOT_AUTHENTICATED = b'"Not authenticated."'
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
_BULK = "/api/bulk/2.0"
_REST = "/api/rest/2.0"


class EloquaApp(ApiApp):
    """Emulated Eloqua: `/id`, Bulk API 2.0 and REST 2.0 under `/pods/{pod}`, control plane."""

    service = "eloqua"

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        """Create the state, then the routes (the base class collects them).

        `settings` replace defaults of the behaviour switches (they survive resets).
        """
        self.backend = EloquaBackend(settings)
        self.control = ControlApi(self.backend)
        self._pod_handlers: dict[str, Callable[..., Response]] = {}
        rules: list[Rule] = []
        for prefix, api in ((_BULK, BulkApi(self.backend)), (_REST, RestApi(self.backend))):
            for path, methods, handler in api.rules():
                endpoint = f"{prefix}{path}:{','.join(methods)}"
                rules.append(Rule(prefix + path, methods=methods, endpoint=endpoint))
                self._pod_handlers[endpoint] = handler
        self.pod_map = Map(rules, strict_slashes=False, merge_slashes=False)
        super().__init__()

    def api_rules(self) -> list[tuple[str, list[str], Handler]]:
        """The login host's `/id` and one catch-all per pod (paths are case-insensitive)."""
        return [
            ("/id", ["GET"], self.identity),
            ("/pods/<pod>/<path:rest>", _METHODS, self.pod_request),
        ]

    def control_rules(self) -> list[tuple[str, list[str], Handler]]:
        """Seeding, switches and inspection (see `sandbox.eloqua.client.EloquaControl`)."""
        return self.control.rules()

    def error_response(self, request: Request, status: int, message: str) -> Response:
        """Errors in the shape of the API the path belongs to, with Eloqua's status text."""
        text = STATUS_TEXT.get(status, message)
        if _REST in request.path.lower():
            return rest_error(status, text)
        return bulk_error(status, text, [failure("", "", text)])

    def reset(self) -> None:
        """Forget all state and re-create the defaults."""
        super().reset()
        self.backend.reset()

    def identity(self, request: Request) -> Response:
        """`GET /id` (§1.3): bad or missing credentials still get HTTP 200."""
        with self.backend.lock:
            user = self.backend.authenticate(request.headers.get("Authorization"))
            if user is None:
                return Response(NOT_AUTHENTICATED, status=200, content_type="application/json")
            body = self.backend.identity(user, pod_base(request, self.backend.pod))
        return json_response(body)

    def pod_request(self, request: Request, pod: str, rest: str) -> Response:
        """Authenticate, then route `rest` (lower-cased: clients mix `API/Bulk` and `api/bulk`)."""
        with self.backend.lock:
            user = self.backend.authenticate(request.headers.get("Authorization"))
            moved = pod.lower() != self.backend.pod
        if user is None or moved:
            # A pod move makes the old base answer 401 to everything (T401).
            return self.error_response(request, 401, STATUS_TEXT[401])
        adapter = self.pod_map.bind("eloqua")
        try:
            endpoint, args = adapter.match("/" + rest.lower(), method=request.method)
        except RouteNotFound:
            return self.error_response(request, 404, STATUS_TEXT[404])
        except MethodNotAllowed:
            return self.error_response(request, 405, STATUS_TEXT[405])
        return self._call(request, self._pod_handlers[str(endpoint)], user, args)

    def _call(
        self, request: Request, handler: Callable[..., Response], user: Any, args: Mapping[str, Any]
    ) -> Response:
        rest_api = _REST in request.path.lower()
        try:
            return handler(request, user, **args)
        except EloquaError as exc:
            if rest_api:
                return rest_error(exc.status, exc.message)
            return bulk_error(exc.status, exc.message, exc.failures)
        except BadParameter as exc:
            return rest_parameter_error(exc.name, exc.value, exc.requirement)
