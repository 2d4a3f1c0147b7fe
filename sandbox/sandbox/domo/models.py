"""In-memory state of the Domo emulator: users, DataSets, their loads and who may read them."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox.domo.auth import ApiClient, TokenAuthority
from sandbox.domo.columns import BATCH_ID, BATCH_LAST_RUN, Column, DomoType, row_normaliser
from sandbox.domo.errors import access_denied, bad_request, not_found
from sandbox.domo.export import CsvOptions, csv_encoding
from sandbox.domo.settings import Settings
from sandbox.domo.sql import json_encoding
from sandbox.domo.store import RowStore

DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the emulator's published demo credential
DEFAULT_USER_ID = 1
DEFAULT_USER_NAME = "Sandbox Admin"

#: `sort` values of `GET /v1/datasets` (DEV-DS DataSourceListOrderBy), each as (key, reverse).
SORTS: dict[str, tuple[str, bool]] = {
    "name": ("name", False),
    "nameDescending": ("name", True),
    "lastTouched": ("updated", True),
    "lastTouchedAscending": ("updated", False),
    "lastUpdated": ("updated", True),
    "lastUpdatedAscending": ("updated", False),
    "createdAt": ("created", True),
    "createdAtAscending": ("created", False),
    "cardCount": ("cards", True),
    "cardCountAscending": ("cards", False),
    "cardViewCount": ("cards", True),
    "cardViewCountAscending": ("cards", False),
    "errorState": ("error", False),
    "errorStateDescending": ("error", True),
    "dataSourceId": ("id", False),
}


def utc_now() -> dt.datetime:
    """Now, in UTC, to the millisecond."""
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(moment: dt.datetime) -> str:
    """Domo's timestamp text, e.g. `2016-02-29T20:56:20.567Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class DataSet:
    """One DataSet: its metadata, its rows and its load counter."""

    id: str
    name: str
    description: str
    columns: list[Column]
    owner_id: int
    shared_with: set[int]
    batch_columns: bool
    pdp_enabled: bool
    policies: list[dict[str, Any]]
    store: RowStore
    created_at: dt.datetime = field(default_factory=utc_now)
    updated_at: dt.datetime = field(default_factory=utc_now)
    data_current_at: dt.datetime | None = None
    next_batch_id: int = 1
    open_batch: tuple[float, str] | None = None

    @property
    def user_columns(self) -> list[Column]:
        """The columns a loader supplies (the batch columns are the emulator's)."""
        return self.columns[:-2] if self.batch_columns else self.columns

    def can_read(self, user_id: int) -> bool:
        """Whether the user owns the DataSet or it is shared with them."""
        return user_id == self.owner_id or user_id in self.shared_with

    def summary(self, owner_name: str) -> dict[str, Any]:
        """The list entry (no schema, as in JAVA `DataSetListResult`)."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "rows": self.store.row_count,
            "columns": len(self.columns),
            "owner": {"id": self.owner_id, "name": owner_name},
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "pdpEnabled": self.pdp_enabled,
        }
        if self.data_current_at is not None:
            data["dataCurrentAt"] = iso(self.data_current_at)
        return data

    def to_json(self, owner_name: str) -> dict[str, Any]:
        """The full DataSet object of `GET /v1/datasets/{id}` (domo-api.md §2.1)."""
        data = self.summary(owner_name)
        data["schema"] = {"columns": [c.to_json() for c in self.columns]}
        data["policies"] = self.policies
        return data

    def load(
        self, rows: Iterable[Any], *, mode: str, last_run: Any = None, trusted: bool = False
    ) -> int:
        """Add a load of rows.

        `mode` is "append" (a new batch), "continue" (more rows for the last batch, used to
        upload a big load in chunks) or "replace" (all rows replaced, under a new batch id).

        Returns:
            the load's `_BATCH_ID_`, or 0 for a DataSet without batch columns.

        Raises:
            DomoApiError: 400 when a row does not fit the schema.
        """
        stored = rows if trusted else self._normalised(rows)
        batch_id = 0
        if self.batch_columns:
            batch = self._batch_for(mode, last_run)
            batch_id = int(batch[0])
            stored = (tuple(row) + batch for row in stored)
        if mode == "replace":
            self.store.replace(stored)
        else:
            self.store.insert(stored)
        self.updated_at = self.data_current_at = utc_now()
        return batch_id

    def _normalised(self, rows: Iterable[Any]) -> list[tuple[Any, ...]]:
        convert = row_normaliser(self.user_columns)
        result = []
        for number, row in enumerate(rows, start=1):
            try:
                result.append(convert(row))
            except (TypeError, ValueError) as exc:
                raise bad_request(f"row {number}: {exc}") from None
        return result

    def _batch_for(self, mode: str, last_run: Any) -> tuple[float, str]:
        if mode == "continue" and self.open_batch is not None:
            return self.open_batch
        when = utc_now() if last_run is None else last_run
        try:
            stamp = row_normaliser([Column(BATCH_LAST_RUN, DomoType.DATETIME)])([when])[0]
        except ValueError as exc:
            raise bad_request(f"last_run: {exc}") from None
        self.open_batch = (float(self.next_batch_id), stamp)
        self.next_batch_id += 1
        return self.open_batch


class DomoBackend:
    """Everything the emulator knows: settings, clients and tokens, users, DataSets."""

    def __init__(self) -> None:
        """Start in the reset state."""
        self.settings = Settings()
        self.auth = TokenAuthority()
        self.users: dict[int, str] = {}
        self.datasets: dict[str, DataSet] = {}
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to one API client, one user and no DataSets."""
        with self.lock:
            for dataset in self.datasets.values():
                dataset.store.close()
            self.datasets = {}
            self.settings = Settings()
            self.auth = TokenAuthority()
            self.users = {DEFAULT_USER_ID: DEFAULT_USER_NAME}
        self.auth.add_client(
            ApiClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_USER_ID, ("data",))
        )

    def user_name(self, user_id: int) -> str:
        """A user's display name (unknown users get a generated one)."""
        return self.users.get(user_id, f"User {user_id}")

    def create_dataset(
        self,
        name: str,
        columns: Sequence[Column],
        *,
        dataset_id: str | None = None,
        description: str = "",
        owner_id: int = DEFAULT_USER_ID,
        shared_with: Iterable[int] = (),
        batch_columns: bool = True,
        pdp_enabled: bool = False,
        policies: list[dict[str, Any]] | None = None,
    ) -> DataSet:
        """Create an empty DataSet.

        Raises:
            ValueError: on a taken id, or user columns that clash with the batch columns.
        """
        all_columns = list(columns)
        if batch_columns:
            if {c.name.lower() for c in columns} & {BATCH_ID.lower(), BATCH_LAST_RUN.lower()}:
                raise ValueError("the batch columns are added by the emulator; leave them out")
            all_columns += [
                Column(BATCH_ID, DomoType.DOUBLE),
                Column(BATCH_LAST_RUN, DomoType.DATETIME),
            ]
        guid = dataset_id or str(uuid.uuid4())
        dataset = DataSet(
            id=guid,
            name=name,
            description=description,
            columns=all_columns,
            owner_id=owner_id,
            shared_with=set(shared_with),
            batch_columns=batch_columns,
            pdp_enabled=pdp_enabled,
            policies=policies if policies is not None else [_all_rows_policy()],
            store=_new_store(all_columns),
        )
        with self.lock:
            if guid in self.datasets:
                dataset.store.close()
                raise ValueError(f"DataSet {guid} already exists")
            self.datasets[guid] = dataset
        return dataset

    def find(self, dataset_id: str) -> DataSet:
        """A DataSet by id.

        Raises:
            DomoApiError: 404 when there is none.
        """
        with self.lock:
            dataset = self.datasets.get(dataset_id)
        if dataset is None:
            raise not_found(dataset_id)
        return dataset

    def readable(self, dataset_id: str, user_id: int) -> DataSet:
        """A DataSet the user may read.

        Raises:
            DomoApiError: 404 (unknown) or the 400 that wraps a 403 (not owned, not shared).
        """
        dataset = self.find(dataset_id)
        if not dataset.can_read(user_id):
            raise access_denied()
        return dataset

    def listing(
        self, user_id: int, *, limit: int, offset: int, sort: str | None, name_like: str
    ) -> list[dict[str, Any]]:
        """One page of `GET /v1/datasets`."""
        with self.lock:
            datasets = list(self.datasets.values())
        if self.settings.list_visibility == "accessible":
            datasets = [d for d in datasets if d.can_read(user_id)]
        if name_like:
            datasets = [d for d in datasets if name_like.lower() in d.name.lower()]
        if sort:
            key, reverse = SORTS[sort]
            datasets.sort(key=lambda d: (d.name.lower(), d.id))
            datasets.sort(key=lambda d: _sort_value(d, key), reverse=reverse)
        page = datasets[offset : offset + limit]
        return [d.summary(self.user_name(d.owner_id)) for d in page]


def _new_store(columns: list[Column]) -> RowStore:
    """An empty store whose default-settings CSV and JSON renderings every load keeps current.

    Loads then pay for encoding their rows once, and a tap's export or query pages with the
    default settings (the benchmark's) are served from stored bytes.
    """
    store = RowStore(columns)
    defaults = Settings()
    csv_encoding(store, CsvOptions())
    json_encoding(store, defaults.batch_id_float, defaults.datetime_separator)
    return store


def _sort_value(dataset: DataSet, key: str) -> Any:
    values: dict[str, Any] = {
        "name": dataset.name.lower(),
        "updated": dataset.updated_at,
        "created": dataset.created_at,
        "cards": 0,
        "error": 0,
        "id": dataset.id,
    }
    return values[key]


def _all_rows_policy() -> dict[str, Any]:
    """The "All Rows" open policy every DataSet starts with."""
    return {
        "id": 1,
        "type": "open",
        "name": "All Rows",
        "filters": [],
        "users": [],
        "virtualUsers": [],
        "groups": [],
    }
