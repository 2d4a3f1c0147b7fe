"""Domo HTTP client: one keep-alive session, the shared token, response validation and retries.

Discovery needs DataSet metadata before any stream exists, so HTTP lives here rather than in a
`RESTStream`; the streams call this client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
import requests
from requests.adapters import HTTPAdapter

from tap_domo.auth import DomoAuthenticator
from tap_domo.errors import (
    DomoApiError,
    RetriableError,
    TokenRejectedError,
    access_denied,
    dataset_label,
    not_found,
)
from tap_domo.redact import remember_basic
from tap_domo.retry import RetryPolicy, call_with_retries, retry_after_seconds

CONNECT_TIMEOUT_SECONDS = 10.0
USER_AGENT = "tap-domo/0.1.0"
# DECIMAL values must stay exact: every JSON number with a fraction or exponent becomes a Decimal.
_QUERY_DECODER = msgspec.json.Decoder(float_hook=Decimal)


@dataclass
class Target:
    """Which DataSet a request is about (for error messages).

    Attributes:
        dataset_id: the GUID.
        stream_name: the stream, when known.
    """

    dataset_id: str
    stream_name: str | None = None

    def __str__(self) -> str:
        return dataset_label(self.dataset_id, self.stream_name)


class _PageBody(msgspec.Struct):
    """The parts of a query answer the row reader needs; each row is left as its JSON text."""

    columns: list[str]
    rows: list[msgspec.Raw]


_PAGE_DECODER = msgspec.json.Decoder(_PageBody)


@dataclass
class QueryPage:
    """A query API answer whose rows are still JSON text (decoded one at a time by the reader).

    A page of 100,000 decoded rows takes about five times the memory of its JSON text, so the
    rows are kept as `msgspec.Raw` slices of the body and decoded as they are yielded.

    Attributes:
        columns: column names, in row order.
        rows: one JSON array text per row.
    """

    columns: list[str]
    rows: list[msgspec.Raw]


@dataclass
class QueryResult:
    """A query API answer.

    Attributes:
        columns: column names, in row order.
        rows: rows as lists (numbers as int or Decimal).
    """

    columns: list[str]
    rows: list[list[Any]]


# Tokens tried for one request before the client is judged broken (each expiry is refreshed once).
TOKEN_ATTEMPTS = 3


class DomoClient:
    """Talks to the Domo platform API with one session and one token."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        api_url: str,
        request_timeout: float,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = (CONNECT_TIMEOUT_SECONDS, float(request_timeout))
        self.policy = policy or RetryPolicy()
        self.logger = logging.getLogger("tap-domo")
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        remember_basic(client_id, client_secret)
        self.authenticator = DomoAuthenticator(
            client_id=client_id,
            client_secret=client_secret,
            api_url=self.api_url,
            session=self.session,
            timeout=self.timeout,
            policy=self.policy,
        )

    def dataset(self, target: Target) -> dict[str, Any]:
        """`GET /v1/datasets/{id}`: name, schema, pdpEnabled….

        Args:
            target: the DataSet.

        Returns:
            The DataSet object.
        """

        def fetch() -> dict[str, Any]:
            response = self.send("GET", f"/v1/datasets/{target.dataset_id}", target)
            return _json_object(response, target)

        return call_with_retries(fetch, self.policy, f"reading {target}", self.logger)

    def query(self, target: Target, sql: str) -> QueryResult:
        """`POST /v1/datasets/query/execute/{id}` (safe to resend: it only reads).

        Args:
            target: the DataSet.
            sql: the SQL text.

        Returns:
            Columns and rows.
        """

        def run() -> QueryResult:
            response = self.send(
                "POST", f"/v1/datasets/query/execute/{target.dataset_id}", target, json={"sql": sql}
            )
            try:
                body = _QUERY_DECODER.decode(response.content)
            except msgspec.DecodeError:
                raise RetriableError(f"unreadable query response for {target}") from None
            finally:
                response.close()
            return _query_result(body, target)

        return call_with_retries(run, self.policy, f"query on {target}", self.logger)

    def query_page(self, target: Target, sql: str) -> QueryPage:
        """Like `query`, for pages of rows: the rows come back undecoded (see `QueryPage`).

        Args:
            target: the DataSet.
            sql: the SQL text.

        Returns:
            Columns and the rows' JSON texts.
        """

        def run() -> QueryPage:
            response = self.send(
                "POST",
                f"/v1/datasets/query/execute/{target.dataset_id}",
                target,
                json={"sql": sql},
                stream=True,
            )
            try:
                body = read_body(response)
            finally:
                response.close()
            return _query_page(body, target)

        return call_with_retries(run, self.policy, f"query on {target}", self.logger)

    def open_export(self, target: Target, params: dict[str, str]) -> requests.Response:
        """Start `GET /v1/datasets/{id}/data` as a stream (the caller reads and closes it).

        Args:
            target: the DataSet.
            params: query parameters.

        Returns:
            The streaming response, status already checked.
        """

        def start() -> requests.Response:
            return self.send(
                "GET",
                f"/v1/datasets/{target.dataset_id}/data",
                target,
                params=params,
                headers={"Accept": "text/csv"},
                stream=True,
            )

        return call_with_retries(start, self.policy, f"export of {target}", self.logger)

    def send(self, method: str, path: str, target: Target, **kwargs: Any) -> requests.Response:
        """Send, refreshing the token and resending when Domo rejects it.

        Each rejection is recovered from once; a token may expire again right after a refresh
        (two expiries in a row), so up to `TOKEN_ATTEMPTS` tokens are tried before giving up.

        Args:
            method: HTTP method.
            path: path under `api_url`.
            target: the DataSet (for messages).
            **kwargs: passed to `requests`.

        Returns:
            A successful response.

        Raises:
            DomoApiError: when a fresh token is rejected too.
        """
        accepts_csv = kwargs.get("headers", {}).get("Accept") == "text/csv"
        kwargs.setdefault("headers", {}).setdefault("Accept", "application/json")
        for attempt in range(1, TOKEN_ATTEMPTS + 1):
            response = self.session.request(
                method, self.api_url + path, auth=self.authenticator, timeout=self.timeout, **kwargs
            )
            try:
                validate_response(response, target, csv=accepts_csv)
            except TokenRejectedError:
                response.close()
                self.authenticator.invalidate()
                if attempt == TOKEN_ATTEMPTS:
                    break
                self.logger.info("Domo rejected the access token; fetching a new one")
                continue
            return response
        raise DomoApiError(
            f"Domo rejected {TOKEN_ATTEMPTS} access tokens in a row for {target}: check that "
            'the API client ("client_id") still exists and has the data scope'
        )


