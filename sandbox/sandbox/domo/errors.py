"""Domo's error responses: the JSON error shape, OAuth errors, the wrapped 403, the CSV 406."""

from __future__ import annotations

import secrets
import string
from http import HTTPStatus

import orjson
from werkzeug.wrappers import Response

_TOE_ALPHABET = string.ascii_uppercase + string.digits


def new_toe() -> str:
    """A "thread of execution" id in Domo's shape, e.g. `DV3ET85U1V-GQ837-V5TN9`."""
    parts = (10, 5, 5)
    return "-".join("".join(secrets.choice(_TOE_ALPHABET) for _ in range(n)) for n in parts)


def status_reason(status: int) -> str:
    """The HTTP reason phrase Domo puts in `statusReason`."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class DomoApiError(Exception):
    """An API failure, rendered as Domo's JSON error (domo-api.md §6.1).

    Attributes:
        status: HTTP status.
        message: the `message` field.
        reason: the `statusReason` field (Domo's is not always the status' phrase).
        headers: extra response headers.
        path: the optional `path` field.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
        path: str | None = None,
    ) -> None:
        """Describe the error."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason or status_reason(status)
        self.headers = headers or {}
        self.path = path

    def body(self) -> dict[str, object]:
        """The JSON body."""
        body: dict[str, object] = {
            "status": self.status,
            "statusReason": self.reason,
            "message": self.message,
            "toe": new_toe(),
        }
        if self.path is not None:
            body["path"] = self.path
        return body

    def response(self) -> Response:
        """The rendered response."""
        return _json(self.body(), self.status, self.headers)


class OAuthError(DomoApiError):
    """An OAuth-style error `{"error": ..., "error_description": ...}` (domo-api.md §6.1)."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        """Describe the error."""
        super().__init__(status, description, headers=headers)
        self.error = error

    def body(self) -> dict[str, object]:
        """The JSON body."""
        return {"error": self.error, "error_description": self.message}


class ScopeError(DomoApiError):
    """A token without the needed scope: DEV-DS documents the bare `{"status":403,"toe":...}`."""

    def __init__(self) -> None:
        """Describe the error."""
        super().__init__(403, "Forbidden")

    def body(self) -> dict[str, object]:
        """The JSON body."""
        return {"status": 403, "toe": new_toe()}


class CsvNotAcceptable(DomoApiError):
    """An auth failure on a `text/csv` request: 406 with an HTML page.

    Domo cannot render its JSON error as CSV (domo-api.md §1.3; domoinc/domo-java-sdk#11, #15).
    """

    def __init__(self) -> None:
        """Describe the error."""
        super().__init__(406, "Not Acceptable")

    def response(self) -> Response:
        """An HTML 406 page."""
        return html_not_acceptable()


def html_not_acceptable() -> Response:
    """The HTML 406 page."""
    page = (
        "<html><head><title>Error 406 Not Acceptable</title></head>"
        "<body><h2>HTTP ERROR 406</h2><p>Problem accessing the resource. Reason:</p>"
        "<pre>    Not Acceptable</pre></body></html>"
    )
    return Response(page, status=406, content_type="text/html; charset=utf-8")


def access_denied() -> DomoApiError:
    """The 400 that wraps a 403 (domo-api.md §5, domoinc/domo-node-sdk#6)."""
    return DomoApiError(400, "Infrastructure problem (403): Access is denied")


def not_found(dataset_id: str) -> DomoApiError:
    """An unknown DataSet."""
    return DomoApiError(404, f"DataSet {dataset_id} not found")


def bad_request(message: str) -> DomoApiError:
    """A 400 in Domo's shape."""
    return DomoApiError(400, message)


def _json(body: dict[str, object], status: int, headers: dict[str, str]) -> Response:
    return Response(
        orjson.dumps(body), status=status, headers=headers, content_type="application/json"
    )
