from __future__ import annotations

import logging

import pytest
import requests
from tap_domo.client import Target, validate_response
from tap_domo.errors import (
    AccessDeniedError,
    DataSetNotFoundError,
    DomoApiError,
    RetriableError,
    TokenRejectedError,
)
from tap_domo.retry import RetryPolicy, call_with_retries, retry_after_seconds

TARGET = Target("08a061e2-12a2-4646-b4bc-20beddb403e3", "sales")


def response(status, body=b"", headers=None):
    resp = requests.Response()
    resp.status_code = status
    resp._content = body
    resp.headers.update(headers or {})
    return resp


def test_success_passes():
    validate_response(response(200), TARGET)


def test_token_rejections():
    with pytest.raises(TokenRejectedError):
        validate_response(response(401), TARGET)
    with pytest.raises(TokenRejectedError):
        validate_response(response(406, b"<html>"), TARGET, csv=True)
    with pytest.raises(DomoApiError, match="HTTP 406"):
        validate_response(response(406), TARGET)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retriable(status):
    with pytest.raises(RetriableError) as info:
        validate_response(response(status, headers={"Retry-After": "3"}), TARGET)
    assert info.value.retry_after == 3.0


ACCESS = (
    "access denied to DataSet 08a061e2-12a2-4646-b4bc-20beddb403e3 (stream 'sales'): the Domo "
    "user that owns the API client (client_id) must own or co-own this DataSet; add that user "
    'as a co-owner in Domo, or remove the DataSet from the "datasets" setting'
)


def test_access_denied_wrapped_and_plain():
    wrapped = b'{"status":400,"message":"Infrastructure problem (403): Access is denied","toe":"X"}'
    with pytest.raises(AccessDeniedError) as info:
        validate_response(response(400, wrapped), TARGET)
    assert str(info.value) == ACCESS
    with pytest.raises(AccessDeniedError) as info:
        validate_response(response(403, b'{"status":403,"toe":"X"}'), TARGET)
    assert str(info.value) == ACCESS


def test_not_found_and_other():
    with pytest.raises(DataSetNotFoundError) as info:
        validate_response(response(404, b"{}"), TARGET)
    assert str(info.value) == (
        "DataSet 08a061e2-12a2-4646-b4bc-20beddb403e3 (stream 'sales') was not found in Domo "
        '(404): check the "id" of this entry in the "datasets" setting (copy it from the '
        "DataSet's URL)"
    )
    with pytest.raises(DomoApiError) as info:
        validate_response(response(400, b'{"message":"bad sql","toe":"T-1"}'), TARGET)
    assert str(info.value) == (
        "Domo answered HTTP 400 for DataSet 08a061e2-12a2-4646-b4bc-20beddb403e3 "
        "(stream 'sales'): bad sql (Domo toe T-1)"
    )


def test_retry_after_parsing():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") is None


def test_backoff_grows_with_jitter_and_honours_retry_after():
    policy = RetryPolicy(base_seconds=1, cap_seconds=10)
    assert policy.wait_seconds(3, 2.5) == 2.5
    assert policy.wait_seconds(3, 99) == 10
    waits = [policy.wait_seconds(n, None) for n in (1, 2, 3, 4, 5, 6)]
    assert all(
        0 <= w <= min(10, 2 ** (n - 1)) for n, w in zip((1, 2, 3, 4, 5, 6), waits, strict=True)
    )


def test_call_with_retries_recovers_and_gives_up():
    sleeps = []
    policy = RetryPolicy(max_tries=3, sleep=sleeps.append)
    calls = iter([RetriableError("a", 1.0), requests.ConnectionError("reset"), "ok"])

    def operation():
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    assert call_with_retries(operation, policy, "x", logging.getLogger("t")) == "ok"
    assert sleeps[0] == 1.0
    assert len(sleeps) == 2

    def failing():
        raise RetriableError("HTTP 503")

    with pytest.raises(DomoApiError) as info:
        call_with_retries(failing, policy, "query on X", logging.getLogger("t"))
    assert str(info.value) == (
        "query on X failed 3 times, giving up: HTTP 503; Domo may be unavailable, run again later"
    )


def test_fatal_not_retried():
    calls = []

    def operation():
        calls.append(1)
        raise DomoApiError("no")

    with pytest.raises(DomoApiError):
        call_with_retries(operation, RetryPolicy(sleep=lambda s: None), "x", logging.getLogger("t"))
    assert calls == [1]


class Trickle:
    """A raw stream that hands out a body a few bytes per read."""

    def __init__(self, body: bytes, step: int = 7):
        self.body, self.step, self.at = body, step, 0

    def readinto(self, view):
        chunk = self.body[self.at : self.at + min(self.step, len(view))]
        view[: len(chunk)] = chunk
        self.at += len(chunk)
        return len(chunk)


def streamed(body: bytes, length: int | None, encoding: str | None = None):
    resp = response(200)
    resp._content = False
    resp._content_consumed = False
    resp.raw = Trickle(body)
    if length is not None:
        resp.headers["Content-Length"] = str(length)
    if encoding:
        resp.headers["Content-Encoding"] = encoding
    return resp


def test_read_body_fills_a_buffer_of_the_announced_length():
    from tap_domo.client import read_body

    body = b'{"columns":["a"],"rows":[[1],[2]]}'
    assert bytes(read_body(streamed(body, len(body)))) == body


def test_read_body_of_a_cut_response_is_retriable():
    from tap_domo.client import read_body
    from tap_domo.retry import as_retriable

    with pytest.raises(ConnectionError) as info:
        read_body(streamed(b"[1,2", 10))
    assert as_retriable(info.value) is not None


def test_read_body_without_a_plain_length_uses_requests():
    from tap_domo.client import read_body

    class Raw(Trickle):
        def stream(self, chunk_size, decode_content=True):
            yield self.body

    resp = streamed(b"[1]", None)
    resp.raw = Raw(b"[1]")
    assert read_body(resp) == b"[1]"
