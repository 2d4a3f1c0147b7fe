"""List envelopes and query parameters: Bulk (`limit/offset/q`) and REST (`count/page`)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.eloqua.errors import ValidationFailed, failure

MAX_PAGE = 1000
_TERM = re.compile(r"""\s*(\w+)\s*=\s*(?:'([^']*)'|"([^"]*)"|(\S*))\s*""")


class BadParameter(ValueError):
    """A query parameter outside its documented range."""

    def __init__(self, name: str, value: str, requirement: str) -> None:
        """Name the parameter, its value and what it must be."""
        self.name = name
        self.value = value
        self.requirement = requirement
        super().__init__(f"{name}={value}: {requirement}")


def int_param(args: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    """An integer query parameter within [low, high].

    Raises:
        BadParameter: when it is not an integer or out of range.
    """
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(name, raw, "IntegerRequirement") from None
    if value < low or (high is not None and value > high):
        raise BadParameter(name, raw, f"Must be between {low} and {high or 'infinity'}.")
    return value


def name_filter(expression: str | None, key: str) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for `q`/`search` terms like `name='Orders*'` (`*` is a wildcard).

    Raises:
        BadParameter: for an expression this emulator does not understand.
    """
    if not expression:
        return lambda item: True
    text = expression.strip()
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1]
    match = _TERM.fullmatch(text)
    if match is None:
        raise BadParameter(key, expression, "Must look like name='value' (* is a wildcard).")
    field = match.group(1)
    pattern = next(g for g in match.groups()[1:] if g is not None)
    return lambda item: fnmatch.fnmatchcase(str(item.get(field, "")), pattern)


def bulk_page(args: Mapping[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    """The Bulk list envelope over `items` (§7): `q`, `limit` 1-1000, `offset`, `totalResults`.

    Raises:
        ValidationFailed: for a bad paging parameter or `q`.
    """
    try:
        limit = int_param(args, "limit", MAX_PAGE, 1, MAX_PAGE)
        offset = int_param(args, "offset", 0, 0, None)
        keep = name_filter(args.get("q"), "q")
    except BadParameter as exc:
        raise ValidationFailed([failure(exc.name, exc.value, exc.requirement)]) from None
    matching = [item for item in items if keep(item)]
    page = matching[offset : offset + limit]
    envelope: dict[str, Any] = {
        "items": page,
        "totalResults": len(matching),
        "limit": limit,
        "offset": offset,
        "count": len(page),
        "hasMore": offset + len(page) < len(matching),
    }
    if args.get("totalResults", "").lower() == "false":
        del envelope["totalResults"]
    return envelope


def rest_window(args: Mapping[str, str]) -> tuple[int, int]:
    """REST paging (`count` 1-1000, default 1000; `page` ≥ 1): (page, count).

    Raises:
        BadParameter: for values outside those ranges.
    """
    return int_param(args, "page", 1, 1, None), int_param(args, "count", MAX_PAGE, 1, MAX_PAGE)


def rest_envelope(elements: list[dict[str, Any]], page: int, count: int) -> dict[str, Any]:
    """The REST envelope (`elements/page/pageSize/total`) of one page of `elements`."""
    start = (page - 1) * count
    return {
        "elements": elements[start : start + count],
        "page": page,
        "pageSize": count,
        "total": len(elements),
    }
