"""Parsing of data POST bodies (eloqua-api.md §3.2): a JSON array of flat objects, or CSV."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from sandbox.eloqua.errors import PARSING_ERROR, EloquaError, failure
from sandbox.eloqua.imports import Upload

JSON = "application/json"
CSV = "text/csv"


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header (parameters such as charset dropped)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


class _GcFreeze:
    """Whether `paused_gc(long_lived=True)` may freeze the process's live objects."""

    allowed = False


def allow_gc_freeze() -> None:
    """Let applied syncs' records be frozen out of the cyclic GC (`gc.freeze`).

    `gc.freeze` acts on the whole process: only `sandbox serve`, which owns its process, calls
    this; an emulator running inside a test process leaves that process's collector alone.
    """
    _GcFreeze.allowed = True


@contextmanager
def paused_gc(*, long_lived: bool = False) -> Iterator[None]:
    """Hold the cyclic GC while building or applying millions of acyclic rows.

    Uploads and records hold no reference cycles (reference counting frees them), but their sheer
    number makes the collector rescan the whole store again and again; pausing it roughly halves
    the cost of a 20 MB upload or a 200k-row sync. `long_lived` says that what was built stays
    (a sync's records): the objects alive at the end are then left out of all later scans
    (`gc.freeze`), instead of being scanned at the next collection and again at every full one
    as the store grows, which costs about as much as applying the sync. The price is that any
    reference cycle already garbage at that moment is never reclaimed, a few objects at most.
    Only once `allow_gc_freeze` was called.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if long_lived and _GcFreeze.allowed:
            gc.freeze()
        if enabled:
            gc.enable()


def parse_upload(raw: bytes, content_type: str) -> Upload:
    """Parse one data POST body into staged rows.

    Rows that are not flat objects (JSON) or whose cell count differs from the header (CSV) are
    kept as they are and rejected as malformed when the sync runs.

    Raises:
        EloquaError: 400 for an unsupported type or a body that cannot be parsed.
    """
    kind = media_type(content_type)
    if kind == JSON:
        rows, keys = _parse_json(raw)
    elif kind in (CSV, "application/csv"):
        rows, keys = _parse_csv(raw)
    else:
        constraint = "Must be application/json or text/csv."
        raise EloquaError(400, PARSING_ERROR, [failure("Content-Type", content_type, constraint)])
    return Upload(rows=rows, keys=keys, bytes=len(raw), content_type=kind)


def _parse_json(raw: bytes) -> tuple[list[Any], set[str]]:
    try:
        rows = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EloquaError(400, PARSING_ERROR, [failure("body", "", str(exc))]) from exc
    if not isinstance(rows, list):
        constraint = "Must be a JSON array of objects."
        raise EloquaError(400, PARSING_ERROR, [failure("body", type(rows).__name__, constraint)])
    keys: set[str] = set()
    try:
        keys.update(*rows)
    except TypeError:
        # Some element is not an object: gather the keys of the objects only.
        for row in rows:
            if isinstance(row, dict):
                keys.update(row)
    return rows, keys


def _parse_csv(raw: bytes) -> tuple[list[Any], set[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        constraint = "Must be UTF-8."
        raise EloquaError(400, PARSING_ERROR, [failure("body", "", constraint)]) from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return [], set()
        width = len(header)
        rows: list[Any] = [
            dict(zip(header, cells, strict=True)) if len(cells) == width else cells
            for cells in reader
            if cells
        ]
    except csv.Error as exc:
        raise EloquaError(400, PARSING_ERROR, [failure("body", "", str(exc))]) from exc
    return rows, set(header)
