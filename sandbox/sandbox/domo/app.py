"""The Domo platform API emulator: OAuth, DataSet list/get, SQL query and CSV export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

from sandbox.core.app import ApiApp, Handler, json_response
from sandbox.domo import control
from sandbox.domo.auth import Token, require_scope
from sandbox.domo.errors import (
    DomoApiError,
    OAuthError,
    bad_request,
    html_not_acceptable,
)
from sandbox.domo.export import CsvOptions, stream_csv
from sandbox.domo.models import SORTS, DomoBackend
from sandbox.domo.querylog import ExecutedQuery, QueryLog
from sandbox.domo.sql import QueryOptions, execute_json

_MAX_LIST_LIMIT = 50
_TRUE = ("true", "1", "yes")


def _api(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Render `DomoApiError`s raised by a handler."""

    def wrapped(request: Request, **args: Any) -> Response:
        try:
            return handler(request, **args)
        except DomoApiError as exc:
            return exc.response()

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def _wants_csv(request: Request) -> bool:
    return "text/csv" in (request.headers.get("Accept") or "").lower()


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Invalid value for parameter '{name}': {raw}") from None
    if value < 0:
        raise bad_request(f"Invalid value for parameter '{name}': {raw}")
    return value


def _flag(raw: str | None, default: bool) -> bool:
    return default if raw is None else raw.strip().lower() in _TRUE


