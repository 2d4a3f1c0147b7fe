"""Singer output: msgspec-encoded messages, RECORDs buffered and written at STATE boundaries."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import stat
import sys
from collections.abc import Iterable
from typing import Any

from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from singer_sdk.singerlib import Message, RecordMessage

#: Bytes of RECORD lines held before they are written even without a STATE to follow.
FLUSH_BYTES = 1 << 20

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
# Linux only: absent from the fcntl module on other systems.
_F_SETPIPE_SZ: int | None = getattr(fcntl, "F_SETPIPE_SZ", None)
_F_GETPIPE_SZ: int | None = getattr(fcntl, "F_GETPIPE_SZ", None)


class BufferedWriter(MsgSpecWriter):
    """A `MsgSpecWriter` that writes RECORD lines in blocks instead of one write and flush each.

    The SDK's writers write and flush every message: at 200,000 rows that is 200,000 system
    calls, and a reader at the other end of a pipe wakes up as often. Here RECORD lines collect
    in a buffer that is written out when it reaches `FLUSH_BYTES`, before any other message
    (STATE, SCHEMA, ACTIVATE_VERSION…), and by `flush` at the end of a run. So every STATE still
    follows all the records before it, and a crash loses at most the records after the last
    STATE, which the bookmark rules send again on the next run anyway.

    The buffer is ours rather than `sys.stdout`'s because `PYTHONUNBUFFERED=1` (common in
    containers) makes `sys.stdout.buffer` unbuffered. When stdout is a pipe, it is enlarged to
    hold a whole block where the system allows it: with the default 64 KiB, every block is
    written in sixteen pieces, each waiting for the reader to drain the one before.
    """

    def __init__(self) -> None:
        """Start with an empty buffer."""
        super().__init__()
        self._pending = bytearray()
        self._prefixes: dict[str, bytes] = {}
        enlarge_pipe(sys.stdout, FLUSH_BYTES)

    def write_message(self, message: Message) -> None:
        """Buffer a RECORD; write anything else at once, after the records before it.

        Args:
            message: the message.
        """
        encoder.encode_into(message.to_dict(), self._pending, -1)
        self._pending += b"\n"
        if not isinstance(message, RecordMessage) or len(self._pending) >= FLUSH_BYTES:
            self.flush()

    def write_record(
        self,
        stream: str,
        record: dict[str, Any],
        version: int | None,
        time_extracted: dt.datetime,
    ) -> None:
        """Buffer a RECORD without building a `RecordMessage` (the same line, made faster).

        Args:
            stream: the stream name (after stream maps).
            record: the record.
            version: the table version, if any.
            time_extracted: when the record was read (aware, UTC).
        """
        self.write_records(stream, (record,), version, time_extracted)

    def write_records(
        self,
        stream: str,
        records: Iterable[Any],
        version: int | None,
        time_extracted: dt.datetime,
    ) -> None:
        """Buffer one RECORD line per record, all read at `time_extracted`.

        Each line is the one `MsgSpecWriter` writes for a `RecordMessage` (the same keys in the
        same order); only the record is encoded per line, the parts around it once per call.

        Args:
            stream: the stream name (after stream maps).
            records: the records (dicts, or anything msgspec encodes as a JSON object).
            version: the table version, if any.
            time_extracted: when the records were read (aware, UTC).
        """
        prefix = self._prefixes.get(stream)
        if prefix is None:
            prefix = self._prefixes[stream] = _record_prefix(stream)
        tail: dict[str, Any] = {"time_extracted": time_extracted}
        if version is not None:
            tail = {"version": version, **tail}
        # `{"version":7,"time_extracted":"…"}` becomes `,"version":7,"time_extracted":"…"}\n`.
        suffix = b"," + encoder.encode(tail)[1:] + b"\n"
        pending = self._pending
        encode_into = encoder.encode_into
        for record in records:
            pending += prefix
            encode_into(record, pending, -1)
            pending += suffix
            if len(pending) >= FLUSH_BYTES:
                self.flush()

    def flush(self) -> None:
        """Write the buffered lines to stdout and flush it."""
        if self._pending:
            # Text written through sys.stdout itself must not overtake these lines.
            sys.stdout.flush()
            _write_all(sys.stdout.buffer, self._pending)
            self._pending.clear()
        sys.stdout.flush()


def _record_prefix(stream: str) -> bytes:
    """The start of a RECORD line of `stream`, up to the record itself."""
    head = encoder.encode({"type": "RECORD", "stream": stream})
    return head[:-1] + b',"record":'


def _write_all(out: Any, data: bytes | bytearray) -> None:
    """Write all of `data`: an unbuffered stdout (PYTHONUNBUFFERED) may take part of it only.

    The buffer is written from a view of it, not from a copy (a megabyte per block).
    """
    with memoryview(data) as whole:
        view = whole
        while view:
            view = view[out.write(view) or 0 :]
        view.release()


def enlarge_pipe(stream: Any, size: int) -> None:
    """Ask for a pipe buffer of `size` bytes when `stream` is a smaller pipe (Linux only).

    A failure (another system, a size above the system's limit, no file descriptor) leaves the
    pipe as it is: a larger pipe only saves wake-ups.

    Args:
        stream: a file object, normally `sys.stdout`.
        size: the wanted size in bytes.
    """
    if fcntl is None or _F_SETPIPE_SZ is None or _F_GETPIPE_SZ is None:
        return
    with contextlib.suppress(AttributeError, ValueError, OverflowError, OSError):
        fd = stream.fileno()
        if stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, _F_GETPIPE_SZ) < size:
            fcntl.fcntl(fd, _F_SETPIPE_SZ, size)
