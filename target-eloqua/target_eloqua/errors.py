"""Exceptions of target-eloqua: one small class per failure kind."""

from __future__ import annotations


class EloquaTargetError(Exception):
    """Base of every failure target-eloqua reports to the user as one line."""


class CredentialsError(EloquaTargetError):
    """Eloqua refused the credentials (or the user may not use the API)."""


class MappingConfigError(EloquaTargetError):
    """The configured mapping cannot work; the message names the setting and the fix."""


class ApiError(EloquaTargetError):
    """Eloqua answered a call with a non-retryable error status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the HTTP status next to the message.

        Args:
            message: what failed, in words.
            status: the HTTP status, when there was a response.
        """
        super().__init__(message)
        self.status = status


class TransientApiError(ApiError):
    """A retryable failure (429, 5xx, connection) that persisted through every retry."""


class OutcomeUnknownError(ApiError):
    """A non-idempotent call failed after it was sent, so whether it took effect is unknown."""


class SyncFailedError(EloquaTargetError):
    """An Eloqua sync ended with status error."""


class SyncTimeoutError(EloquaTargetError):
    """An Eloqua sync did not reach a terminal status within `sync_timeout`."""


class RejectRatioError(EloquaTargetError):
    """More rows were rejected than `max_reject_ratio` allows."""


class DrainReentryError(EloquaTargetError):
    """A batch drain was entered again (or with a foreign context) while one was running."""


class TerminatedError(EloquaTargetError):
    """The run was told to stop (SIGTERM/SIGINT) while a batch was being committed."""
