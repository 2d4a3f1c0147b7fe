"""Command-line entry point: user-facing failures end as one line on stderr and exit code 1."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tap_domo.errors import SettingsError, TapDomoError
from tap_domo.redact import scrub
from tap_domo.tap import TapDomo

#: Container allocations between young-generation collections (CPython's default is 700).
GC_YOUNG_THRESHOLD = 20_000


def config_paths(argv: Sequence[str]) -> list[str]:
    """The files given with `--config` (not the special value ENV)."""
    paths = []
    for index, arg in enumerate(argv):
        if arg == "--config" and index + 1 < len(argv):
            paths.append(argv[index + 1])
        elif arg.startswith("--config="):
            paths.append(arg.split("=", 1)[1])
    return [p for p in paths if p != "ENV"]


def _no_constant(name: str) -> object:
    """NaN and Infinity are not JSON (Python's parser accepts them; the SDK's does not)."""
    raise ValueError(f"{name} is not a JSON value")


def check_config_files(argv: Sequence[str]) -> None:
    """Refuse a config file that is unreadable, not JSON, or not a JSON object.

    The SDK would raise a bare JSONDecodeError or TypeError for these; the user needs the file
    and the fix.

    Raises:
        SettingsError: naming the file and what is wrong with it.
    """
    for path in config_paths(argv):
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=_no_constant)
        except OSError as exc:
            raise SettingsError(f"cannot read the config file {path}: {exc.strerror}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise SettingsError(
                f"the config file {path} is not valid JSON ({exc}): it must hold one JSON "
                "object of settings"
            ) from None
        if not isinstance(data, dict):
            raise SettingsError(
                f"the config file {path} holds a JSON {type(data).__name__}, not an object of "
                'settings such as {"client_id": "...", "client_secret": "...", "datasets": [...]}'
            )


def tune_gc() -> None:
    """Keep the cyclic garbage collector from rescanning what the imports left behind.

    Every row makes short-lived containers (a list from the CSV reader, a dict per record), so
    the collector runs hundreds of times per 100,000 rows, and each full collection walks the
    ~250,000 objects the SDK's imports created, which live as long as the process. Freezing
    them moves them out of the collector's sight; a larger first-generation threshold makes the
    young collections fewer (records hold no reference cycles, so nothing waits on them).
    """
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def main() -> None:
    """Run the tap's CLI; a `TapDomoError` prints ``tap-domo: <message>`` and exits 1."""
    tune_gc()
    try:
        check_config_files(sys.argv[1:])
        TapDomo.cli()
    except TapDomoError as exc:
        sys.stdout.flush()
        sys.stderr.flush()
        print(f"tap-domo: {scrub(str(exc))}", file=sys.stderr)
        sys.exit(1)
