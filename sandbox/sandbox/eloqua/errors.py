"""Errors of the Eloqua emulator, rendered in the Bulk API's and the REST API's own shapes."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from sandbox.core.app import json_response

#: Eloqua's status texts (eloqua-api.md §6.1), used as the HTTP reason phrase.
STATUS_TEXT: dict[int, str] = {
    400: "There was a validation error.",
    401: "Login required",
    403: "Forbidden",
    404: "The requested resource was not found.",
    405: "Method not allowed.",
    409: "There was a conflict.",
    410: "Gone",
    412: "The resource you are attempting to delete has dependencies, and cannot be deleted",
    413: "Storage space exceeded.",
    429: "Too Many Requests",
    500: "The service has encountered an error.",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

PARSING_ERROR = "There was a parsing error."


class EloquaError(Exception):
    """An API error: HTTP status, reason text and (for the Bulk API) failure entries."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        failures: list[dict[str, Any]] | None = None,
    ) -> None:
        """Build the error; `message` defaults to Eloqua's text for `status`."""
        self.status = status
        self.message = message or STATUS_TEXT.get(status, "Error")
        self.failures = failures or [failure("", "", self.message)]
        super().__init__(self.message)


class ValidationFailed(EloquaError):
    """400 "There was a validation error." with one entry per failed property (§6.2)."""

    def __init__(self, failures: list[dict[str, Any]]) -> None:
        """Carry the `failures` entries."""
        super().__init__(400, STATUS_TEXT[400], failures)


class NotFound(EloquaError):
    """404 "The requested resource was not found."."""

    def __init__(self, what: str = "") -> None:
        """`what` names the missing resource in the body (not in the status line)."""
        super().__init__(404, failures=[failure("uri", what, STATUS_TEXT[404])])


def failure(field: str, value: Any, constraint: str) -> dict[str, Any]:
    """One entry of a Bulk API `failures` body."""
    return {"field": field, "value": "" if value is None else str(value), "constraint": constraint}


def bulk_error(status: int, message: str, failures: list[dict[str, Any]]) -> Response:
    """A Bulk API error: the status line carries Eloqua's text, the body the failures."""
    response = json_response({"failures": failures}, status=status)
    response.status = f"{status} {message}"
    return response


def rest_error(status: int, message: str, details: list[dict[str, Any]] | None = None) -> Response:
    """An application REST API error: a JSON array of typed errors (§6.2)."""
    body = details or [{"type": _rest_type(status), "message": message}]
    response = json_response(body, status=status)
    response.status = f"{status} {message}"
    return response


def rest_parameter_error(parameter: str, value: str, requirement: str) -> Response:
    """400 for a bad query parameter of the REST API (EndpointParameterError)."""
    details = [
        {
            "type": "EndpointParameterError",
            "parameter": parameter,
            "value": value,
            "requirement": {"type": requirement},
        }
    ]
    return rest_error(400, STATUS_TEXT[400], details)


def _rest_type(status: int) -> str:
    return {401: "AuthenticationError", 404: "ObjectNotFoundError"}.get(status, "Error")
