"""Retry policy: exponential backoff with full jitter, honouring Retry-After (domo-api.md §6.2)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import requests
import urllib3.exceptions

from tap_domo.errors import DomoApiError, RetriableError

T = TypeVar("T")

#: Transport failures worth another try: resets, drops, read timeouts, cut bodies.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.HTTPError,
    ConnectionError,
    TimeoutError,
)


@dataclass
class RetryPolicy:
    """How often and how long to wait before sending a failed request again.

    Attributes:
        max_tries: attempts in all, the first included.
        base_seconds: first backoff ceiling; doubles per attempt.
        cap_seconds: largest wait (also caps Retry-After).
        sleep: the sleeping function (tests pass a recorder).
    """

    max_tries: int = 5
    base_seconds: float = 1.0
    cap_seconds: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def wait_seconds(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based).

        Args:
            attempt: the attempt that just failed.
            retry_after: the server's Retry-After, if any.

        Returns:
            Retry-After when given (capped), else a full-jitter exponential wait.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.cap_seconds)
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


def retry_after_seconds(value: str | None) -> float | None:
    """Read a Retry-After header given in seconds (an HTTP date is ignored).

    Args:
        value: the header value.

    Returns:
        Seconds, or None.
    """
    if not value:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def as_retriable(exc: BaseException) -> RetriableError | None:
    """Map a transport failure to a RetriableError (None for anything else).

    Args:
        exc: the exception raised while sending or reading.

    Returns:
        The retriable error, or None.
    """
    if isinstance(exc, RetriableError):
        return exc
    if isinstance(exc, TRANSPORT_ERRORS):
        return RetriableError(f"{type(exc).__name__}: {exc}")
    return None


def call_with_retries(
    operation: Callable[[], T], policy: RetryPolicy, what: str, logger: logging.Logger
) -> T:
    """Run `operation`, sending it again on transient failures.

    Args:
        operation: sends one request; raises RetriableError or a transport error when transient.
        policy: the retry policy.
        what: describes the request in logs and the final error.
        logger: where retries are logged.

    Returns:
        The operation's result.

    Raises:
        DomoApiError: when every attempt failed.
    """
    attempt = 1
    while True:
        try:
            return operation()
        except Exception as exc:
            error = as_retriable(exc)
            if error is None:
                raise
        if attempt >= policy.max_tries:
            raise DomoApiError(
                f"{what} failed {attempt} times, giving up: {error}; Domo may be unavailable, "
                "run again later"
            ) from error
        wait = policy.wait_seconds(attempt, error.retry_after)
        logger.warning("%s failed (%s); retry %d in %.1f s", what, error, attempt, wait)
        policy.sleep(wait)
        attempt += 1
