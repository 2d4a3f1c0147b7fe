"""The Eloqua emulator over real HTTP: login, pods, Bulk API errors, limits, syncs, REST reads."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sandbox.eloqua.client import EloquaControl
from sandbox.eloqua.seed import BENCH_FIELDS, seed_bench, seed_demo


def _session(eloqua: EloquaControl, password: str | None = None) -> requests.Session:
    session = requests.Session()
    session.auth = (
        f"{eloqua.DEFAULT_COMPANY}\\{eloqua.DEFAULT_USERNAME}",
        password or eloqua.DEFAULT_PASSWORD,
    )
    return session


@pytest.fixture
def http(eloqua: EloquaControl) -> requests.Session:
    return _session(eloqua)


@pytest.fixture
def bulk(eloqua: EloquaControl) -> str:
    return f"{eloqua.base_url}/api/bulk/2.0"


@pytest.fixture
def demo(eloqua: EloquaControl) -> int:
    return seed_demo(eloqua)


def _statements(http: requests.Session, bulk: str, object_id: int) -> dict[str, str]:
    items = http.get(f"{bulk}/customObjects/{object_id}/fields").json()["items"]
    return {item["internalName"]: item["statement"] for item in items}


def _definition(http: requests.Session, bulk: str, object_id: int, **options: Any) -> str:
    statements = _statements(http, bulk, object_id)
    body = {
        "name": "registrations",
        "fields": {
            "email": statements["Email_Address1"],
            "first": statements["First_Name1"],
            "tickets": statements["Number_of_Tickets1"],
        },
        "identifierFieldName": "email",
        "isSyncTriggeredOnImport": False,
        **options,
    }
    response = http.post(f"{bulk}/customObjects/{object_id}/imports", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["uri"])


def _sync(http: requests.Session, bulk: str, uri: str) -> dict[str, Any]:
    created = http.post(f"{bulk}/syncs", json={"syncedInstanceUri": uri})
    assert created.status_code == 201, created.text
    return dict(http.get(f"{bulk}{created.json()['uri']}").json())


# ---- login and pods -----------------------------------------------------------------------------
def test_id_returns_the_pod_base(eloqua: EloquaControl, http: requests.Session) -> None:
    body = http.get(f"{eloqua.login_url}/id").json()
    assert body["urls"]["base"] == eloqua.base_url
    assert body["urls"]["base"].endswith("/pods/p03")
    assert body["urls"]["apis"]["rest"]["bulk"] == f"{eloqua.base_url}/API/Bulk/{{version}}/"
    assert body["site"]["name"] == "SandboxCo"
    assert body["user"]["username"] == "api.user"


@pytest.mark.parametrize("auth", [("SandboxCo\\api.user", "wrong"), None])
def test_bad_login_is_http_200_not_authenticated(eloqua: EloquaControl, auth: Any) -> None:
    response = requests.get(f"{eloqua.login_url}/id", auth=auth, timeout=5)
    assert response.status_code == 200
    assert response.content == b'"Not authenticated."'
    assert response.headers["Content-Length"] == "20"
    assert response.json() == "Not authenticated."


def test_api_calls_need_credentials(eloqua: EloquaControl, bulk: str) -> None:
    assert requests.get(f"{bulk}/customObjects", timeout=5).status_code == 401
    wrong = _session(eloqua, password="wrong").get(f"{bulk}/customObjects")
    assert wrong.status_code == 401
    assert wrong.reason == "Login required"
    assert wrong.json() == {
        "failures": [{"field": "", "value": "", "constraint": "Login required"}]
    }


def test_added_users_can_log_in(eloqua: EloquaControl) -> None:
    eloqua.add_user("OtherCo", "jane.doe", "s3cret")
    body = requests.get(f"{eloqua.login_url}/id", auth=("OtherCo\\jane.doe", "s3cret"), timeout=5)
    assert body.json()["user"]["username"] == "jane.doe"
    assert body.json()["site"]["name"] == "OtherCo"


def test_pod_move(eloqua: EloquaControl, http: requests.Session, demo: int) -> None:
    old = eloqua.base_url
    new = eloqua.move_pod("p06")
    assert new.endswith("/pods/p06")
    assert http.get(f"{old}/api/bulk/2.0/customObjects").status_code == 401
    assert http.get(f"{eloqua.login_url}/id").json()["urls"]["base"] == new
    assert http.get(f"{new}/api/bulk/2.0/customObjects/{demo}").status_code == 200
    assert eloqua.base_url == new


@pytest.mark.parametrize("prefix", ["api/bulk", "API/Bulk", "API/BULK"])
def test_api_prefix_is_case_insensitive(
    eloqua: EloquaControl, http: requests.Session, demo: int, prefix: str
) -> None:
    response = http.get(f"{eloqua.base_url}/{prefix}/2.0/customObjects/{demo}")
    assert response.json()["name"] == "Event Registrations"


# ---- metadata -----------------------------------------------------------------------------------
def test_custom_object_listing_and_search(
    eloqua: EloquaControl, http: requests.Session, bulk: str, demo: int
) -> None:
    bench = seed_bench(eloqua)
    listing = http.get(f"{bulk}/customObjects", params={"q": "name='Event*'"}).json()
    assert [item["uri"] for item in listing["items"]] == [f"/customObjects/{demo}"]
    page = http.get(f"{bulk}/customObjects", params={"limit": 1, "offset": 1}).json()
    assert (page["count"], page["hasMore"], page["totalResults"]) == (1, False, 2)
    assert page["items"][0]["uri"] == f"/customObjects/{bench}"
    bad = http.get(f"{bulk}/customObjects", params={"limit": 1001})
    assert bad.status_code == 400
    assert bad.json()["failures"][0]["field"] == "limit"


def test_fields_describe_types_and_statements(
    eloqua: EloquaControl, http: requests.Session, bulk: str
) -> None:
    object_id = seed_bench(eloqua)
    items = http.get(f"{bulk}/customObjects/{object_id}/fields").json()["items"]
    by_name = {item["name"]: item for item in items}
    assert [by_name[f["name"]]["dataType"] for f in BENCH_FIELDS] == [
        "string", "string", "string", "number", "number", "date", "date", "emailAddress",
        "string", "number",
    ]  # fmt: skip
    assert by_name["id"]["hasUniquenessConstraint"] is True
    field_id = by_name["id"]["uri"].rsplit("/", 1)[1]
    assert by_name["id"]["statement"] == f"{{{{CustomObject[{object_id}].Field[{field_id}]}}}}"
    statements = {item["statement"] for item in items}
    assert f"{{{{CustomObject[{object_id}].Id}}}}" in statements
    assert f"{{{{CustomObject[{object_id}].ExternalId}}}}" in statements
    one = http.get(f"{bulk}/customObjects/{object_id}").json()
    assert one["uniqueFieldUri"] == by_name["id"]["uri"]
    assert one["emailAddressFieldUri"] == by_name["Field 7"]["uri"]


def test_rest_metadata_tells_the_true_types(
    eloqua: EloquaControl, http: requests.Session, demo: int
) -> None:
    rest = f"{eloqua.base_url}/API/REST/2.0"
    detail = http.get(f"{rest}/assets/customObject/{demo}").json()
    types = {field["name"]: field["dataType"] for field in detail["fields"]}
    assert (types["Number of Tickets"], types["Amount"], types["Company"]) == (
        "number", "numeric", "text",
    )  # fmt: skip
    listing = http.get(f"{rest}/assets/customObjects", params={"search": "name='Event*'"}).json()
    assert (listing["total"], listing["elements"][0]["name"]) == (1, "Event Registrations")
    missing = http.get(f"{rest}/assets/customObject/999")
    assert missing.status_code == 404
    assert isinstance(missing.json(), list)


# ---- import definitions -------------------------------------------------------------------------
def test_definition_validation_failures_are_400(
    http: requests.Session, bulk: str, demo: int
) -> None:
    statements = _statements(http, bulk, demo)
    body = {
        "name": "x",
        "fields": {"email": statements["Email_Address1"]},
        "identifierFieldName": "Email",
        "isSyncTriggeredOnImport": False,
    }
    response = http.post(f"{bulk}/customObjects/{demo}/imports", json=body)
    assert response.status_code == 400
    assert response.reason == "There was a validation error."
    assert response.json() == {
        "failures": [
            {
                "field": "identifierFieldName",
                "value": "Email",
                "constraint": "Email must be contained within Fields",
            }
        ]
    }
    not_json = http.post(f"{bulk}/customObjects/{demo}/imports", data="x")
    assert not_json.status_code == 400


def test_definition_lifecycle(http: requests.Session, bulk: str, demo: int) -> None:
    uri = _definition(http, bulk, demo, autoDeleteDuration="P1D")
    got = http.get(f"{bulk}{uri}").json()
    assert (got["uri"], got["autoDeleteDuration"], got["parentId"]) == (uri, "P1D", demo)
    assert [d["uri"] for d in http.get(f"{bulk}/customObjects/{demo}/imports").json()["items"]] == [
        uri
    ]
    assert http.delete(f"{bulk}{uri}").status_code == 204
    assert http.get(f"{bulk}{uri}").status_code == 404
    assert http.delete(f"{bulk}{uri}").status_code == 404


# ---- staging limits -----------------------------------------------------------------------------
def test_body_over_the_post_limit_is_404(
    eloqua: EloquaControl, http: requests.Session, bulk: str, demo: int
) -> None:
    eloqua.settings(max_post_bytes=1000)
    uri = _definition(http, bulk, demo)
    rows = [{"email": f"user{i}@example.com", "first": "x" * 40} for i in range(30)]
    response = http.post(f"{bulk}{uri}/data", json=rows)
    assert response.status_code == 404
    assert response.reason == "The requested resource was not found."
    assert http.post(f"{bulk}{uri}/data", json=rows[:5]).status_code == 204
    assert [u["rows"] for u in eloqua.uploads()] == [5]


def test_data_needs_a_content_type(http: requests.Session, bulk: str, demo: int) -> None:
    uri = _definition(http, bulk, demo)
    response = http.post(f"{bulk}{uri}/data", data=b'[{"email": "a@b.com"}]')
    assert response.status_code == 400
    assert response.json()["failures"][0]["field"] == "Content-Type"


def test_the_501st_post_of_a_sync_is_400(
    eloqua: EloquaControl, http: requests.Session, bulk: str, demo: int
) -> None:
    eloqua.settings(max_posts_per_sync=3)
    uri = _definition(http, bulk, demo)
    for i in range(3):
        assert http.post(f"{bulk}{uri}/data", json=[{"email": f"u{i}@x.com"}]).status_code == 204
    fourth = http.post(f"{bulk}{uri}/data", json=[{"email": "u4@x.com"}])
    assert fourth.status_code == 400
    assert fourth.reason == "There was a validation error."
    assert fourth.json()["failures"][0]["field"] == "data"


def test_csv_upload_and_clearing_staged_data(
    eloqua: EloquaControl, http: requests.Session, bulk: str, demo: int
) -> None:
    uri = _definition(http, bulk, demo)
    csv_body = b'email,first,tickets\r\na@x.com,Ann,2\r\nb@x.com,"Bob, Jr",\r\n'
    response = http.post(f"{bulk}{uri}/data", data=csv_body, headers={"Content-Type": "text/csv"})
    assert response.status_code == 204
    http.post(f"{bulk}{uri}/data", json=[{"email": "c@x.com"}])
    assert http.delete(f"{bulk}{uri}/data").status_code == 204
    http.post(f"{bulk}{uri}/data", data=csv_body, headers={"Content-Type": "text/csv"})
    assert _sync(http, bulk, uri)["status"] == "success"
    fields = [r["fields"] for r in eloqua.records(demo)]
    assert [(f["Email_Address1"], f["First_Name1"], f["Number_of_Tickets1"]) for f in fields] == [
        ("a@x.com", "Ann", "2"),
        ("b@x.com", "Bob, Jr", None),
    ]
    assert [u["contentType"] for u in eloqua.uploads()] == [
        "text/csv",
        "application/json",
        "text/csv",
    ]


# ---- syncs --------------------------------------------------------------------------------------
def test_sync_flow_with_rejects_paging_and_rest_instances(
    eloqua: EloquaControl, http: requests.Session, bulk: str, demo: int
) -> None:
    contact = eloqua.add_contact("ada.byron@example.com")
    uri = _definition(
        http,
        bulk,
        demo,
        mapDataCards=True,
        mapDataCardsEntityType="Contact",
        mapDataCardsSourceField="email",
        mapDataCardsEntityField="{{Contact.Field(C_EmailAddress)}}",
    )
    rows = [
        {"email": "Ada.Byron@example.com", "first": "Ada", "tickets": "2"},
        {"email": "not an email", "first": "X"},
        {"email": "b@x.com", "tickets": "-3"},
        {"email": "c@x.com", "tickets": "1"},
    ]
    assert http.post(f"{bulk}{uri}/data", json=rows).status_code == 204
    sync = _sync(http, bulk, uri)
    assert sync["status"] == "warning"
    assert {"syncStartedAt", "syncEndedAt"} <= set(sync)
    page = http.get(f"{bulk}{sync['uri']}/rejects", params={"limit": 1, "offset": 1}).json()
    assert (page["totalResults"], page["count"], page["hasMore"]) == (2, 1, False)
    assert page["items"] == [
        {
            "fieldValues": {"email": "b@x.com", "tickets": "-3"},
            "invalidFields": ["tickets"],
            "message": "Invalid number: must be a non-negative integer.",
            "statusCode": "ELQ-00144",
            "recordIndex": 3,
        }
    ]
    logs = http.get(f"{bulk}{sync['uri']}/logs").json()["items"]
    counts = {log["statusCode"]: log["count"] for log in logs}
    assert (counts["ELQ-00001"], counts["ELQ-00007"], counts["ELQ-00060"]) == (4, 2, 2)
    assert counts["ELQ-00025"] == 1
    assert {log["syncUri"] for log in logs} == {sync["uri"]}
    instances = http.get(
        f"{eloqua.base_url}/api/rest/2.0/data/customObject/{demo}/instances", params={"count": 1}
    ).json()
    assert (instances["total"], instances["pageSize"], len(instances["elements"])) == (2, 1, 1)
    first = instances["elements"][0]
    assert (first["contactId"], first["isMapped"], first["uniqueCode"]) == (
        str(contact), "Yes", "Ada.Byron@example.com",
    )  # fmt: skip
    assert {"type": "FieldValue", "id": first["fieldValues"][1]["id"], "value": "Ada"} in first[
        "fieldValues"
    ]
    summary = eloqua.syncs()[0]
    assert (summary["rows"], summary["created"], summary["rejected"]) == (4, 2, 2)


def test_second_sync_while_one_is_pending_is_400(
    http: requests.Session, bulk: str, demo: int
) -> None:
    uri = _definition(http, bulk, demo)
    http.post(f"{bulk}{uri}/data", json=[{"email": "a@x.com"}])
    first = http.post(f"{bulk}/syncs", json={"syncedInstanceUri": uri})
    assert first.json()["status"] == "pending"
    second = http.post(f"{bulk}/syncs", json={"syncedInstanceUri": uri})
    assert second.status_code == 400
    assert second.json()["failures"][0]["field"] == "syncedInstanceUri"


def test_stale_definition_is_400_at_sync_creation(
    eloqua: EloquaControl, http: requests.Session, bulk: str, demo: int
) -> None:
    uri = _definition(http, bulk, demo)
    eloqua.delete_field(demo, "First Name")
    response = http.post(f"{bulk}/syncs", json={"syncedInstanceUri": uri})
    assert response.status_code == 400
    assert response.json()["failures"][0]["constraint"] == "Field no longer exists."


def test_poll_schedule_and_forced_error(
    eloqua: EloquaControl, http: requests.Session, bulk: str, demo: int
) -> None:
    eloqua.sync_schedule("polls", pending_polls=1, active_polls=1)
    eloqua.force_next_syncs("error")
    eloqua.settings(failure_status="errored")
    uri = _definition(http, bulk, demo)
    http.post(f"{bulk}{uri}/data", json=[{"email": "a@x.com"}])
    sync_uri = http.post(f"{bulk}/syncs", json={"syncedInstanceUri": uri}).json()["uri"]
    statuses = [http.get(f"{bulk}{sync_uri}").json()["status"] for _ in range(4)]
    assert statuses == ["pending", "active", "errored", "errored"]
    codes = [log["statusCode"] for log in http.get(f"{bulk}{sync_uri}/logs").json()["items"]]
    assert codes == ["ELQ-00146", "ELQ-00101"]
    assert eloqua.records(demo) == []


def test_sync_triggered_on_import_returns_201_with_the_sync(
    eloqua: EloquaControl, http: requests.Session, bulk: str, demo: int
) -> None:
    uri = _definition(http, bulk, demo, isSyncTriggeredOnImport=True)
    response = http.post(f"{bulk}{uri}/data", json=[{"email": "a@x.com", "first": "Ann"}])
    assert response.status_code == 201
    assert response.json()["syncedInstanceUri"] == uri
    assert http.get(f"{bulk}{response.json()['uri']}").json()["status"] == "success"
    assert [r["fields"]["First_Name1"] for r in eloqua.records(demo)] == ["Ann"]


def test_injected_faults_use_eloqua_shapes(
    eloqua: EloquaControl, http: requests.Session, bulk: str, demo: int
) -> None:
    eloqua.add_fault(r".*/syncs", method="POST", status=503)
    uri = _definition(http, bulk, demo)
    response = http.post(f"{bulk}/syncs", json={"syncedInstanceUri": uri})
    assert (response.status_code, response.reason) == (503, "Service Unavailable")
    assert response.json()["failures"][0]["constraint"] == "Service Unavailable"
    assert [d["uri"] for d in eloqua.import_definitions()] == [uri]
