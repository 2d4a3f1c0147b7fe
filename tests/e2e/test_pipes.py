"""The plain pipe, and each half composed with real Singer connectors from PyPI."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal

import pytest

from tests.e2e.support import (
    BIN,
    REPO,
    actual_content,
    expected_content,
    internal_names,
    last_state,
    write_config,
)

pytestmark = pytest.mark.e2e


def pipe(left: list[str], right: list[str]) -> tuple[int, int, str, str]:
    """Run `left | right`; return both exit codes, right's stdout and both stderrs."""
    producer = subprocess.Popen(left, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    consumer = subprocess.run(
        right, cwd=REPO, stdin=producer.stdout, capture_output=True, text=True, timeout=300
    )
    producer.stdout.close()
    producer_err = producer.stderr.read().decode()
    producer.wait(timeout=60)
    return producer.returncode, consumer.returncode, consumer.stdout, producer_err + consumer.stderr


def test_plain_pipe_gives_the_same_result(demo, tmp_path):
    tap_config = write_config(tmp_path / "tap.json", "tap-domo.sandbox.json", api_url=demo.domo.url)
    target_config = write_config(
        tmp_path / "target.json", "target-eloqua.sandbox.json", login_url=demo.eloqua.login_url
    )
    tap_rc, target_rc, out, err = pipe(
        [str(BIN / "tap-domo"), "--config", str(tap_config)],
        [str(BIN / "target-eloqua"), "--config", str(target_config)],
    )
    assert (tap_rc, target_rc) == (0, 0), err[-3000:]
    names = internal_names(demo.eloqua, demo.custom_object_id)
    expected = expected_content(demo.domo, demo.dataset_id, names)
    assert actual_content(demo.eloqua, demo.custom_object_id, names["Email Address"]) == expected
    assert last_state(out) == {
        "bookmarks": {
            "event_registrations": {"replication_key": "_BATCH_ID_", "replication_key_value": 3}
        }
    }
    contacts = set(sorted(expected)[::10])  # the demo fixture made these emails contacts
    linked = {
        r["fields"][names["Email Address"]]
        for r in demo.eloqua.records(demo.custom_object_id)
        if r["contactId"]
    }
    assert linked == contacts


def test_tap_into_target_jsonl_keeps_every_row_and_type(demo, tmp_path, peer_venvs):
    tap_config = write_config(tmp_path / "tap.json", "tap-domo.sandbox.json", api_url=demo.domo.url)
    out_dir = tmp_path / "out"
    jsonl_config = tmp_path / "jsonl.json"
    jsonl_config.write_text(
        json.dumps({"destination_path": str(out_dir), "do_timestamp_file": False})
    )
    tap_rc, target_rc, _, err = pipe(
        [str(BIN / "tap-domo"), "--config", str(tap_config)],
        [str(peer_venvs("target-jsonl")), "--config", str(jsonl_config)],
    )
    assert (tap_rc, target_rc) == (0, 0), err[-3000:]
    lines = (out_dir / "event_registrations.jsonl").read_text().splitlines()
    written = [json.loads(line, parse_float=Decimal) for line in lines]
    rows = demo.domo.dataset_rows(demo.dataset_id)
    assert len(written) == len(rows)
    for record, row in zip(written, rows, strict=True):
        assert record["Email"] == row["Email"]
        assert record["Numbers"] == row["Numbers"]
        assert record["Amount"] == row["Amount"]  # exact Decimal, never a float
        assert record["Event Date"] == row["Event Date"]
        assert record["Registration Time"] == f"{row['Registration Time']}Z".replace("ZZ", "Z")
        assert record["_BATCH_ID_"] == row["_BATCH_ID_"]


def test_tap_jsonl_file_into_target_eloqua(eloqua, tmp_path, peer_venvs):
    custom_object_id = eloqua.create_custom_object(
        "Members",
        [
            {"name": "Member Id", "dataType": "text", "unique": True},
            {"name": "Email", "dataType": "emailAddress"},
            {"name": "Visits", "dataType": "number"},
        ],
    )
    source = tmp_path / "members.jsonl"
    members = [{"id": f"m-{i}", "email": f"member{i}@example.com", "visits": i} for i in range(50)]
    source.write_text("".join(json.dumps(m) + "\n" for m in members))
    tap_config = tmp_path / "tap.json"
    tap_config.write_text(json.dumps({"path": str(source), "stream_name": "members"}))
    target_config = tmp_path / "target.json"
    target_config.write_text(
        json.dumps(
            {
                "company": eloqua.DEFAULT_COMPANY,
                "username": eloqua.DEFAULT_USERNAME,
                "password": eloqua.DEFAULT_PASSWORD,
                "login_url": eloqua.login_url,
                "custom_object": "Members",
                "identifier_field": {"eloqua_field": "Member Id", "dataset_field": "id"},
                "optional_fields": [
                    {"eloqua_field": "Email", "dataset_field": "email"},
                    {"eloqua_field": "Visits", "dataset_field": "visits"},
                ],
                "sync_poll_interval": 0.1,
            }
        )
    )
    tap_rc, target_rc, _, err = pipe(
        [str(peer_venvs("tap-jsonl")), "--config", str(tap_config)],
        [str(BIN / "target-eloqua"), "--config", str(target_config)],
    )
    assert (tap_rc, target_rc) == (0, 0), err[-3000:]
    landed = sorted(
        (r["fields"]["Member_Id1"], r["fields"]["Email1"], r["fields"]["Visits1"])
        for r in eloqua.records(custom_object_id)
    )
    assert landed == sorted((m["id"], m["email"], str(m["visits"])) for m in members)
