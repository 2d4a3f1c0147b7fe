from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from decimal import Decimal

import pytest
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage
from tap_domo import writer as writer_module
from tap_domo.writer import BufferedWriter, _write_all, enlarge_pipe

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


@pytest.mark.parametrize("version", [None, 7])
def test_write_records_writes_the_lines_the_sdk_writer_writes(stdout, version):
    records = [
        {"n": 1, "d": Decimal("8768.40"), "t": "2024-01-15T03:10:00Z", "x": None},
        {"n": 2, 'we"ird': "é\n", "d": Decimal("1E+2")},
    ]
    writer = BufferedWriter()
    writer.write_records("s", records, version, WHEN)
    writer.write_records('o"ther', records[:1], version, WHEN)
    writer.flush()
    sdk = MsgSpecWriter()
    expected = [
        bytes(
            sdk.format_message(
                RecordMessage(stream=s, record=r, version=version, time_extracted=WHEN)
            )
        )
        for s, r in [("s", records[0]), ("s", records[1]), ('o"ther', records[0])]
    ]
    assert [line + b"\n" for line in stdout.lines()] == expected


def test_write_records_writes_out_a_full_buffer_as_it_goes(stdout, monkeypatch):
    monkeypatch.setattr(writer_module, "FLUSH_BYTES", 400)
    writer = BufferedWriter()
    writer.write_records("s", [{"n": n} for n in range(6)], None, WHEN)
    assert 0 < len(stdout.lines()) < 6
    writer.flush()
    assert [json.loads(line)["record"]["n"] for line in stdout.lines()] == list(range(6))


def test_flush_writes_the_buffer_in_place():
    out = Trickle()
    pending = bytearray(b"0123456789")
    _write_all(out, pending)
    pending.clear()  # no view of the buffer is left behind to forbid resizing it
    assert bytes(out.data) == b"0123456789"


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux only")
def test_a_pipe_is_enlarged_to_hold_a_block():
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb"), os.fdopen(write_end, "wb") as out:
        enlarge_pipe(out, writer_module.FLUSH_BYTES)
        assert fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ) >= writer_module.FLUSH_BYTES


def test_enlarging_something_else_does_nothing(tmp_path):
    with open(tmp_path / "f", "wb") as regular:
        enlarge_pipe(regular, 1 << 20)
    enlarge_pipe(object(), 1 << 20)  # no file descriptor at all (a test's captured stdout)


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux only")
def test_a_larger_pipe_is_left_as_it_is():
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb"), os.fdopen(write_end, "wb") as out:
        before = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
        enlarge_pipe(out, before // 4)
        assert fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ) == before
