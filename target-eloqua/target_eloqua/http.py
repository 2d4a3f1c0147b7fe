"""HTTP transport for the Eloqua APIs: Basic auth, timeouts, retries with backoff and jitter."""

from __future__ import annotations

import logging
import random
import time
import typing as t
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from target_eloqua.errors import ApiError, OutcomeUnknownError, TransientApiError
from target_eloqua.redact import scrub

LOGGER = logging.getLogger("target_eloqua.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A response cut off mid-body (requests reads non-streamed bodies inside `request`): the call
# reached the server, so, like a dropped connection, its outcome is unknown.
BODY_CUT = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
# Eloqua documents no Retry-After on 429 (eloqua-api.md §4); cap what a server asks for anyway.
MAX_RETRY_AFTER = 300.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a transient failure.

    Attributes:
        max_tries: attempts in total, the first included.
        base_delay: the first backoff, in seconds.
        max_delay: the cap of one backoff, in seconds.
    """

    max_tries: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait before retry number `attempt` (1-based): Retry-After or full-jitter backoff.

        Args:
            attempt: how many attempts have failed so far.
            retry_after: the server's Retry-After, in seconds, when it sent one.

        Returns:
            Seconds to sleep.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography


def retry_after_seconds(response: requests.Response) -> float | None:
    """The Retry-After header as seconds (delta or HTTP date), or None.

    Args:
        response: the HTTP response.

    Returns:
        Seconds to wait, or None when the header is absent or unreadable.
    """
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None


def describe_error(response: requests.Response) -> str:
    """Eloqua's error body in words (Bulk `failures`, REST typed errors, or raw text).

    Args:
        response: an error response.

    Returns:
        A one-line description, secrets masked (a body may echo the Authorization header).
    """
    return scrub(" ".join(_describe(response).split()))


def _describe(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason
    if isinstance(body, dict) and isinstance(body.get("failures"), list):
        parts = [
            f"{f.get('field')}: {f.get('constraint')} (value {f.get('value')!r})"
            for f in body["failures"]
            if isinstance(f, dict)
        ]
        return "; ".join(parts) or response.reason
    if isinstance(body, list):
        parts = [
            f"{e.get('type')} {e.get('property') or e.get('parameter')}: {e.get('requirement')}"
            for e in body
            if isinstance(e, dict)
        ]
        return "; ".join(parts) or response.reason
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(body)[:300]


class Transport:
    """Sends requests with Basic auth, retrying what is safe to retry.

    Idempotent calls (GET, DELETE, and creations whose orphan is harmless) are retried on 429,
    5xx and connection failures. Other calls are retried only when the failure proves the
    request had no effect (429, or a connection that never opened); any other failure raises
    `OutcomeUnknownError`, so the caller can recover without duplicating work.
    """

    def __init__(
        self,
        auth: tuple[str, str],
        timeout: float,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        r"""Open a session.

        Args:
            auth: (`Company\\User`, password) for HTTP Basic; sent as UTF-8.
            timeout: per-request read timeout, in seconds.
            policy: the retry policy.
            sleep: the sleep function (tests pass a fake).
        """
        self.session = requests.Session()
        # As UTF-8 bytes: requests encodes str credentials as Latin-1 and fails on others.
        self.session.auth = requests.auth.HTTPBasicAuth(auth[0].encode(), auth[1].encode())
        self.session.headers["Accept"] = "application/json"
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    def close(self) -> None:
        """Close the session's connections."""
        self.session.close()

    def send(
        self,
        method: str,
        url: Callable[[], str],
        *,
        idempotent: bool,
        json_body: Any = None,
        data: bytes | bytearray | None = None,
    ) -> requests.Response:
        """Send one logical request; `url` is re-evaluated per attempt (the pod may move).

        Args:
            method: HTTP method.
            url: returns the full URL for this attempt.
            idempotent: whether repeating the call after an unknown outcome is harmless.
            json_body: a JSON body.
            data: a raw JSON body, already encoded.

        Returns:
            The response (any status below 500 except 429; the caller checks it).

        Raises:
            TransientApiError: a retryable failure lasted through every attempt.
            OutcomeUnknownError: a non-idempotent call failed after it was sent.
        """
        headers = {"Content-Type": "application/json"} if data is not None else None
        # A bytearray body (a chunk's own buffer, not copied) goes out as a sized buffer with a
        # Content-Length, like bytes; requests' type hints only name bytes.
        body = t.cast("bytes | None", data)
        attempt = 0
        while True:
            attempt += 1
            target = url()
            try:
                response = self.session.request(
                    method, target, json=json_body, data=body, headers=headers,
                    timeout=(min(self.timeout, 30.0), self.timeout),
                )  # fmt: skip
            except requests.ConnectionError as exc:
                never_sent = isinstance(exc, requests.ConnectTimeout) or _refused(exc)
                self._give_up_or_wait(
                    method, target=target, attempt=attempt, response=None,
                    safe=idempotent or never_sent, what=type(exc).__name__,
                )  # fmt: skip
                continue
            except (requests.Timeout, *BODY_CUT) as exc:
                self._give_up_or_wait(
                    method, target=target, attempt=attempt, response=None,
                    safe=idempotent, what=type(exc).__name__,
                )  # fmt: skip
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            safe = idempotent or response.status_code == 429
            self._give_up_or_wait(
                method, target=target, attempt=attempt, response=response,
                safe=safe, what=f"HTTP {response.status_code}",
            )  # fmt: skip

    def _give_up_or_wait(
        self,
        method: str,
        *,
        target: str,
        attempt: int,
        response: requests.Response | None,
        safe: bool,
        what: str,
    ) -> None:
        path = _path_of(target)
        status = response.status_code if response is not None else None
        if not safe:
            raise OutcomeUnknownError(f"{method} {path} failed after it was sent ({what})", status)
        if attempt >= self.policy.max_tries:
            detail = describe_error(response) if response is not None else what
            raise TransientApiError(
                f"{method} {path} still failing after {attempt} attempts: {detail}", status
            )
        retry_after = retry_after_seconds(response) if response is not None else None
        wait = self.policy.delay(attempt, retry_after)
        LOGGER.warning(
            "%s %s: %s; retrying in %.1f s (attempt %d of %d)",
            method, path, what, wait, attempt + 1, self.policy.max_tries,
        )  # fmt: skip
        self.sleep(wait)


def raise_for_status(response: requests.Response, what: str) -> None:
    """Raise `ApiError` naming `what` when the response is an error.

    Args:
        response: the response.
        what: the operation, in words.

    Raises:
        ApiError: the status is 400 or above.
    """
    if response.status_code >= 400:
        raise ApiError(
            f"{what} failed: HTTP {response.status_code} {describe_error(response)}",
            response.status_code,
        )


def _refused(exc: requests.ConnectionError) -> bool:
    """Whether the connection was refused outright (so nothing was sent)."""
    text = str(exc)
    return "Connection refused" in text or "NewConnectionError" in text


def _path_of(url: str) -> str:
    """The URL without scheme and host (logs never need the host or a query's secrets)."""
    without_scheme = url.split("://", 1)[-1]
    slash = without_scheme.find("/")
    return without_scheme[slash:].split("?", 1)[0] if slash >= 0 else "/"
