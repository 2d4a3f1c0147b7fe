"""The reject log: one JSON line per rejected row, Eloqua's or our own."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import msgspec

_ENCODER = msgspec.json.Encoder(decimal_format="number")


@dataclass(frozen=True)
class Reject:
    """One rejected row.

    Attributes:
        stream: the Singer stream.
        values: the row's mapped values (column key → value).
        invalid_fields: the columns at fault.
        code: Eloqua's status code (ELQ-…) or ours (TARGET-…).
        message: why.
        source: "eloqua" or "target".
    """

    stream: str
    values: dict[str, Any]
    invalid_fields: list[str]
    code: str
    message: str
    source: str

    def as_json(self, dry_run: bool) -> bytes:
        """The JSON line (without the newline).

        Args:
            dry_run: mark the line as coming from a dry run.

        Returns:
            The encoded line.
        """
        line: dict[str, Any] = {
            "stream": self.stream,
            "values": self.values,
            "invalid_fields": self.invalid_fields,
            "code": self.code,
            "message": self.message,
            "source": self.source,
        }
        if dry_run:
            line["dry_run"] = True
        return _ENCODER.encode(line)


@dataclass
class RejectLog:
    """Appends rejects to `reject_file` (when set); thread-safe, opened on first use."""

    path: str | None
    dry_run: bool = False
    _file: IO[bytes] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def write(self, reject: Reject) -> None:
        """Append one reject.

        Args:
            reject: the reject.
        """
        if not self.path:
            return
        with self._lock:
            if self._file is None:
                target = Path(self.path).expanduser()
                target.parent.mkdir(parents=True, exist_ok=True)
                self._file = target.open("ab")
            self._file.write(reject.as_json(self.dry_run) + b"\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
