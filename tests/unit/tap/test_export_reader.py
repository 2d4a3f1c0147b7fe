"""The CSV export reader: lists of records, and a restart after a stream cut inside a list."""

from __future__ import annotations

import io
import logging

import pytest
from tap_domo import export as export_module
from tap_domo.client import Target
from tap_domo.datasets import Column
from tap_domo.errors import DomoApiError
from tap_domo.export import ExportReader
from tap_domo.retry import RetryPolicy
from tap_domo.types import DomoType

COLUMNS = [Column("n", DomoType.LONG), Column("s", DomoType.STRING)]
FULL = b"n,s\r\n" + b"".join(b"%d,r%d\r\n" % (n, n) for n in range(1, 8))


class Body(io.BytesIO):
    """A response body as urllib3 exposes it (the reader sets these two attributes)."""

    decode_content = False
    auto_close = True


class Response:
    def __init__(self, body: bytes) -> None:
        self.raw = Body(body)
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Client:
    """Answers each export request with the next body."""

    def __init__(self, *bodies: bytes) -> None:
        self.bodies = list(bodies)
        self.responses: list[Response] = []

    def open_export(self, target, params):
        self.responses.append(Response(self.bodies.pop(0)))
        return self.responses[-1]


def reader(client: Client) -> ExportReader:
    return ExportReader(
        client,
        Target("g", "s"),
        COLUMNS,
        empty_string_is_null=True,
        policy=RetryPolicy(sleep=lambda _: None),
        logger=logging.getLogger("t"),
    )


def test_rows_come_in_lists_of_at_most_chunk_rows(monkeypatch):
    monkeypatch.setattr(export_module, "CHUNK_ROWS", 3)
    client = Client(FULL)
    chunks = list(reader(client).chunks())
    assert [[r["n"] for r in chunk] for chunk in chunks] == [[1, 2, 3], [4, 5, 6], [7]]
    assert chunks[0][0] == {"n": 1, "s": "r1"}
    assert client.responses[0].closed


def test_a_row_cut_short_inside_a_list_is_read_again_after_a_restart(monkeypatch):
    monkeypatch.setattr(export_module, "CHUNK_ROWS", 3)
    # The first answer breaks off in the middle of row 5: rows 4-5 were never handed on.
    cut = FULL[: FULL.index(b"5,r5") + 1]
    client = Client(cut, FULL)
    export = reader(client)
    rows = [r["n"] for chunk in export.chunks() for r in chunk]
    assert rows == [1, 2, 3, 4, 5, 6, 7]
    assert export.restarts == 1
    assert all(response.closed for response in client.responses)


def test_a_changed_dataset_is_not_skipped_after_a_restart(monkeypatch):
    monkeypatch.setattr(export_module, "CHUNK_ROWS", 3)
    cut = FULL[: FULL.index(b"5,r5") + 1]
    changed = FULL.replace(b"2,r2", b"2,XX")
    with pytest.raises(DomoApiError, match="changed while its CSV export was being restarted"):
        list(reader(Client(cut, changed)).chunks())
