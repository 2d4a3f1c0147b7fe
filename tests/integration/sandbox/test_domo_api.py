"""Domo emulator over HTTP: every route, every error shape, faults, through real requests."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import pytest
import requests
from sandbox.domo.client import DomoControl

COLUMNS = [("Email", "STRING"), ("Tickets", "LONG"), ("Amount", "DECIMAL"), ("Day", "DATE")]
ROWS = [["a@x.com", 1, Decimal("10.50"), "2024-06-12"], ["b@x.com", 2, "21.00", "2024-06-13"]]
TOE = re.compile(r"^[A-Z0-9]{10}-[A-Z0-9]{5}-[A-Z0-9]{5}$")


def token(
    domo: DomoControl, client_id: str | None = None, secret: str | None = None, scope: str = "data"
) -> str:
    response = requests.post(
        f"{domo.url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client_id or domo.DEFAULT_CLIENT_ID, secret or domo.DEFAULT_CLIENT_SECRET),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    text: str = response.json()["access_token"]
    return text


def api(
    domo: DomoControl, method: str, path: str, tok: str | None = None, **kw: Any
) -> requests.Response:
    headers = kw.pop("headers", {})
    headers.setdefault("Authorization", f"bearer {tok or token(domo)}")
    return requests.request(method, f"{domo.url}{path}", headers=headers, timeout=10, **kw)


def query(
    domo: DomoControl, dataset_id: str, sql: Any, tok: str | None = None
) -> requests.Response:
    return api(domo, "POST", f"/v1/datasets/query/execute/{dataset_id}", tok, json={"sql": sql})


def export(
    domo: DomoControl, dataset_id: str, tok: str | None = None, **params: str
) -> requests.Response:
    headers = {"Accept": "text/csv"}
    if tok is not None:
        headers["Authorization"] = f"bearer {tok}"
    return api(domo, "GET", f"/v1/datasets/{dataset_id}/data", tok, headers=headers, params=params)


def assert_domo_error(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["status"] == status
    assert body["message"] == message
    assert TOE.match(body["toe"])


# ---- OAuth ------------------------------------------------------------------------------------


def test_token_post_form_and_get_form(domo: DomoControl) -> None:
    auth = (domo.DEFAULT_CLIENT_ID, domo.DEFAULT_CLIENT_SECRET)
    posted = requests.post(
        f"{domo.url}/oauth/token", data="grant_type=client_credentials&scope=data", auth=auth,
        headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10,
    )  # fmt: skip
    got = requests.get(
        f"{domo.url}/oauth/token?grant_type=client_credentials&scope=data", auth=auth, timeout=10
    )
    for response in (posted, got):
        body = response.json()
        assert response.status_code == 200
        assert set(body) == {
            "access_token", "token_type", "expires_in", "scope", "customer", "userId", "role",
            "jti",
        }  # fmt: skip
        assert (body["token_type"], body["expires_in"], body["scope"], body["userId"]) == (
            "bearer", 3599, "data", 1,
        )  # fmt: skip
    assert domo.tokens_issued() == 2


def test_bad_credentials_and_bad_grant(domo: DomoControl) -> None:
    bad = requests.post(
        f"{domo.url}/oauth/token", data={"grant_type": "client_credentials"},
        auth=("sandbox-client", "wrong"), timeout=10,
    )  # fmt: skip
    assert_domo_error(bad, 401, "Bad credentials")
    assert "wrong" not in bad.text
    grant = requests.post(
        f"{domo.url}/oauth/token", data={"grant_type": "password"},
        auth=(domo.DEFAULT_CLIENT_ID, domo.DEFAULT_CLIENT_SECRET), timeout=10,
    )  # fmt: skip
    assert grant.status_code == 400
    assert grant.json()["error"] == "unsupported_grant_type"
    assert domo.tokens_issued() == 0


def test_token_lifetime_setting_and_expiry(domo: DomoControl) -> None:
    domo.settings(token_lifetime=120)
    tok = token(domo)
    ds = domo.create_dataset("T", COLUMNS, ROWS)
    assert api(domo, "GET", f"/v1/datasets/{ds}", tok).status_code == 200
    domo.expire_tokens()
    expired = api(domo, "GET", f"/v1/datasets/{ds}", tok)
    assert expired.status_code == 401
    assert re.search(r"Jwt expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", expired.json()["message"])
    assert expired.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    csv_expired = export(domo, ds, tok)
    assert csv_expired.status_code == 406
    assert csv_expired.headers["Content-Type"].startswith("text/html")
    assert "Not Acceptable" in csv_expired.text
    json_export = api(domo, "GET", f"/v1/datasets/{ds}/data", tok)
    assert json_export.status_code == 401
    assert api(domo, "GET", f"/v1/datasets/{ds}").status_code == 200  # a fresh token works


def test_missing_token_and_scope(domo: DomoControl) -> None:
    missing = requests.get(f"{domo.url}/v1/datasets", timeout=10)
    assert_domo_error(missing, 401, "Full authentication is required to access this resource")
    domo.add_client("user-only", "s3", scopes=("user",))
    response = api(domo, "GET", "/v1/datasets", token(domo, "user-only", "s3", "user"))
    assert response.status_code == 403
    assert set(response.json()) == {"status", "toe"}
    assert response.json()["status"] == 403


# ---- DataSets -----------------------------------------------------------------------------------


def test_list_is_a_bare_array_without_schema(domo: DomoControl) -> None:
    for name in ["Sales", "sales forecast", "Inventory"]:
        domo.create_dataset(name, COLUMNS)
    tok = token(domo)
    listed = api(domo, "GET", "/v1/datasets", tok, params={"sort": "name"}).json()
    assert [d["name"] for d in listed] == ["Inventory", "Sales", "sales forecast"]
    assert "schema" not in listed[0]
    assert set(listed[0]) >= {"id", "name", "rows", "columns", "owner", "createdAt", "updatedAt"}
    like = api(
        domo, "GET", "/v1/datasets", tok, params={"nameLike": "SALES", "limit": 1, "offset": 1}
    )
    assert [d["name"] for d in like.json()] == ["sales forecast"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "51"}, "limit must be less than or equal to 50"),
        ({"limit": "x"}, "Invalid value for parameter 'limit': x"),
        ({"offset": "-1"}, "Invalid value for parameter 'offset': -1"),
    ],
)
def test_list_parameter_errors(domo: DomoControl, params: dict[str, str], message: str) -> None:
    assert_domo_error(api(domo, "GET", "/v1/datasets", params=params), 400, message)


def test_list_bad_sort(domo: DomoControl) -> None:
    response = api(domo, "GET", "/v1/datasets", params={"sort": "size"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid sort value")


def test_get_dataset_with_and_without_trailing_slash(domo: DomoControl) -> None:
    domo.add_user(1, "Dana Admin")
    ds = domo.create_dataset("Registrations", COLUMNS, ROWS, description="demo")
    tok = token(domo)
    for path in (f"/v1/datasets/{ds}", f"/v1/datasets/{ds}/"):
        body = api(domo, "GET", path, tok).json()
        assert body["id"] == ds
        assert body["rows"] == 2
        assert body["columns"] == 6
        assert body["schema"]["columns"][-2:] == [
            {"type": "DOUBLE", "name": "_BATCH_ID_"},
            {"type": "DATETIME", "name": "_BATCH_LAST_RUN_"},
        ]
        assert body["owner"] == {"id": 1, "name": "Dana Admin"}
        assert body["pdpEnabled"] is False
        assert body["policies"][0]["type"] == "open"
        assert body["dataCurrentAt"].endswith("Z")


def test_unknown_dataset_is_404_everywhere(domo: DomoControl) -> None:
    gone = "00000000-0000-4000-8000-000000000000"
    message = f"DataSet {gone} not found"
    tok = token(domo)
    assert_domo_error(api(domo, "GET", f"/v1/datasets/{gone}", tok), 404, message)
    assert_domo_error(query(domo, gone, "SELECT * FROM t", tok), 404, message)
    assert_domo_error(export(domo, gone, tok), 404, message)


def test_unshared_dataset_is_a_400_wrapping_403_everywhere(domo: DomoControl) -> None:
    ds = domo.create_dataset("Theirs", COLUMNS, ROWS, owner_id=2)
    tok = token(domo)
    for response in (
        api(domo, "GET", f"/v1/datasets/{ds}/", tok),
        query(domo, ds, "SELECT * FROM table", tok),
        export(domo, ds, tok),
    ):
        assert response.status_code == 400
        body = response.json()
        assert {k: body[k] for k in ("status", "statusReason", "message")} == {
            "status": 400,
            "statusReason": "Bad Request",
            "message": "Infrastructure problem (403): Access is denied",
        }
        assert TOE.match(body["toe"])
    domo.share(ds, add=[1])
    assert api(domo, "GET", f"/v1/datasets/{ds}", tok).status_code == 200
    assert "Theirs" in [d["name"] for d in api(domo, "GET", "/v1/datasets", tok).json()]


# ---- query --------------------------------------------------------------------------------------


def test_query_rows_and_batches(domo: DomoControl) -> None:
    ds = domo.create_dataset("Q", COLUMNS, ROWS, last_run="2024-05-01T00:00:00")
    assert (
        domo.append_load(ds, [["c@x.com", 3, "1.005", None]], last_run="2024-05-02T00:00:00") == 2
    )
    response = query(domo, ds, "SELECT * FROM table WHERE `_BATCH_ID_` > 1 ORDER BY `Email`")
    assert b'"1.005"' not in response.content
    assert b",1.005," in response.content
    body = response.json()
    assert body["rows"] == [["c@x.com", 3, 1.005, None, 2, "2024-05-02T00:00:00"]]
    assert body["datasource"] == ds
    assert body["numRows"] == 1
    assert body["fromcache"] is False
    counts = query(domo, ds, "SELECT _BATCH_ID_, COUNT(*) FROM t GROUP BY _BATCH_ID_").json()
    assert counts["rows"] == [[1, 2], [2, 1]]
    assert [m["type"] for m in counts["metadata"]] == ["DOUBLE", "LONG"]


def test_query_sql_must_be_a_string(domo: DomoControl) -> None:
    ds = domo.create_dataset("Q", COLUMNS, ROWS)
    response = query(domo, ds, {"sql": "SELECT * FROM table"})
    assert_domo_error(
        response, 400, "Cannot deserialize instance of java.lang.String out of START_OBJECT token"
    )
    assert response.json()["statusReason"] == "BadRequest"
    invalid = query(domo, ds, "SELEC * FROM table")
    assert invalid.status_code == 400
    assert invalid.json()["message"] == 'Error executing query: near "SELEC": syntax error'


def test_query_row_cap(domo: DomoControl) -> None:
    ds = domo.create_dataset("Q", COLUMNS, ROWS)
    domo.settings(query_row_cap=1)
    assert query(domo, ds, "SELECT * FROM t").json()["numRows"] == 1
    domo.settings(query_over_cap="error")
    assert_domo_error(
        query(domo, ds, "SELECT * FROM t"), 400, "Query result exceeds the maximum of 1 rows"
    )


# ---- export -------------------------------------------------------------------------------------


def test_export_csv(domo: DomoControl) -> None:
    ds = domo.create_dataset("E", COLUMNS, [*ROWS, ["=cmd, \"x\"\nnext", None, None, None]],
                             last_run="2024-05-01T00:00:00")  # fmt: skip
    response = export(domo, ds, includeHeader="true", fileName="foo.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert response.text == (
        "Email,Tickets,Amount,Day,_BATCH_ID_,_BATCH_LAST_RUN_\n"
        "a@x.com,1,10.50,2024-06-12,1,2024-05-01T00:00:00\n"
        "b@x.com,2,21.00,2024-06-13,1,2024-05-01T00:00:00\n"
        '"=cmd, ""x""\nnext",,,,1,2024-05-01T00:00:00\n'
    )
    assert not export(domo, ds).text.startswith("Email")  # includeHeader defaults to false
    escaped = export(domo, ds, disableFormulaInterpretation="true").text
    assert '"\'=cmd, ""x""\nnext"' in escaped
    domo.settings(csv_formula_escape=True, csv_null="\\N", csv_quoting="all")
    text = export(domo, ds).text
    assert "\"'=cmd" in text
    assert ",\\N,\\N,\\N," in text
    assert '"a@x.com","1","10.50"' in text
    assert "'=cmd" not in export(domo, ds, disableFormulaInterpretation="false").text
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[2][0] == '\'=cmd, "x"\nnext'


# ---- faults -------------------------------------------------------------------------------------


def test_injected_faults_on_api_routes(domo: DomoControl) -> None:
    ds = domo.create_dataset("F", COLUMNS, ROWS)
    tok = token(domo)
    domo.add_fault(r"/v1/datasets/query/execute/.*", status=429, headers={"Retry-After": "2"})
    limited = query(domo, ds, "SELECT * FROM t", tok)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert TOE.match(limited.json()["toe"])
    assert query(domo, ds, "SELECT * FROM t", tok).status_code == 200
    domo.add_fault(rf"/v1/datasets/{ds}/data", status=406)
    injected = export(domo, ds, tok)
    assert injected.status_code == 406
    assert injected.headers["Content-Type"].startswith("text/html")
    domo.add_fault(r"/oauth/token", action="drop")
    with pytest.raises(requests.ConnectionError):
        token(domo)
    domo.add_fault(rf"/v1/datasets/{ds}/data", action="cut", after_bytes=10)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        export(domo, ds, tok)
    domo.add_fault(rf"/v1/datasets/{ds}", status=503)
    assert_domo_error(api(domo, "GET", f"/v1/datasets/{ds}", tok), 503, "injected fault")
    logged = domo.requests(r"/v1/datasets")
    assert [e["status"] for e in logged][-1] == 503
    assert all("sandbox-secret" not in str(e) and tok not in str(e) for e in domo.requests())
