"""User-facing failures of tap-domo: one class per kind, each with a message that names the fix."""

from __future__ import annotations


class TapDomoError(Exception):
    """A failure the user can act on; the CLI prints its message as one line, no traceback."""


class SettingsError(TapDomoError):
    """A setting is missing, malformed or out of range."""


class AuthenticationError(TapDomoError):
    """Domo refused the client credentials."""


class DataSetNotFoundError(TapDomoError):
    """The configured DataSet id does not exist (or is invisible to the client's user)."""


class AccessDeniedError(TapDomoError):
    """The client's Domo user may not read the DataSet."""


class UnsupportedColumnError(TapDomoError):
    """A column name cannot be used safely in Domo SQL."""


class DomoApiError(TapDomoError):
    """Domo answered with an error that retrying will not fix."""


class IncompleteReadError(TapDomoError):
    """Domo returned a different number of rows than it counted."""


class RetriableError(Exception):
    """A transient failure (429, 5xx, dropped connection); the request may be sent again.

    Attributes:
        retry_after: seconds the server asked us to wait (`Retry-After`), if it said.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TokenRejectedError(Exception):
    """Domo rejected the access token (401, or 406 on the CSV export); refresh and resend."""


def dataset_label(dataset_id: str, stream_name: str | None) -> str:
    """Name a DataSet the way every message does: id and stream.

    Args:
        dataset_id: the DataSet GUID.
        stream_name: its stream name, when known.

    Returns:
        e.g. ``DataSet 08a0... (stream 'sales')``.
    """
    if stream_name:
        return f"DataSet {dataset_id} (stream '{stream_name}')"
    return f"DataSet {dataset_id}"


def access_denied(dataset_id: str, stream_name: str | None) -> AccessDeniedError:
    """Build the access-denied error for a DataSet.

    Args:
        dataset_id: the DataSet GUID.
        stream_name: its stream name, when known.

    Returns:
        The error, whose message says the client's user must own or co-own the DataSet.
    """
    return AccessDeniedError(
        f"access denied to {dataset_label(dataset_id, stream_name)}: the Domo user that owns "
        "the API client (client_id) must own or co-own this DataSet; add that user as a "
        'co-owner in Domo, or remove the DataSet from the "datasets" setting'
    )


def not_found(dataset_id: str, stream_name: str | None) -> DataSetNotFoundError:
    """Build the unknown-DataSet error.

    Args:
        dataset_id: the DataSet GUID.
        stream_name: its stream name, when known.

    Returns:
        The error, whose message names the setting to fix.
    """
    return DataSetNotFoundError(
        f"{dataset_label(dataset_id, stream_name)} was not found in Domo (404): check the "
        '"id" of this entry in the "datasets" setting (copy it from the DataSet\'s URL)'
    )
