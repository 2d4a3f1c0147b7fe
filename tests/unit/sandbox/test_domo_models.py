"""Domo emulator: tokens, batch ids, value normalisation, permissions and listing, no sockets."""

from __future__ import annotations

import base64
import datetime as dt
import time
from decimal import Decimal

import orjson
import pytest
from sandbox.domo.auth import ApiClient, TokenAuthority, require_scope
from sandbox.domo.columns import DomoType, normalise, parse_columns
from sandbox.domo.errors import CsvNotAcceptable, DomoApiError, OAuthError, ScopeError
from sandbox.domo.models import DomoBackend
from sandbox.domo.seed import BENCH_COLUMNS, bench_rows, bench_tuples
from sandbox.domo.settings import Settings


def authority() -> TokenAuthority:
    auth = TokenAuthority()
    auth.add_client(ApiClient("id", "secret", 7, ("data", "user")))
    return auth


def test_token_is_jwt_shaped_with_exp_and_counts() -> None:
    auth = authority()
    text, token = auth.issue("id", "secret", "data", 3599)
    payload = text.split(".")[1]
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["exp"] == int(token.expires_at)
    assert abs(claims["exp"] - time.time() - 3599) < 5
    assert token.scopes == ("data",)
    assert token.user_id == 7
    assert auth.issued == 1
    assert auth.authenticate(f"Bearer {text}", csv=False, oauth_body=False) is token
    assert auth.authenticate(f"bearer {text}", csv=True, oauth_body=False) is token


def test_scope_defaults_to_all_granted_and_refuses_others() -> None:
    auth = authority()
    assert auth.issue("id", "secret", None, 10)[1].scopes == ("data", "user")
    with pytest.raises(OAuthError) as caught:
        auth.issue("id", "secret", "data audit", 10)
    assert caught.value.status == 400
    assert caught.value.body()["error"] == "invalid_scope"


def test_bad_credentials_are_401() -> None:
    auth = authority()
    for client_id, secret in [("id", "wrong"), ("nobody", "secret")]:
        with pytest.raises(DomoApiError) as caught:
            auth.issue(client_id, secret, "data", 10)
        assert caught.value.status == 401
        assert caught.value.message == "Bad credentials"
    assert auth.issued == 0


