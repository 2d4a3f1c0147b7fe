"""The WSGI application shape both emulators share: routes, faults, request log, control plane.

An emulator subclasses `ApiApp`, declares its API routes in `api_rules()` and its own control
routes in `control_rules()`, and renders errors in its API's shape in `error_response()`. Every
request to a non-control path first passes the fault injector and is then logged.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.core.faults import FaultAction, FaultInjector, FaultRule
from sandbox.core.requestlog import LoggedRequest, RequestLog

CONTROL_PREFIX = "/_sandbox/"

Handler = Callable[..., Response]
WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response serialised with orjson (fast; Decimals must be converted first)."""
    return Response(
        orjson.dumps(data), status=status, headers=headers, content_type="application/json"
    )


def read_json(request: Request) -> Any:
    """The request's JSON body, or None when it is empty."""
    raw = request.get_data(cache=True)
    if not raw:
        return None
    return orjson.loads(raw)


class ApiApp:
    """Base class of an emulated API served over WSGI."""

    #: Name shown in logs and the control plane.
    service = "api"

    def __init__(self) -> None:
        """Build the route map and the shared machinery."""
        self.faults = FaultInjector()
        self.requests = RequestLog()
        self._handlers: dict[str, Handler] = {}
        rules: list[Rule] = []
        for path, methods, handler in self.api_rules():
            endpoint = f"api:{path}:{','.join(methods)}"
            rules.append(Rule(path, methods=methods, endpoint=endpoint))
            self._handlers[endpoint] = handler
        for path, methods, handler in [*self._base_control_rules(), *self.control_rules()]:
            endpoint = f"ctl:{path}:{','.join(methods)}"
            control_path = CONTROL_PREFIX + path.lstrip("/")
            rules.append(Rule(control_path, methods=methods, endpoint=endpoint))
            self._handlers[endpoint] = handler
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)

    # ---- for subclasses -------------------------------------------------------------------------
    def api_rules(self) -> list[tuple[str, list[str], Handler]]:
        """(werkzeug rule, methods, handler(request, **args)) for the API's routes."""
        return []

    def control_rules(self) -> list[tuple[str, list[str], Handler]]:
        """The service's own control routes, relative to /_sandbox/."""
        return []

    def error_response(self, request: Request, status: int, message: str) -> Response:
        """Render an error in the API's shape (subclasses override)."""
        return json_response({"status": status, "message": message}, status=status)

    def reset(self) -> None:
        """Forget all service state (subclasses extend, then call super)."""
        self.faults.clear()
        self.requests.clear()

    # ---- the shared control plane -------------------------------------------------------------
    def _base_control_rules(self) -> list[tuple[str, list[str], Handler]]:
        return [
            ("reset", ["POST"], self._ctl_reset),
            ("faults", ["GET"], self._ctl_faults_get),
            ("faults", ["POST"], self._ctl_faults_add),
            ("faults", ["DELETE"], self._ctl_faults_clear),
            ("requests", ["GET"], self._ctl_requests_get),
            ("requests", ["DELETE"], self._ctl_requests_clear),
        ]

    def _ctl_reset(self, request: Request) -> Response:
        self.reset()
        return json_response({"reset": True})

    def _ctl_faults_get(self, request: Request) -> Response:
        return json_response([r.to_json() for r in self.faults.rules()])

    def _ctl_faults_add(self, request: Request) -> Response:
        body = read_json(request)
        items = body if isinstance(body, list) else [body]
        try:
            rules = [FaultRule.from_json(item) for item in items]
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, status=400)
        for rule in rules:
            self.faults.add(rule)
        return json_response([r.to_json() for r in rules], status=201)

    def _ctl_faults_clear(self, request: Request) -> Response:
        self.faults.clear()
        return Response(status=204)

    def _ctl_requests_get(self, request: Request) -> Response:
        return json_response(self.requests.entries())

    def _ctl_requests_clear(self, request: Request) -> Response:
        self.requests.clear()
        return Response(status=204)

    # ---- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request."""
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            return self._dispatch(request)(environ, start_response)
        started = time.time()
        fault = self.faults.take(request.method, request.path)
        if fault is not None and fault.action is FaultAction.DELAY:
            time.sleep(fault.seconds)
        if fault is not None and fault.action is FaultAction.DROP:
            self._log(request, 0, started, fault)
            _drop_connection(environ)
            start_response("500 Connection Dropped", [("Content-Length", "0")])
            return []
        if fault is not None and fault.action is FaultAction.STATUS:
            response = self._fault_response(request, fault)
        else:
            response = self._dispatch(request)
        self._log(request, response.status_code, started, fault)
        if fault is not None and fault.action is FaultAction.CUT:
            return _cut_after(response(environ, start_response), fault.after_bytes, environ)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
            return self._handlers[endpoint](request, **args)
        except NotFound:
            return self.error_response(request, 404, "The requested resource was not found.")
        except MethodNotAllowed:
            return self.error_response(request, 405, "Method not allowed.")
        except HTTPException as exc:
            code = exc.code or 500
            return self.error_response(request, code, exc.description or "error")

    def _fault_response(self, request: Request, fault: FaultRule) -> Response:
        if fault.body is None:
            response = self.error_response(request, fault.status, "injected fault")
        else:
            response = Response(fault.body, status=fault.status, content_type=fault.content_type)
        for name, value in fault.headers.items():
            response.headers[name] = value
        return response

    def _log(self, request: Request, status: int, started: float, fault: FaultRule | None) -> None:
        self.requests.add(
            LoggedRequest(
                method=request.method,
                path=request.path,
                query=request.query_string.decode("latin-1"),
                status=status,
                request_bytes=request.content_length or 0,
                content_type=request.content_type or "",
                started=started,
                seconds=time.time() - started,
                fault=str(fault.action) if fault else None,
            )
        )


def _drop_connection(environ: WSGIEnviron) -> None:
    """Close the client's connection at once (werkzeug's dev server exposes the socket)."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _cut_after(body: Iterable[bytes], limit: int, environ: WSGIEnviron) -> Iterator[bytes]:
    """Pass `limit` bytes of a response body through, then drop the connection mid-body."""
    sent = 0
    for chunk in body:
        if sent + len(chunk) >= limit:
            yield chunk[: max(0, limit - sent)]
            _drop_connection(environ)
            return
        sent += len(chunk)
        yield chunk
    _drop_connection(environ)
