"""The transport's retries for a response cut mid-body (no sockets: the session is faked)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from target_eloqua.errors import OutcomeUnknownError
from target_eloqua.http import Transport

CUTS = [
    requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
    requests.exceptions.ContentDecodingError("Received response with content-encoding: gzip"),
]


def _transport(monkeypatch: pytest.MonkeyPatch, outcomes: list[Any]) -> Transport:
    transport = Transport(("Co\\u", "pässwörd"), timeout=5, sleep=lambda _: None)

    def request(*args: Any, **kwargs: Any) -> Any:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(transport.session, "request", request)
    return transport


def _ok() -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    return response


@pytest.mark.parametrize("cut", CUTS, ids=["chunked", "decoding"])
def test_a_cut_response_is_retried_on_an_idempotent_call(monkeypatch, cut):
    transport = _transport(monkeypatch, [cut, _ok()])
    assert transport.send("GET", lambda: "https://x/api", idempotent=True).status_code == 200


@pytest.mark.parametrize("cut", CUTS, ids=["chunked", "decoding"])
def test_a_cut_response_to_a_data_post_is_an_unknown_outcome(monkeypatch, cut):
    transport = _transport(monkeypatch, [cut, _ok()])
    with pytest.raises(OutcomeUnknownError, match=type(cut).__name__):
        transport.send("POST", lambda: "https://x/api/data", idempotent=False, data=b"[]")


def test_credentials_outside_latin1_are_sent_as_utf8():
    transport = Transport(("Co\\u", "pässwörd🔑"), timeout=5)
    prepared = transport.session.prepare_request(requests.Request("GET", "https://x/"))
    assert prepared.headers["Authorization"].startswith("Basic ")
