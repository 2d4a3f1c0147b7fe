"""No secret in any output: stdout, stderr (the logs), reject files, state, Meltano's stored state.

One test session registers a Domo client and an Eloqua user whose secrets are unique strings,
then runs: a full `meltano run` (with a reject), the plain pipe, and error runs (a wrong Domo
secret, a wrong Eloqua password, a DataSet the client may not read, Domo answering 500 and
Eloqua answering 400 with bodies that echo the request's credentials back). Every text those
runs left is scanned for the secrets, their HTTP Basic header values and every access token the
Domo emulator issued.
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest
from sandbox.domo.client import DomoControl
from sandbox.domo.seed import seed_demo as seed_domo
from sandbox.eloqua.client import EloquaControl
from sandbox.eloqua.seed import seed_demo as seed_eloqua
from tap_domo.settings import _start_batch_id, _timeout
from target_eloqua.runtime import as_number, config_problems, reject_ratio

from tests.reliability.input_support import (
    BIN,
    COMPANY,
    REPO,
    Run,
    pipe,
    run,
    run_target,
    target_config,
)

pytestmark = pytest.mark.e2e

MELTANO = str(BIN / "meltano")
STATE_ID = "sandbox:tap-domo-to-target-eloqua"
STREAM = "event_registrations"


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_no_secret_leaks_from_any_run(
    domo: DomoControl, eloqua: EloquaControl, tmp_path: Path
) -> None:
    client_id, client_secret = "rel-client", f"domo-secret-{secrets.token_hex(8)}"
    username, password = "rel.user", f"elq-pass-{secrets.token_hex(8)}"
    domo.add_client(client_id, client_secret)
    eloqua.add_user(COMPANY, username, password)
    dataset_id = seed_domo(domo)
    emails = sorted({row["Email"] for row in domo.dataset_rows(dataset_id)})
    seed_eloqua(eloqua, contact_emails=emails[::10])
    hidden = domo.create_dataset("Hidden", [("Code", "STRING")], [["x"]], owner_id=999)

    texts: dict[str, str] = {}

    def keep(name: str, result: Run) -> None:
        texts[f"{name} stdout"] = result.stdout
        texts[f"{name} stderr"] = result.stderr

    # 1. meltano run, with Meltano's own state store.
    rejects = tmp_path / "rejects.jsonl"
    env = {
        "MELTANO_ENVIRONMENT": "sandbox",
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "TAP_DOMO_API_URL": domo.url,
        "TAP_DOMO_CLIENT_ID": client_id,
        "TAP_DOMO_CLIENT_SECRET": client_secret,
        "TARGET_ELOQUA_LOGIN_URL": eloqua.login_url,
        "TARGET_ELOQUA_USERNAME": username,
        "TARGET_ELOQUA_PASSWORD": password,
        "TARGET_ELOQUA_REJECT_FILE": str(rejects),
    }
    meltano = run([MELTANO, "run", "tap-domo", "target-eloqua"], env=env, timeout=300)
    assert meltano.returncode == 0, meltano.describe()
    keep("meltano run", meltano)
    state = run([MELTANO, "state", "get", STATE_ID], env=env)
    assert state.returncode == 0, state.describe()
    assert json.loads(state.stdout.strip().splitlines()[-1])["singer_state"]["bookmarks"][
        STREAM
    ] == {"replication_key": "_BATCH_ID_", "replication_key_value": 3}
    keep("meltano state get", state)

    # 2. The plain pipe (a new load with one invalid email: a reject) and error runs.
    bad = dict(domo.dataset_rows(dataset_id)[0], Email="not-an-email")
    domo.append_load(dataset_id, [{k: v for k, v in bad.items() if not k.startswith("_BATCH")}])

    tap_cfg = {
        "client_id": client_id, "client_secret": client_secret, "api_url": domo.url,
        "datasets": [{"id": dataset_id, "stream_name": STREAM}],
    }  # fmt: skip
    target_cfg = json.loads((REPO / "samples" / "target-eloqua.sandbox.json").read_text())
    target_cfg.update(
        username=username, password=password, login_url=eloqua.login_url,
        reject_file=str(rejects), max_reject_ratio=0.5, sync_poll_interval=0.05,
    )  # fmt: skip
    runs = {
        "pipe": (tap_cfg, target_cfg),
        "wrong domo secret": ({**tap_cfg, "client_secret": client_secret[:-1]}, target_cfg),
        "wrong eloqua password": (tap_cfg, {**target_cfg, "password": password + "x"}),
        "access denied": ({**tap_cfg, "datasets": [{"id": hidden}]}, target_cfg),
    }
    for name, (tap_settings, target_settings) in runs.items():
        directory = tmp_path / name.replace(" ", "-")
        directory.mkdir()
        tap, target = pipe(tap_settings, target_settings, directory)
        keep(f"{name} tap", tap)
        keep(f"{name} target", target)
        if name != "pipe":
            assert (tap.returncode or target.returncode) != 0, name
    assert [r["values"]["Email_Address1"] for r in map(json.loads, rejects.open())] == [
        "not-an-email"
    ]

    echo = f"request had Authorization: Basic {basic(client_id, client_secret)}"
    domo.add_fault(r"/v1/datasets/.*", status=500, count=20, body=json.dumps(
        {"status": 500, "message": echo, "toe": "ECHO"}))  # fmt: skip
    directory = tmp_path / "echo"
    directory.mkdir()
    tap, target = pipe(tap_cfg, target_cfg, directory)
    keep("domo 500 echo tap", tap)
    keep("domo 500 echo target", target)
    assert tap.returncode != 0
    assert "tap-domo: reading DataSet" in tap.last_line, tap.describe()

    for path in tmp_path.rglob("*.json*"):
        texts[str(path)] = path.read_text(errors="replace")
    secret_values = {
        "Domo client secret": client_secret,
        "Eloqua password": password,
        "Domo Basic header": basic(client_id, client_secret),
        "Eloqua Basic header": basic(COMPANY + "\\" + username, password),
    }
    tokens = domo.issued_tokens()
    assert tokens, "the Domo emulator issued no token"
    secret_values |= {f"Domo access token {i}": token for i, token in enumerate(tokens)}
    found = [
        f"{what} in {where}"
        for where, text in texts.items()
        if not where.endswith(("tap.json", "target.json"))  # the configs themselves
        for what, value in secret_values.items()
        if value in text
    ]
    assert found == []


def test_error_body_echoing_credentials_is_not_printed(
    domo: DomoControl, eloqua: EloquaControl, tmp_path: Path
) -> None:
    eloqua.create_custom_object("Orders", [{"name": "Code", "dataType": "text"}])
    header = basic(COMPANY + "\\api.user", "sandbox-password")
    eloqua.add_fault(r".*/imports", method="POST", status=400, body=json.dumps(
        {"failures": [{"field": "h", "value": f"Basic {header}", "constraint": "echo"}]}
    ))  # fmt: skip
    stdin = (
        '{"type":"SCHEMA","stream":"o","schema":{"properties":{"Code":{"type":"string"}}},'
        '"key_properties":[]}\n{"type":"RECORD","stream":"o","record":{"Code":"c"}}\n'
    )
    result = run_target(target_config(eloqua, "Orders", ("Code", "Code")), stdin)
    assert result.returncode != 0
    assert header not in result.stderr


def test_meltano_accepts_a_reject_ratio_from_the_environment(tmp_path: Path) -> None:
    env = {
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "TARGET_ELOQUA_MAX_REJECT_RATIO": "0.5",
    }
    result = run([MELTANO, "config", "print", "target-eloqua"], env=env)
    assert result.returncode == 0, result.describe()
    # meltano.yml declares it `kind: string` (a decimal kind cannot be serialised), so Meltano
    # hands the target "0.5", which the target reads as the number.
    value = json.loads(result.stdout)["max_reject_ratio"]
    assert value == "0.5"
    assert reject_ratio(value) == 0.5
    assert config_problems({"max_reject_ratio": value}) == []


@pytest.mark.parametrize(
    ("plugin", "name", "text", "number"),
    [
        ("tap-domo", "request_timeout", "2.5", 2.5),
        ("tap-domo", "start_batch_id", "410", 410),
        ("target-eloqua", "request_timeout", "2.5", 2.5),
        ("target-eloqua", "sync_poll_interval", "0.5", 0.5),
        ("target-eloqua", "sync_timeout", "60", 60),
    ],
)
def test_meltano_passes_fractional_settings_from_the_environment(
    tmp_path: Path, plugin: str, name: str, text: str, number: float
) -> None:
    env = {
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        f"{plugin.upper().replace('-', '_')}_{name.upper()}": text,
    }
    result = run([MELTANO, "config", "print", plugin], env=env)
    # A `kind: decimal` setting from the environment ends in "Decimal is not JSON serializable".
    assert result.returncode == 0, result.describe()
    value = json.loads(result.stdout)[name]
    assert value == text
    if plugin == "target-eloqua":
        assert as_number(value) == number
        assert config_problems({name: value}) == []
    elif name == "request_timeout":
        assert _timeout(value) == number
    else:
        assert _start_batch_id(value) == number