def test_expired_token_is_401_with_jwt_expired_or_406_for_csv() -> None:
    auth = authority()
    text, token = auth.issue("id", "secret", "data", 3599)
    auth.expire_all()
    stamp = dt.datetime.fromtimestamp(int(token.expires_at), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(DomoApiError) as caught:
        auth.authenticate(f"bearer {text}", csv=False, oauth_body=False)
    assert caught.value.status == 401
    assert caught.value.message == (
        f"An error occurred while attempting to decode the Jwt: Jwt expired at {stamp}"
    )
    assert caught.value.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    with pytest.raises(CsvNotAcceptable):
        auth.authenticate(f"bearer {text}", csv=True, oauth_body=False)
    with pytest.raises(OAuthError) as oauth:
        auth.authenticate(f"bearer {text}", csv=False, oauth_body=True)
    assert oauth.value.body()["error"] == "invalid_token"


@pytest.mark.parametrize("header", [None, "", "Basic abc", "bearer", "bearer unknown-token"])
def test_missing_or_unknown_token_is_401(header: str | None) -> None:
    with pytest.raises(DomoApiError) as caught:
        authority().authenticate(header, csv=False, oauth_body=False)
    assert caught.value.status == 401


def test_token_without_data_scope_is_403() -> None:
    _, token = authority().issue("id", "secret", "user", 10)
    with pytest.raises(ScopeError) as caught:
        require_scope(token, "data")
    assert set(caught.value.body()) == {"status", "toe"}


def test_batch_ids_count_loads_and_share_last_run() -> None:
    backend = DomoBackend()
    ds = backend.create_dataset("B", parse_columns([("a", "STRING")]))
    assert ds.load([["x"], ["y"]], mode="append", last_run="2024-01-01T00:00:00") == 1
    assert ds.load([["z"]], mode="append", last_run="2024-01-02T00:00:00Z") == 2
    assert ds.load([["w"]], mode="continue") == 2
    rows = ds.store.read_all()
    assert [(r["a"], r["_BATCH_ID_"], r["_BATCH_LAST_RUN_"]) for r in rows] == [
        ("x", 1, "2024-01-01T00:00:00"),
        ("y", 1, "2024-01-01T00:00:00"),
        ("z", 2, "2024-01-02T00:00:00"),
        ("w", 2, "2024-01-02T00:00:00"),
    ]
    assert ds.load([["r"]], mode="replace", last_run="2024-01-03T00:00:00") == 3
    assert [(r["a"], r["_BATCH_ID_"]) for r in ds.store.read_all()] == [("r", 3)]
    assert ds.store.row_count == 1
    assert [c.name for c in ds.columns] == ["a", "_BATCH_ID_", "_BATCH_LAST_RUN_"]


def test_dataset_without_batch_columns() -> None:
    ds = DomoBackend().create_dataset("N", parse_columns([("a", "LONG")]), batch_columns=False)
    assert ds.load([[1], {"a": 2}], mode="append") == 0
    assert ds.store.read_all() == [{"a": 1}, {"a": 2}]


def test_bad_rows_are_refused_whole() -> None:
    ds = DomoBackend().create_dataset("N", parse_columns([("a", "LONG"), ("b", "DATE")]))
    with pytest.raises(DomoApiError) as caught:
        ds.load([[1, "2024-01-01"], ["x", "2024-01-01"]], mode="append")
    assert caught.value.status == 400
    assert caught.value.message.startswith("row 2: LONG value 'x'")
    with pytest.raises(DomoApiError):
        ds.load([{"a": 1, "zzz": 2}], mode="append")
    assert ds.store.read_all() == []


@pytest.mark.parametrize(
    ("type_", "value", "stored"),
    [
        (DomoType.LONG, 3.0, 3),
        (DomoType.LONG, "42", 42),
        (DomoType.DOUBLE, 1, 1.0),
        (DomoType.DECIMAL, Decimal("1.50"), "1.50"),
        (DomoType.DECIMAL, "1E+2", "100"),
        (DomoType.DECIMAL, 0.1, "0.1"),
        (DomoType.DATE, dt.date(2024, 2, 29), "2024-02-29"),
        (DomoType.DATETIME, "2024-01-02 03:04:05", "2024-01-02T03:04:05"),
        (DomoType.DATETIME, "2024-01-02T03:04:05.123+02:00", "2024-01-02T01:04:05"),
        (DomoType.DATETIME, dt.datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05"),
        (DomoType.STRING, 5, "5"),
    ],
)
def test_normalise(type_: DomoType, value: object, stored: object) -> None:
    assert normalise(type_, value) == stored


def test_columns_refuse_unknown_types_and_case_duplicates() -> None:
    with pytest.raises(ValueError, match="unknown Domo type"):
        parse_columns([("a", "INTEGER")])
    with pytest.raises(ValueError, match="duplicate"):
        parse_columns([("Name", "STRING"), ("name", "STRING")])


def test_permissions_owner_or_shared_else_wrapped_403() -> None:
    backend = DomoBackend()
    mine = backend.create_dataset("Mine", [], owner_id=1)
    shared = backend.create_dataset("Shared", [], owner_id=2, shared_with=[1])
    other = backend.create_dataset("Other", [], owner_id=2)
    assert backend.readable(mine.id, 1) is mine
    assert backend.readable(shared.id, 1) is shared
    with pytest.raises(DomoApiError) as caught:
        backend.readable(other.id, 1)
    assert caught.value.body()["message"] == "Infrastructure problem (403): Access is denied"
    assert caught.value.status == 400
    with pytest.raises(DomoApiError) as missing:
        backend.readable("nope", 1)
    assert missing.value.status == 404


def test_listing_filters_sorts_and_pages() -> None:
    backend = DomoBackend()
    for name in ["beta", "Alpha", "gamma", "alphabet"]:
        backend.create_dataset(name, [], dataset_id=f"id-{name}")
    backend.create_dataset("alpha hidden", [], owner_id=9)
    names = [d["name"] for d in backend.listing(1, limit=50, offset=0, sort="name", name_like="")]
    assert names == ["Alpha", "alphabet", "beta", "gamma"]
    page = backend.listing(1, limit=2, offset=1, sort="nameDescending", name_like="ALPHA")
    assert [d["name"] for d in page] == ["Alpha"]
    assert "schema" not in page[0]
    backend.settings.update({"list_visibility": "all"})
    assert len(backend.listing(1, limit=50, offset=0, sort=None, name_like="alpha")) == 3


def test_settings_validate_all_or_nothing() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="csv_null"):
        settings.update({"query_row_cap": 5, "csv_null": "NULL"})
    assert settings.query_row_cap == 1_000_000
    settings.update({"query_row_cap": 5, "csv_quoting": "all", "batch_id_float": True})
    assert (settings.query_row_cap, settings.csv_quoting, settings.batch_id_float) == (
        5,
        "all",
        True,
    )
    with pytest.raises(ValueError, match="unknown setting"):
        settings.update({"nope": 1})


def test_bench_generator_is_deterministic_and_typed() -> None:
    first = list(bench_rows(50, seed=3))
    assert first == list(bench_rows(50, seed=3))
    assert first != list(bench_rows(50, seed=4))
    assert len(BENCH_COLUMNS) == 10
    assert all(len(r) == 10 for r in first)
    assert [r[0] for r in first] == list(range(1, 51))
    assert isinstance(first[0][6], Decimal)
    for (_, type_), value in zip(BENCH_COLUMNS, next(bench_tuples(1, seed=3)), strict=True):
        assert value is None or normalise(DomoType(type_), value) == value
