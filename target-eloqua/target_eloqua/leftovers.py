"""Import definitions left by earlier runs of a stream: how they are named, found and removed.

A run that was killed leaves its import definition behind, possibly with a sync still pending
or active on it. If that sync completed after a later run had written newer values, it would
overwrite them with older ones. So before a stream's first upload, the stream's leftover
definitions on the custom object are deleted; deleting a definition stops a sync still pending
or active on it (ELQ-00143), so it can never land.

Definition names carry a stable, stream-specific prefix, `target-eloqua <digest> `, where
`<digest>` is the first 12 hex digits of the SHA-256 of the stream name; the creation time and
the stream name follow, for people reading the list in Eloqua. The prefix identifies the
stream exactly (also when the name is cut at Eloqua's 100 characters), so definitions of other
streams, of other pipelines and of other tools on the same custom object are never touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Collection

from target_eloqua.bulk import BulkClient
from target_eloqua.errors import ApiError

LOGGER = logging.getLogger("target_eloqua.leftovers")

NAME_LIMIT = 100  # Eloqua's limit on a definition's name (eloqua-api.md §3.1)
_STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
# Names given before the prefix existed: "target-eloqua <stream> <stamp>".
_LEGACY = re.compile(rf"target-eloqua (?P<stream>.*) {_STAMP}", re.DOTALL)


def stream_prefix(stream: str) -> str:
    """The name prefix of every import definition of `stream`.

    Args:
        stream: the stream name.

    Returns:
        `target-eloqua <digest> `.
    """
    digest = hashlib.sha256(stream.encode()).hexdigest()[:12]
    return f"target-eloqua {digest} "


def definition_name(stream: str, now: dt.datetime | None = None) -> str:
    """The name of a new import definition of `stream`.

    Args:
        stream: the stream name.
        now: the creation time (UTC; the current time when None).

    Returns:
        The name, at most 100 characters.
    """
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{stream_prefix(stream)}{stamp} {stream}"[:NAME_LIMIT]


def is_stream_definition(name: str, stream: str) -> bool:
    """Whether a definition of this name was created by target-eloqua for `stream`.

    Args:
        name: the definition's name.
        stream: the stream name.

    Returns:
        Whether it belongs to the stream.
    """
    if name.startswith(stream_prefix(stream)):
        return True
    legacy = _LEGACY.fullmatch(name)
    return legacy is not None and legacy.group("stream") == stream


def clear_leftovers(
    client: BulkClient, object_id: int, stream: str, keep: Collection[str] = ()
) -> list[str]:
    """Delete the stream's import definitions left on the custom object by earlier runs.

    Args:
        client: the Bulk client.
        object_id: the custom object's id.
        stream: the stream name.
        keep: definition URIs of this run, never deleted.

    Returns:
        The URIs deleted.
    """
    deleted: list[str] = []
    for uri, name in client.imports(object_id):
        if uri in keep or not is_stream_definition(name, stream):
            continue
        try:
            client.delete_import(uri)
        except ApiError as exc:
            LOGGER.warning(
                "Stream '%s': could not delete the import definition %s (%r) left by an "
                "earlier run (%s); a sync still pending on it could land older values",
                stream, uri, name, exc,
            )  # fmt: skip
            continue
        LOGGER.warning(
            "Stream '%s': deleted the import definition %s (%r) left by an earlier run, "
            "stopping any sync still pending on it (its rows are sent again by this run)",
            stream, uri, name,
        )  # fmt: skip
        deleted.append(uri)
    return deleted
