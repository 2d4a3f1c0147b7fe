"""The peer: what a typical singer-sdk pair costs, all SDK defaults, on the same records.

`python -m bench.peer tap FILE` is a minimal SDK tap whose one stream yields the records of a
captured tap output (with its schema); `python -m bench.peer target` is a minimal SDK target whose
BatchSink does nothing with its batches (validation on, default reader, default batch size).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.sinks import BatchSink
from singer_sdk.target_base import Target


def _captured(path: str) -> tuple[dict[str, Any], Iterable[dict[str, Any]]]:
    with open(path, encoding="utf-8") as source:
        for line in source:
            message = json.loads(line)
            if message["type"] == "SCHEMA":
                schema = message["schema"]
                break
        else:
            raise SystemExit("no SCHEMA in the captured file")

    def records() -> Iterable[dict[str, Any]]:
        with open(path, encoding="utf-8") as source:
            for line in source:
                message = json.loads(line, parse_float=Decimal)
                if message["type"] == "RECORD":
                    yield message["record"]

    return schema, records()


class PeerStream(Stream):
    """One stream replaying captured records."""

    name = "bench"

    def __init__(self, tap: Tap, schema: dict[str, Any], rows: Iterable[dict[str, Any]]) -> None:
        """Keep the rows to yield."""
        super().__init__(tap, schema=schema, name="bench")
        self._rows = rows

    def get_records(self, context: dict[str, Any] | None) -> Iterable[dict[str, Any]]:
        """Yield the captured records."""
        yield from self._rows


class PeerTap(Tap):
    """A minimal SDK tap, defaults everywhere."""

    name = "peer-tap"
    config_jsonschema = th.PropertiesList(th.Property("path", th.StringType)).to_dict()

    def discover_streams(self) -> list[Stream]:
        """The one replaying stream."""
        schema, rows = _captured(self.config["path"])
        return [PeerStream(self, schema, rows)]


class NullSink(BatchSink):
    """Receives batches and drops them."""

    def process_batch(self, context: dict[str, Any]) -> None:
        """Do nothing with the batch."""


class PeerTarget(Target):
    """A minimal SDK target, defaults everywhere."""

    name = "peer-target"
    config_jsonschema = th.PropertiesList().to_dict()
    default_sink_class = NullSink


if __name__ == "__main__":
    if sys.argv[1] == "tap":
        PeerTap(config={"path": sys.argv[2]}).sync_all()
    else:
        PeerTarget(config={}).listen()
