"""TLS verification stays on, and URL settings accept only http(s).

TLS is checked at run time: both plugins run in-process against the emulators with
`requests.Session.request` wrapped, and every request must go out with verification on (no
`verify=False` argument, the session's `verify` True).

Plain http is what the sandbox uses on loopback; real Domo and Eloqua are https only, and the
credentials travel in every request, so http to any other host must be refused. URL settings
with another scheme or none must end in one line naming the setting.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import requests
from sandbox.domo.client import DomoControl
from sandbox.eloqua.client import EloquaControl
from tap_domo.tap import TapDomo
from target_eloqua.target import TargetEloqua

from tests.reliability.input_support import (
    assert_one_line_error,
    run_tap,
    run_target,
    tap_config,
    target_config,
)

SINGER = (
    '{"type":"SCHEMA","stream":"orders","schema":{"type":"object","properties":'
    '{"Code":{"type":["string","null"]}}},"key_properties":[]}\n'
    '{"type":"RECORD","stream":"orders","record":{"Code":"c-1"}}\n'
    '{"type":"STATE","value":{"bookmarks":{"orders":{"replication_key_value":1}}}}\n'
)


class Blocked(Exception):
    """Raised instead of sending a request to a host the test does not allow."""


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every request the plugins send in-process: URL, `verify` argument, session `verify`."""
    calls: list[dict[str, Any]] = []
    original = requests.Session.request

    def request(self: requests.Session, method: str, url: str, *args: Any, **kw: Any) -> Any:
        calls.append({"url": url, "verify_arg": kw.get("verify"), "session": self.verify})
        if not url.startswith("http://127.0.0.1:"):
            raise Blocked(url)
        return original(self, method, url, *args, **kw)

    monkeypatch.setattr(requests.Session, "request", request)
    return calls


def _tap_in_process(config: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    tap = TapDomo(config=config, parse_env_config=False)
    tap.sync_all()
    return capsys.readouterr().out


def test_tls_verification_is_never_turned_off(
    domo: DomoControl,
    eloqua: EloquaControl,
    sent: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    guid = domo.create_dataset("Orders", [("Code", "STRING")], [["c-1"]])
    for method in ("export", "query"):
        out = _tap_in_process(tap_config(domo, [guid], read_method=method), capsys)
        assert '"Code":"c-1"' in out.replace(" ", "")
    co = eloqua.create_custom_object("Orders", [{"name": "Code", "dataType": "text"}])
    target = TargetEloqua(
        config=target_config(eloqua, "Orders", ("Code", "Code")), parse_env_config=False
    )
    try:
        target.listen(io.StringIO(SINGER))
    finally:
        target.release()
    assert [r["fields"]["Code1"] for r in eloqua.records(co)] == ["c-1"]

    hosts = {call["url"].split("/")[2] for call in sent}
    assert hosts == {domo.url.split("/")[2], eloqua.url.split("/")[2]}
    assert len(sent) > 10
    for call in sent:
        assert call["verify_arg"] in (None, True), call
        assert call["session"] is True, call


@pytest.mark.parametrize("setting", ["api_url", "login_url", "base_url"])
def test_plain_http_is_refused_for_other_hosts(
    domo: DomoControl, eloqua: EloquaControl, sent: list[dict[str, Any]], setting: str
) -> None:
    url = "http://api.example.com"
    if setting == "api_url":
        guid = domo.create_dataset("Orders", [("Code", "STRING")], [["c-1"]])
    else:
        eloqua.create_custom_object("Orders", [{"name": "Code", "dataType": "text"}])
    with pytest.raises(Exception, match=setting) as caught:
        _run_in_process(domo, eloqua, setting, url, guid if setting == "api_url" else "")
    assert not isinstance(caught.value, Blocked), "a request was sent over plain http"
    assert not [c for c in sent if c["url"].startswith(url)]


def _run_in_process(
    domo: DomoControl, eloqua: EloquaControl, setting: str, url: str, guid: str
) -> None:
    if setting == "api_url":
        tap = TapDomo(config=tap_config(domo, [guid], api_url=url), parse_env_config=False)
        tap.discover_streams()
        return
    config = target_config(eloqua, "Orders", ("Code", "Code"), **{setting: url})
    target = TargetEloqua(config=config, parse_env_config=False)
    try:
        target.listen(io.StringIO(SINGER))
    finally:
        target.release()


BAD_URLS = [
    ("api_url", "file:///etc/passwd"),
    ("api_url", "javascript:alert(1)"),
    ("login_url", "ftp://127.0.0.1/"),
    ("login_url", "127.0.0.1:8302"),
    ("base_url", "file:///tmp"),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("setting", "url"), BAD_URLS)
def test_url_settings_accept_only_http_and_https(
    domo: DomoControl, eloqua: EloquaControl, setting: str, url: str
) -> None:
    if setting == "api_url":
        guid = domo.create_dataset("Orders", [("Code", "STRING")], [["c-1"]])
        result = run_tap(tap_config(domo, [guid], api_url=url))
        assert_one_line_error(result, "tap-domo", setting)
    else:
        eloqua.create_custom_object("Orders", [{"name": "Code", "dataType": "text"}])
        config = target_config(eloqua, "Orders", ("Code", "Code"), **{setting: url})
        result = run_target(json.dumps(config), SINGER)
        assert_one_line_error(result, "target-eloqua", setting)