class DomoApp(ApiApp):
    """WSGI app emulating `https://api.domo.com` (see domo-api.md)."""

    service = "domo"

    def __init__(self) -> None:
        """Create the state, then the routes."""
        self.backend = DomoBackend()
        self.queries = QueryLog()
        super().__init__()

    def api_rules(self) -> list[tuple[str, list[str], Handler]]:
        """The API's routes."""
        return [
            ("/oauth/token", ["GET", "POST"], _api(self.token)),
            ("/v1/datasets", ["GET"], _api(self.list_datasets)),
            ("/v1/datasets/<dataset_id>", ["GET"], _api(self.get_dataset)),
            ("/v1/datasets/<dataset_id>/policies", ["GET"], _api(self.list_policies)),
            ("/v1/datasets/<dataset_id>/data", ["GET"], _api(self.export_data)),
            ("/v1/datasets/query/execute/<dataset_id>", ["POST"], _api(self.query)),
        ]

    def control_rules(self) -> list[tuple[str, list[str], Handler]]:
        """The emulator's control routes (seeding, switches, token expiry, executed SQL)."""
        return [
            *control.rules(self.backend),
            ("queries", ["GET"], self._ctl_queries_get),
            ("queries", ["DELETE"], self._ctl_queries_clear),
        ]

    def _ctl_queries_get(self, request: Request) -> Response:
        return json_response(self.queries.entries())

    def _ctl_queries_clear(self, request: Request) -> Response:
        self.queries.clear()
        return Response(status=204)

    def error_response(self, request: Request, status: int, message: str) -> Response:
        """Domo's JSON error; a 406 is Domo's HTML page; a 401 carries `WWW-Authenticate`."""
        if status == 406:
            return html_not_acceptable()
        headers = {}
        if status == 401:
            description = f"An error occurred while attempting to decode the Jwt: {message}"
            headers["WWW-Authenticate"] = (
                f'Bearer error="invalid_token", error_description="{description}"'
            )
        return DomoApiError(status, message, headers=headers).response()

    def reset(self) -> None:
        """Forget every DataSet, token and setting; re-create the default client."""
        super().reset()
        self.backend.reset()
        self.queries.clear()

    # ---- helpers --------------------------------------------------------------------------------
    def _token(self, request: Request, *, csv: bool = False) -> Token:
        backend = self.backend
        token = backend.auth.authenticate(
            request.headers.get("Authorization"),
            csv=csv,
            oauth_body=backend.settings.auth_error_body == "oauth",
        )
        require_scope(token, "data")
        return token

    # ---- handlers -------------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        """`/oauth/token`: client credentials (HTTP Basic) for an access token (§1.1-1.2)."""
        params = request.form if request.method == "POST" else request.args
        grant = params.get("grant_type") or request.args.get("grant_type")
        scope = params.get("scope") or request.args.get("scope")
        auth = request.authorization
        if auth is None or auth.type != "basic" or not auth.username:
            raise DomoApiError(401, "Bad credentials", headers={"WWW-Authenticate": "Basic"})
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
        settings = self.backend.settings
        text, token = self.backend.auth.issue(
            auth.username, auth.password or "", scope, settings.token_lifetime
        )
        body = {
            "access_token": text,
            "token_type": "bearer",
            "expires_in": settings.token_lifetime,
            "scope": " ".join(token.scopes),
            "customer": settings.customer,
            "userId": token.user_id,
            "role": "Admin",
            "jti": token.jti,
        }
        return json_response(body)

    def list_datasets(self, request: Request) -> Response:
        """`GET /v1/datasets`: a bare array of summaries (§2.2)."""
        user_id = self._token(request).user_id
        limit = _int_param(request, "limit", _MAX_LIST_LIMIT)
        if limit > _MAX_LIST_LIMIT:
            raise bad_request(f"limit must be less than or equal to {_MAX_LIST_LIMIT}")
        offset = _int_param(request, "offset", 0)
        sort = request.args.get("sort") or None
        if sort is not None and sort not in SORTS:
            raise bad_request(f"Invalid sort value: {sort}; valid values are {', '.join(SORTS)}")
        name_like = request.args.get("nameLike") or ""
        page = self.backend.listing(
            user_id, limit=limit, offset=offset, sort=sort, name_like=name_like
        )
        return json_response(page)

    def get_dataset(self, request: Request, dataset_id: str) -> Response:
        """`GET /v1/datasets/{id}`: the DataSet with its schema (§2.1)."""
        user_id = self._token(request).user_id
        dataset = self.backend.readable(dataset_id, user_id)
        return json_response(dataset.to_json(self.backend.user_name(dataset.owner_id)))

    def list_policies(self, request: Request, dataset_id: str) -> Response:
        """`GET /v1/datasets/{id}/policies`: the PDP policies (§5)."""
        user_id = self._token(request).user_id
        return json_response(self.backend.readable(dataset_id, user_id).policies)

    def query(self, request: Request, dataset_id: str) -> Response:
        """`POST /v1/datasets/query/execute/{id}` (§3.2)."""
        user_id = self._token(request).user_id
        sql = _sql_from_body(request)
        dataset = self.backend.readable(dataset_id, user_id)
        settings = self.backend.settings
        options = QueryOptions(
            row_cap=settings.query_row_cap,
            over_cap_error=settings.query_over_cap == "error",
            batch_id_float=settings.batch_id_float,
            datetime_separator=settings.datetime_separator,
        )
        try:
            body = execute_json(dataset.store, dataset.id, sql, options)
        except DomoApiError as exc:
            self.queries.add(ExecutedQuery(dataset.id, sql, exc.status, exc.message))
            raise
        self.queries.add(ExecutedQuery(dataset.id, sql, 200))
        return Response(body, status=200, content_type="application/json")

    def export_data(self, request: Request, dataset_id: str) -> Response:
        """`GET /v1/datasets/{id}/data`: the whole DataSet as streamed CSV (§3.1)."""
        user_id = self._token(request, csv=_wants_csv(request)).user_id
        dataset = self.backend.readable(dataset_id, user_id)
        settings = self.backend.settings
        escape = _flag(
            request.args.get("disableFormulaInterpretation"), settings.csv_formula_escape
        )
        options = CsvOptions(
            null="" if settings.csv_null == "empty" else settings.csv_null,
            quote_all=settings.csv_quoting == "all",
            formula_escape=escape,
            batch_id_float=settings.batch_id_float,
            datetime_separator=settings.datetime_separator,
        )
        header = _flag(request.args.get("includeHeader"), False)
        body: Iterator[bytes] = stream_csv(dataset.store, options, header)
        headers = {}
        file_name = request.args.get("fileName")
        if file_name:
            headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
        return Response(body, status=200, headers=headers, content_type="text/csv; charset=utf-8")


def _sql_from_body(request: Request) -> str:
    """The `sql` string of a query body, failing as Domo's Jackson binding does (§3.2)."""
    try:
        body = orjson.loads(request.get_data(cache=True) or b"null")
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"JSON parse error: {exc}") from None
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object with a 'sql' string")
    sql = body.get("sql")
    if isinstance(sql, dict | list):
        token = "START_OBJECT" if isinstance(sql, dict) else "START_ARRAY"
        message = f"Cannot deserialize instance of java.lang.String out of {token} token"
        raise DomoApiError(400, message, reason="BadRequest")
    if sql is None or (isinstance(sql, str) and not sql.strip()):
        raise bad_request("sql is required")
    # Jackson coerces a scalar (number, boolean) into a String.
    return sql if isinstance(sql, str) else orjson.dumps(sql).decode()
