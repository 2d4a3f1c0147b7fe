"""What the command line refuses before the SDK sees it, and how a failure is printed."""

from __future__ import annotations

import gc
import json
import sys
import typing as t
from collections.abc import Iterable, Mapping
from pathlib import Path

from jsonschema.exceptions import ValidationError, best_match
from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR

from target_eloqua.reader import input_position
from target_eloqua.redact import scrub

PREFIX = "target-eloqua: "


#: Container allocations between young-generation collections (CPython's default is 700).
GC_YOUNG_THRESHOLD = 20_000


def tune_gc() -> None:
    """Keep the cyclic garbage collector from rescanning what the imports left behind.

    Each record makes short-lived containers, so with CPython's defaults the collector runs
    hundreds of times per 100,000 records, and each full collection walks the ~250,000 objects
    the SDK's imports created, which live as long as the process. Freezing them moves them out
    of the collector's sight; a larger first-generation threshold makes young collections
    fewer (records hold no reference cycles, so nothing waits on them). For the process's own
    run only: `gc.freeze` acts on the whole interpreter.
    """
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def config_file_problem(paths: Iterable[str]) -> str | None:
    """Why a `--config` file cannot be read as an object of settings; None when all can.

    The SDK would end in a bare JSONDecodeError or TypeError traceback for these.

    Args:
        paths: the `--config` values (the special value ENV is skipped).

    Returns:
        The problem, naming the file and the fix, or None.
    """
    for path in paths:
        if path == "ENV":
            continue
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            return f"cannot read the config file {path}: {exc.strerror}"
        except UnicodeDecodeError:
            return f"the config file {path} is not UTF-8 text: it must hold one JSON object"
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:
            return (
                f"the config file {path} is not valid JSON ({exc}): it must hold one JSON "
                "object of settings"
            )
        if not isinstance(data, dict):
            return (
                f"the config file {path} holds a JSON {type(data).__name__}, not an object of "
                'settings such as {"company": "...", "username": "...", "password": "..."}'
            )
    return None


def _refuse_constant(name: str) -> t.NoReturn:
    msg = f"{name} is not a JSON value"
    raise ValueError(msg)


def schema_problem(config: Mapping[str, t.Any], schema: Mapping[str, t.Any]) -> str | None:
    """The most relevant way `config` breaks the config JSON schema, naming the setting.

    Runs before the SDK's own check, whose default filling fails with an AttributeError on an
    object setting of another type (e.g. `map_to_contacts` given as a string).

    Args:
        config: the merged config.
        schema: the config JSON schema.

    Returns:
        The problem, or None.
    """
    validator = DEFAULT_JSONSCHEMA_VALIDATOR(schema)
    error = best_match(validator.iter_errors(dict(config)))
    if error is None:
        return None
    return _describe(error, schema)


def _describe(error: ValidationError, schema: Mapping[str, t.Any]) -> str:
    path = list(error.absolute_path)
    if not path:
        return str(error.message)  # e.g. "'password' is a required property"
    setting = str(path[0]) + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in path[1:]
    )
    top = schema.get("properties", {}).get(str(path[0]), {})
    if top.get("secret") or top.get("writeOnly"):
        return f"setting {setting!r} must be a {_expected(error)} (value not shown: a secret)"
    return f"setting {setting!r}: {error.message!s}"


def _expected(error: ValidationError) -> str:
    if error.validator == "type":
        kinds = error.validator_value
        return " or ".join(kinds) if isinstance(kinds, list) else str(kinds)
    return f"value allowed by `{error.validator}`"


def input_problem(exc: BaseException) -> str:
    """One line saying which Singer input line (and stream) was refused, and why.

    Args:
        exc: what reading or handling the input raised.

    Returns:
        The message.
    """
    line, stream = input_position(exc)
    where = f"Singer input line {line}" if line else "Singer input"
    if stream:
        where += f" (stream '{stream}')"
    return f"{where}: {' '.join(str(exc).split())}"


def fail(message: str) -> t.NoReturn:
    """Print `target-eloqua: <message>` (secrets masked) as the last stderr line; exit 1.

    Args:
        message: what went wrong and the fix.
    """
    sys.stdout.flush()
    sys.stderr.write(f"{PREFIX}{scrub(message)}\n")
    sys.stderr.flush()
    sys.exit(1)
