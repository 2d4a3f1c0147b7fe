"""Command-line entry point: user-facing failures end as one line on stderr and exit code 1."""

from __future__ import annotations

import sys

from tap_domo.errors import TapDomoError
from tap_domo.tap import TapDomo


def main() -> None:
    """Run the tap's CLI; a `TapDomoError` prints ``tap-domo: <message>`` and exits 1."""
    try:
        TapDomo.cli()
    except TapDomoError as exc:
        sys.stderr.flush()
        print(f"tap-domo: {exc}", file=sys.stderr)
        sys.exit(1)
