"""Control routes of the Domo emulator (under `/_sandbox/`): clients, DataSets, switches."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

from sandbox.core.app import Handler, json_response, read_json
from sandbox.domo.auth import ApiClient
from sandbox.domo.columns import parse_columns
from sandbox.domo.errors import DomoApiError
from sandbox.domo.models import DEFAULT_USER_ID, DataSet, DomoBackend
from sandbox.domo.seed import BENCH_COLUMNS, bench_tuples

_LOAD_MODES = ("append", "continue", "replace")


def _control(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Turn bad input into a 400 `{"error": ...}` for the control client."""

    def wrapped(request: Request, **args: Any) -> Response:
        try:
            return handler(request, **args)
        except DomoApiError as exc:
            return json_response({"error": exc.message}, status=exc.status)
        except (KeyError, TypeError, ValueError, orjson.JSONDecodeError) as exc:
            return json_response({"error": f"{type(exc).__name__}: {exc}"}, status=400)

    return wrapped


def _body(request: Request) -> dict[str, Any]:
    body = read_json(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def rules(backend: DomoBackend) -> list[tuple[str, list[str], Handler]]:
    """The control routes bound to a backend."""
    routes = _Routes(backend)
    table: list[tuple[str, list[str], Callable[..., Response]]] = [
        ("clients", ["POST"], routes.add_client),
        ("users", ["POST"], routes.add_user),
        ("settings", ["GET", "POST"], routes.settings),
        ("tokens", ["GET"], routes.tokens),
        ("tokens/expire", ["POST"], routes.expire_tokens),
        ("datasets", ["POST"], routes.create_dataset),
        ("datasets/generate", ["POST"], routes.generate_dataset),
        ("datasets/<dataset_id>", ["DELETE"], routes.delete_dataset),
        ("datasets/<dataset_id>/loads", ["POST"], routes.load),
        ("datasets/<dataset_id>/rows", ["GET"], routes.rows),
        ("datasets/<dataset_id>/sharing", ["POST"], routes.share),
    ]
    return [(path, methods, _control(handler)) for path, methods, handler in table]


def _decimal_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


class _Routes:
    def __init__(self, backend: DomoBackend) -> None:
        self.backend = backend

    def add_client(self, request: Request) -> Response:
        body = _body(request)
        client = ApiClient(
            client_id=str(body["client_id"]),
            client_secret=str(body["client_secret"]),
            user_id=int(body.get("user_id", DEFAULT_USER_ID)),
            scopes=tuple(body.get("scopes", ("data",))),
        )
        self.backend.auth.add_client(client)
        return json_response({"client_id": client.client_id, "user_id": client.user_id}, 201)

    def add_user(self, request: Request) -> Response:
        body = _body(request)
        self.backend.users[int(body["id"])] = str(body["name"])
        return json_response({"id": int(body["id"]), "name": str(body["name"])}, 201)

    def settings(self, request: Request) -> Response:
        if request.method == "POST":
            self.backend.settings.update(_body(request))
        return json_response(self.backend.settings.to_json())

    def tokens(self, request: Request) -> Response:
        auth = self.backend.auth
        return json_response({"issued": auth.issued, "tokens": auth.issued_tokens()})

    def expire_tokens(self, request: Request) -> Response:
        self.backend.auth.expire_all()
        return json_response({"expired": True})

    def _new_dataset(self, body: dict[str, Any], columns: Any) -> DataSet:
        return self.backend.create_dataset(
            str(body["name"]),
            parse_columns(columns),
            dataset_id=body.get("dataset_id"),
            description=str(body.get("description", "")),
            owner_id=int(body.get("owner_id", DEFAULT_USER_ID)),
            shared_with=[int(u) for u in body.get("shared_with", ())],
            batch_columns=bool(body.get("batch_columns", True)),
            pdp_enabled=bool(body.get("pdp_enabled", False)),
            policies=body.get("policies"),
        )

    def create_dataset(self, request: Request) -> Response:
        body = _body(request)
        dataset = self._new_dataset(body, body["columns"])
        rows = body.get("rows") or []
        batch_id = 0
        if rows:
            try:
                batch_id = dataset.load(rows, mode="append", last_run=body.get("last_run"))
            except DomoApiError:
                self.backend.datasets.pop(dataset.id, None)
                raise
        return json_response({"id": dataset.id, "batch_id": batch_id}, 201)

    def generate_dataset(self, request: Request) -> Response:
        body = _body(request)
        n_rows, loads = int(body["n_rows"]), int(body.get("loads", 1))
        if n_rows < 0 or loads < 1:
            raise ValueError("n_rows must be >= 0 and loads >= 1")
        dataset = self._new_dataset(body, BENCH_COLUMNS)
        seed = int(body.get("seed", 0))
        rows = bench_tuples(n_rows, seed=seed)
        per_load, extra = divmod(n_rows, loads)
        for index in range(loads):
            count = per_load + (1 if index < extra else 0)
            chunk = (next(rows) for _ in range(count))
            last_run = f"2024-01-01T{index % 24:02d}:00:00"
            dataset.load(chunk, mode="append", last_run=last_run, trusted=True)
        return json_response({"id": dataset.id, "rows": dataset.store.row_count}, 201)

    def delete_dataset(self, request: Request, dataset_id: str) -> Response:
        dataset = self.backend.find(dataset_id)
        with self.backend.lock:
            self.backend.datasets.pop(dataset_id, None)
        dataset.store.close()
        return Response(status=204)

    def load(self, request: Request, dataset_id: str) -> Response:
        body = _body(request)
        mode = body.get("mode", "append")
        if mode not in _LOAD_MODES:
            raise ValueError(f"mode must be one of {list(_LOAD_MODES)}")
        dataset = self.backend.find(dataset_id)
        batch_id = dataset.load(body.get("rows") or [], mode=mode, last_run=body.get("last_run"))
        return json_response({"batch_id": batch_id, "rows": dataset.store.row_count}, 201)

    def rows(self, request: Request, dataset_id: str) -> Response:
        dataset = self.backend.find(dataset_id)
        body = {
            "columns": [c.to_json() for c in dataset.columns],
            "rows": dataset.store.read_all(),
        }
        return Response(
            orjson.dumps(body, default=_decimal_default), content_type="application/json"
        )

    def share(self, request: Request, dataset_id: str) -> Response:
        body = _body(request)
        dataset = self.backend.find(dataset_id)
        dataset.shared_with.update(int(u) for u in body.get("add", ()))
        dataset.shared_with.difference_update(int(u) for u in body.get("remove", ()))
        if "owner_id" in body:
            dataset.owner_id = int(body["owner_id"])
        return json_response(
            {"owner_id": dataset.owner_id, "shared_with": sorted(dataset.shared_with)}
        )