def validate_response(response: requests.Response, target: Target, *, csv: bool = False) -> None:
    """Classify a response: success, token rejected, transient, or a fatal error with its fix.

    Args:
        response: the response.
        target: the DataSet it is about.
        csv: whether the request asked for text/csv (where 406 means an expired token).

    Raises:
        TokenRejectedError: on 401, or 406 on a CSV request (domo-api.md §1.3).
        RetriableError: on 429 and 5xx.
        AccessDeniedError: on 403, or a 400 wrapping "(403) Access is denied" (§5).
        DataSetNotFoundError: on 404.
        DomoApiError: on any other error status.
    """
    status = response.status_code
    if status < 400:
        return
    if status == 401 or (status == 406 and csv):
        raise TokenRejectedError(str(status))
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    if status == 429 or status >= 500:
        raise RetriableError(f"HTTP {status} for {target}", retry_after)
    message, toe = _error_details(response)
    if status == 403 or (
        status == 400 and ("(403)" in message or "access is denied" in message.lower())
    ):
        raise access_denied(target.dataset_id, target.stream_name)
    if status == 404:
        raise not_found(target.dataset_id, target.stream_name)
    detail = f": {message}" if message else ""
    trace = f" (Domo toe {toe})" if toe else ""
    raise DomoApiError(f"Domo answered HTTP {status} for {target}{detail}{trace}")


def _error_details(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    message = body.get("message") or body.get("error_description") or body.get("error") or ""
    return str(message)[:500], str(body.get("toe") or "")


def _json_object(response: requests.Response, target: Target) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise RetriableError(f"unreadable JSON from Domo for {target}") from None
    if not isinstance(body, dict):
        raise DomoApiError(f"unexpected answer from Domo for {target}: not a JSON object")
    return body


def read_body(response: requests.Response) -> bytes | bytearray:
    """The whole body of a streamed response, read into one buffer of its announced length.

    `response.content` joins 10 KiB chunks, so it holds the body twice at its peak; a body of
    known length and no content encoding is read straight into a buffer of that size instead.

    Args:
        response: a response opened with ``stream=True``.

    Returns:
        The body.

    Raises:
        ConnectionError: when the body ends before its announced length (retried).
    """
    length = response.headers.get("Content-Length", "")
    if response.headers.get("Content-Encoding") or not length.isdigit():
        return response.content
    buffer = bytearray(int(length))
    view = memoryview(buffer)
    done = 0
    while done < len(buffer):
        count = response.raw.readinto(view[done:])
        if not count:
            raise ConnectionError(f"the response ended after {done} of {len(buffer)} bytes")
        done += count
    return buffer


def _query_page(body: bytes | bytearray, target: Target) -> QueryPage:
    try:
        page = _PAGE_DECODER.decode(body)
    except msgspec.ValidationError:
        raise DomoApiError(f"unexpected query answer for {target}: no columns/rows") from None
    except msgspec.DecodeError:
        raise RetriableError(f"unreadable query response for {target}") from None
    return QueryPage(columns=page.columns, rows=page.rows)


def _query_result(body: Any, target: Target) -> QueryResult:
    if not isinstance(body, dict):
        raise DomoApiError(f"unexpected query answer for {target}: not a JSON object")
    columns, rows = body.get("columns"), body.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise DomoApiError(f"unexpected query answer for {target}: no columns/rows")
    return QueryResult(columns=[str(name) for name in columns], rows=rows)
