from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage
from tap_domo import writer as writer_module
from tap_domo.writer import BufferedWriter, _write_all

WHEN = dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC)


class Stdout:
    """What the writer has written to stdout so far (pytest's binary capture of it)."""

    def __init__(self, capture: pytest.CaptureFixture[bytes]) -> None:
        self.capture = capture
        self.data = b""

    def lines(self) -> list[bytes]:
        self.data += self.capture.readouterr().out
        return self.data.splitlines()


@pytest.fixture
def stdout(capsysbinary):
    return Stdout(capsysbinary)


def test_records_wait_for_the_state_that_follows_them(stdout):
    writer = BufferedWriter()
    writer.write_message(RecordMessage(stream="s", record={"a": 1}, time_extracted=WHEN))
    writer.write_record("s", {"a": 2}, None, WHEN)
    assert stdout.lines() == []
    writer.write_message(StateMessage(value={"bookmarks": {"s": {"replication_key_value": 1}}}))
    lines = stdout.lines()
    assert len(lines) == 3
    assert lines[0].startswith(b'{"type":"RECORD"')
    assert b'"a":1' in lines[0]
    assert b'"a":2' in lines[1]
    assert lines[2].startswith(b'{"type":"STATE"')
    writer.write_record("s", {"a": 3}, None, WHEN)
    assert len(stdout.lines()) == 3
    writer.flush()
    assert len(stdout.lines()) == 4


def test_every_other_message_is_written_at_once(stdout):
    writer = BufferedWriter()
    writer.write_message(SchemaMessage(stream="s", schema={"type": "object"}, key_properties=[]))
    assert len(stdout.lines()) == 1


def test_write_record_writes_the_line_the_sdk_writer_writes(stdout):
    record = {"n": 1, "d": Decimal("8768.40"), "t": "2024-01-15T03:10:00Z", "x": None}
    BufferedWriter().write_record("s", record, 7, WHEN)
    sdk = MsgSpecWriter().format_message(
        RecordMessage(stream="s", record=record, version=7, time_extracted=WHEN)
    )
    mine = BufferedWriter()
    mine.write_record("s", record, 7, WHEN)
    mine.flush()
    assert stdout.lines()[-1] + b"\n" == bytes(sdk)
    assert b'"d":8768.40' in bytes(sdk)


def test_a_full_buffer_is_written_without_waiting(stdout, monkeypatch):
    monkeypatch.setattr(writer_module, "FLUSH_BYTES", 400)
    writer = BufferedWriter()
    for n in range(3):
        writer.write_record("s", {"n": n}, None, WHEN)
    assert stdout.lines() == []
    for n in range(3, 6):
        writer.write_record("s", {"n": n}, None, WHEN)
    assert 0 < len(stdout.lines()) < 6
    writer.flush()
    assert len(stdout.lines()) == 6


class Trickle:
    """An unbuffered stream that takes at most 3 bytes per write."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, view: memoryview) -> int:
        self.data += view[:3]
        return min(3, len(view))


def test_partial_writes_are_completed():
    out = Trickle()
    _write_all(out, b"0123456789")
    assert bytes(out.data) == b"0123456789"
