"""Eloqua Bulk API 2.0 client (custom-object imports); knows nothing of Singer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

from target_eloqua.bulk_models import (
    BulkField,
    CustomObject,
    Sync,
    SyncLog,
    SyncReject,
    SyncStatus,
    parse_bulk_field,
    parse_custom_object,
    parse_log,
    parse_reject,
    parse_sync,
)
from target_eloqua.errors import ApiError, CredentialsError, SyncTimeoutError
from target_eloqua.http import RetryPolicy, Transport, raise_for_status
from target_eloqua.redact import remember_basic

__all__ = [
    "BulkClient",
    "BulkField",
    "CustomObject",
    "Sync",
    "SyncLog",
    "SyncReject",
    "SyncStatus",
]

LOGGER = logging.getLogger("target_eloqua.bulk")

PAGE_LIMIT = 1000  # the Bulk and REST list endpoints cap pages at 1000 (eloqua-api.md §4)
POLL_BACKOFF = 1.5
POLL_MAX_INTERVAL = 60.0
CREDENTIALS_HINT = (
    "Eloqua did not accept the credentials: check the `company`, `username` and `password` "
    "settings (and that the user may use the API and its IP address is allowed)"
)


@dataclass
class BulkClient:
    """Talks to one Eloqua instance: discovery, metadata, import definitions, data, syncs.

    Attributes:
        company: the Eloqua company (site) name.
        username: the API user.
        password: the user's password (kept out of every message).
        login_url: where `/id` lives.
        base_url: the pod URL; discovered when None.
        timeout: per-request read timeout, in seconds.
        policy: retry policy for transient failures.
        sleep: the sleep function (tests pass a fake).
        clock: the monotonic clock used for sync timeouts.
    """

    company: str
    username: str
    password: str = field(repr=False)
    login_url: str = "https://login.eloqua.com"
    base_url: str | None = None
    timeout: float = 300.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _transport: Transport = field(init=False, repr=False)
    _discovered: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        """Open the HTTP session."""
        auth = (f"{self.company}\\{self.username}", self.password)
        remember_basic(*auth)
        self._transport = Transport(auth, self.timeout, self.policy, self.sleep)

    def close(self) -> None:
        """Close the HTTP session."""
        self._transport.close()

    # ---- discovery --------------------------------------------------------------------------
    def discover(self) -> str:
        """Find the pod's base URL with `GET {login_url}/id` and remember it.

        Returns:
            The base URL.

        Raises:
            CredentialsError: Eloqua answered "Not authenticated." (or without `urls.base`).
        """
        login = self.login_url.rstrip("/")
        response = self._transport.send("GET", lambda: f"{login}/id", idempotent=True)
        if response.status_code in {301, 401, 403}:
            raise CredentialsError(f"{CREDENTIALS_HINT} (HTTP {response.status_code} from /id)")
        raise_for_status(response, "Base URL discovery (GET /id)")
        try:
            body = response.json()
        except ValueError:
            body = None
        # A refused login answers 200 with the JSON string "Not authenticated." (§1.3).
        urls = body.get("urls") if isinstance(body, dict) else None
        base = urls.get("base") if isinstance(urls, dict) else None
        if not isinstance(base, str) or not base:
            raise CredentialsError(CREDENTIALS_HINT)
        self.base_url = base.rstrip("/")
        self._discovered = True
        return self.base_url

    def ensure_base(self) -> str:
        """The base URL, discovering it on first use.

        Returns:
            The base URL.
        """
        if self.base_url is None:
            return self.discover()
        return self.base_url

    # ---- plumbing ---------------------------------------------------------------------------
    def _url(self, api: str, path: str, params: dict[str, Any] | None) -> str:
        prefix = "/api/bulk/2.0" if api == "bulk" else "/api/REST/2.0"
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.ensure_base()}{prefix}{path}{query}"

    def request(
        self,
        method: str,
        path: str,
        *,
        api: str = "bulk",
        idempotent: bool = True,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: bytes | bytearray | None = None,
    ) -> requests.Response:
        """One API call; a 401 triggers one re-discovery (pod move) and a retry.

        Args:
            method: HTTP method.
            path: path below `/api/bulk/2.0` or `/api/REST/2.0`.
            api: "bulk" or "rest".
            idempotent: whether repeating the call is harmless.
            params: query parameters.
            json_body: a JSON body.
            data: an encoded JSON body.

        Returns:
            The response (the caller checks its status).
        """
        self.ensure_base()

        def url() -> str:
            return self._url(api, path, params)

        response = self._transport.send(
            method, url, idempotent=idempotent, json_body=json_body, data=data
        )
        if response.status_code != 401:
            return response
        # A 401 means either a pod move or revoked credentials; /id tells which (§1.3).
        old_base = self.base_url
        LOGGER.info("Eloqua answered 401 on %s %s; re-discovering the base URL", method, path)
        new_base = self.discover()
        if new_base != old_base:
            LOGGER.info("Eloqua instance moved to %s", new_base)
        return self._transport.send(
            method, url, idempotent=idempotent, json_body=json_body, data=data
        )

    def _json(self, response: requests.Response, what: str) -> Any:
        raise_for_status(response, what)
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(f"{what}: the response is not JSON", response.status_code) from exc

    def _paged(self, path: str, what: str, api: str = "bulk") -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            params = {"limit": PAGE_LIMIT, "offset": offset}
            body = self._json(self.request("GET", path, api=api, params=params), what)
            items = body.get("items", []) if isinstance(body, dict) else []
            yield from items
            if not body.get("hasMore") or not items:
                return
            offset += len(items)

    # ---- metadata ---------------------------------------------------------------------------
    def custom_objects(self) -> list[CustomObject]:
        """Every custom object of the instance (Bulk list, paged).

        Returns:
            The custom objects.
        """
        items = self._paged("/customObjects", "Listing custom objects")
        return [parse_custom_object(item) for item in items]

    def custom_object(self, object_id: int) -> CustomObject | None:
        """One custom object by id.

        Args:
            object_id: the custom object's id.

        Returns:
            The custom object, or None when it does not exist.
        """
        response = self.request("GET", f"/customObjects/{object_id}")
        if response.status_code == 404:
            return None
        return parse_custom_object(self._json(response, f"Reading custom object {object_id}"))

    def fields(self, object_id: int) -> list[BulkField]:
        """The custom object's fields (Bulk, paged) with REST data types where REST knows them.

        Args:
            object_id: the custom object's id.

        Returns:
            The fields.
        """
        rest_types = self.rest_data_types(object_id)
        what = f"Listing the fields of custom object {object_id}"
        return [
            parse_bulk_field(item, rest_types)
            for item in self._paged(f"/customObjects/{object_id}/fields", what)
        ]

    def rest_data_types(self, object_id: int) -> dict[str, str]:
        """REST `dataType` per field id (tells text from largeText, number from numeric).

        Args:
            object_id: the custom object's id.

        Returns:
            Field id (as a string) → REST data type; empty when REST does not answer.
        """
        response = self.request(
            "GET", f"/assets/customObject/{object_id}", api="rest", params={"depth": "complete"}
        )
        if response.status_code >= 400:
            LOGGER.warning(
                "REST metadata of custom object %s unavailable (HTTP %s); text lengths and "
                "number kinds are then checked loosely",
                object_id, response.status_code,
            )  # fmt: skip
            return {}
        body = response.json()
        fields = body.get("fields", []) if isinstance(body, dict) else []
        return {
            str(f.get("id")): str(f.get("dataType"))
            for f in fields
            if isinstance(f, dict) and f.get("dataType")
        }

    # ---- imports ----------------------------------------------------------------------------
    def create_import(self, object_id: int, definition: dict[str, Any]) -> str:
        """Create an import definition (safe to repeat: an orphan is auto-deleted).

        Args:
            object_id: the custom object's id.
            definition: the definition body (eloqua-api.md §3.1).

        Returns:
            The definition's `uri` (relative to /api/bulk/2.0).
        """
        response = self.request("POST", f"/customObjects/{object_id}/imports", json_body=definition)
        body = self._json(response, f"Creating an import definition on custom object {object_id}")
        return str(body["uri"])

    def imports(self, object_id: int) -> list[tuple[str, str]]:
        """The import definitions on a custom object (paged).

        Args:
            object_id: the custom object's id.

        Returns:
            (`uri`, `name`) of each definition.
        """
        what = f"Listing the import definitions of custom object {object_id}"
        return [
            (str(item.get("uri", "")), str(item.get("name", "")))
            for item in self._paged(f"/customObjects/{object_id}/imports", what)
            if item.get("uri")
        ]

    def upload(self, definition_uri: str, body: bytes | bytearray) -> None:
        """POST one JSON array of rows to the definition's staging area.

        Args:
            definition_uri: the definition's `uri`.
            body: the encoded JSON array.
        """
        response = self.request("POST", f"{definition_uri}/data", idempotent=False, data=body)
        raise_for_status(response, f"Uploading {len(body)} bytes to {definition_uri}")

    def delete_staged(self, definition_uri: str) -> None:
        """Drop the staged (unsynced) data of a definition.

        Args:
            definition_uri: the definition's `uri`.
        """
        response = self.request("DELETE", f"{definition_uri}/data")
        if response.status_code != 404:
            raise_for_status(response, f"Clearing the staged data of {definition_uri}")

    def delete_import(self, definition_uri: str) -> None:
        """Delete a definition; a missing one is fine.

        Args:
            definition_uri: the definition's `uri`.
        """
        response = self.request("DELETE", definition_uri)
        if response.status_code != 404:
            raise_for_status(response, f"Deleting {definition_uri}")

    # ---- syncs ------------------------------------------------------------------------------
    def create_sync(self, definition_uri: str) -> Sync:
        """Start a sync of everything staged on a definition.

        Args:
            definition_uri: the definition's `uri`.

        Returns:
            The new sync.
        """
        response = self.request(
            "POST", "/syncs", idempotent=False, json_body={"syncedInstanceUri": definition_uri}
        )
        return parse_sync(self._json(response, f"Starting a sync of {definition_uri}"))

    def get_sync(self, sync_uri: str) -> Sync:
        """Read a sync's status.

        Args:
            sync_uri: the sync's `uri`.

        Returns:
            The sync.
        """
        return parse_sync(self._json(self.request("GET", sync_uri), f"Reading {sync_uri}"))

    def wait_for_sync(self, sync_uri: str, first_interval: float, timeout: float) -> Sync:
        """Poll a sync with growing intervals until it is terminal.

        Args:
            sync_uri: the sync's `uri`.
            first_interval: the first wait, in seconds (then x1.5, capped at 60 s).
            timeout: give up after this many seconds.

        Returns:
            The terminal sync.

        Raises:
            SyncTimeoutError: the sync was still running after `timeout` seconds.
        """
        deadline = self.clock() + timeout
        interval = max(first_interval, 0.0)
        while True:
            sync = self.get_sync(sync_uri)
            if sync.status is not None and sync.status.is_terminal:
                return sync
            if sync.status is None:
                LOGGER.warning("Sync %s has an unknown status %r", sync_uri, sync.raw_status)
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise SyncTimeoutError(
                    f"Sync {sync_uri} still {sync.raw_status} after {timeout:g} s; raise "
                    "`sync_timeout` or check the sync in Eloqua. No STATE was emitted for its rows."
                )
            self.sleep(min(interval, remaining))
            interval = min(max(interval * POLL_BACKOFF, 0.01), POLL_MAX_INTERVAL)

    def logs(self, sync_uri: str) -> list[SyncLog]:
        """A sync's aggregate log lines (paged).

        Args:
            sync_uri: the sync's `uri`.

        Returns:
            The log lines.
        """
        what = f"Reading the logs of {sync_uri}"
        return [parse_log(item) for item in self._paged(f"{sync_uri}/logs", what)]

    def rejects(self, sync_uri: str) -> Iterator[SyncReject]:
        """A sync's rejected rows (paged).

        Args:
            sync_uri: the sync's `uri`.

        Yields:
            One reject per rejected row.
        """
        what = f"Reading the rejects of {sync_uri}"
        for item in self._paged(f"{sync_uri}/rejects", what):
            yield parse_reject(item)
