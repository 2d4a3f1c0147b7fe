"""Python client of the Domo emulator's control plane (tests, the demo and the benchmark)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import islice
from typing import Any

import orjson

from sandbox.control_client import ControlClient
from sandbox.domo import models

#: Rows per control request when uploading a big load.
UPLOAD_CHUNK_ROWS = 50_000


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


class DomoControl(ControlClient):
    """Seeds and steers the Domo emulator.

    After `reset()` one API client exists (`DEFAULT_CLIENT_ID` / `DEFAULT_CLIENT_SECRET`, acting
    as user `DEFAULT_USER_ID`, scope `data`) and there are no DataSets.
    """

    DEFAULT_CLIENT_ID = models.DEFAULT_CLIENT_ID
    DEFAULT_CLIENT_SECRET = models.DEFAULT_CLIENT_SECRET
    DEFAULT_USER_ID = models.DEFAULT_USER_ID

    def _post(self, path: str, body: Any) -> Any:
        return self._ctl(
            "POST",
            path,
            data=orjson.dumps(body, default=_default),
            headers={"Content-Type": "application/json"},
        )

    def add_client(
        self,
        client_id: str,
        client_secret: str,
        *,
        user_id: int = models.DEFAULT_USER_ID,
        scopes: Sequence[str] = ("data",),
    ) -> None:
        """Register an API client acting as `user_id` with the given scopes."""
        body = {
            "client_id": client_id,
            "client_secret": client_secret,
            "user_id": user_id,
            "scopes": list(scopes),
        }
        self._post("clients", body)

    def add_user(self, user_id: int, name: str) -> None:
        """Name a user (owners show as `{"id": ..., "name": ...}`)."""
        self._post("users", {"id": user_id, "name": name})

    def create_dataset(
        self,
        name: str,
        columns: Sequence[tuple[str, str]],
        rows: Iterable[Any] = (),
        *,
        dataset_id: str | None = None,
        owner_id: int = models.DEFAULT_USER_ID,
        shared_with: Iterable[int] = (),
        batch_columns: bool = True,
        pdp_enabled: bool = False,
        description: str = "",
        policies: list[dict[str, Any]] | None = None,
        last_run: str | dt.datetime | None = None,
    ) -> str:
        """Create a DataSet; non-empty `rows` (lists in column order, or dicts) form load 1.

        `columns` are `(name, domo_type)` pairs, without `_BATCH_ID_`/`_BATCH_LAST_RUN_`: with
        `batch_columns` the emulator adds and fills them. Returns the DataSet's GUID.
        """
        body: dict[str, Any] = {
            "name": name,
            "columns": [{"name": n, "type": t} for n, t in columns],
            "dataset_id": dataset_id,
            "owner_id": owner_id,
            "shared_with": list(shared_with),
            "batch_columns": batch_columns,
            "pdp_enabled": pdp_enabled,
            "description": description,
            "policies": policies,
        }
        chunks = _chunks(rows, UPLOAD_CHUNK_ROWS)
        body["rows"] = next(chunks, [])
        body["last_run"] = last_run
        guid: str = self._post("datasets", body)["id"]
        for chunk in chunks:
            self._load(guid, chunk, mode="continue", last_run=last_run)
        return guid

    def _load(self, dataset_id: str, rows: list[Any], *, mode: str, last_run: Any) -> int:
        body = {"rows": rows, "mode": mode, "last_run": last_run}
        batch_id: int = self._post(f"datasets/{dataset_id}/loads", body)["batch_id"]
        return batch_id

    def _load_chunked(
        self, dataset_id: str, rows: Iterable[Any], *, mode: str, last_run: Any
    ) -> int:
        chunks = _chunks(rows, UPLOAD_CHUNK_ROWS)
        batch_id = self._load(dataset_id, next(chunks, []), mode=mode, last_run=last_run)
        for chunk in chunks:
            self._load(dataset_id, chunk, mode="continue", last_run=last_run)
        return batch_id

    def append_load(
        self, dataset_id: str, rows: Iterable[Any], *, last_run: str | dt.datetime | None = None
    ) -> int:
        """Append rows as a new load; returns its `_BATCH_ID_` (0 without batch columns).

        All its rows share one `_BATCH_ID_` and one `_BATCH_LAST_RUN_` (`last_run`, default now).
        """
        return self._load_chunked(dataset_id, rows, mode="append", last_run=last_run)

    def replace_rows(
        self, dataset_id: str, rows: Iterable[Any], *, last_run: str | dt.datetime | None = None
    ) -> int:
        """A Replace-mode load: every row replaced; the new rows get one new `_BATCH_ID_`."""
        return self._load_chunked(dataset_id, rows, mode="replace", last_run=last_run)

    def generate_dataset(
        self,
        name: str,
        n_rows: int,
        *,
        loads: int = 1,
        seed: int = 0,
        dataset_id: str | None = None,
        owner_id: int = models.DEFAULT_USER_ID,
    ) -> str:
        """Create a `BENCH_COLUMNS` DataSet of `n_rows` rows generated server-side.

        The rows are `sandbox.domo.seed.bench_rows(n_rows, seed=seed)`, split evenly over
        `loads` loads (batch ids 1..loads). Returns the GUID.
        """
        body = {
            "name": name,
            "n_rows": n_rows,
            "loads": loads,
            "seed": seed,
            "dataset_id": dataset_id,
            "owner_id": owner_id,
        }
        guid: str = self._post("datasets/generate", body)["id"]
        return guid

    def delete_dataset(self, dataset_id: str) -> None:
        """Remove a DataSet."""
        self._ctl("DELETE", f"datasets/{dataset_id}")

    def share(
        self,
        dataset_id: str,
        *,
        add: Iterable[int] = (),
        remove: Iterable[int] = (),
        owner_id: int | None = None,
    ) -> None:
        """Share a DataSet with users, unshare it, or change its owner."""
        body: dict[str, Any] = {"add": list(add), "remove": list(remove)}
        if owner_id is not None:
            body["owner_id"] = owner_id
        self._post(f"datasets/{dataset_id}/sharing", body)

    def dataset_rows(self, dataset_id: str) -> list[dict[str, Any]]:
        """Every row (batch columns included) as name → value, DECIMAL as exact `Decimal`."""
        body = self._ctl("GET", f"datasets/{dataset_id}/rows")
        decimals = [c["name"] for c in body["columns"] if c["type"] == "DECIMAL"]
        rows: list[dict[str, Any]] = body["rows"]
        for row in rows:
            for name in decimals:
                if row[name] is not None:
                    row[name] = Decimal(row[name])
        return rows

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Change switches (see `sandbox.domo.settings.Settings`); returns all settings."""
        result: dict[str, Any] = (
            self._post("settings", changes) if changes else self._ctl("GET", "settings")
        )
        return result

    def expire_tokens(self) -> None:
        """Make every token issued so far expired, as an hour later."""
        self._ctl("POST", "tokens/expire")

    def issued_tokens(self) -> list[str]:
        """The text of every access token `/oauth/token` has handed out since the last reset."""
        tokens: list[str] = self._ctl("GET", "tokens")["tokens"]
        return tokens

    def executed_sql(self) -> list[dict[str, Any]]:
        """Every SQL text the query API received since the last reset, in order.

        Each is `{"dataset_id", "sql", "status", "error"}`: `status` is 200 when the statement
        ran, else the error status, with Domo's message in `error`.
        """
        entries: list[dict[str, Any]] = self._ctl("GET", "queries")
        return entries

    def tokens_issued(self) -> int:
        """How many tokens `/oauth/token` has handed out since the last reset."""
        issued: int = self._ctl("GET", "tokens")["issued"]
        return issued
