"""`sandbox serve`: run both emulators (or one) on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from sandbox.core.server import ServerThread
from sandbox.domo.app import DomoApp
from sandbox.domo.client import DomoControl
from sandbox.domo.seed import demo_loads
from sandbox.domo.seed import seed_demo as seed_domo
from sandbox.eloqua.app import EloquaApp
from sandbox.eloqua.client import EloquaControl
from sandbox.eloqua.seed import seed_demo as seed_eloqua
from sandbox.eloqua.uploads import allow_gc_freeze

DEFAULT_DOMO_PORT = 8301
DEFAULT_ELOQUA_PORT = 8302


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the Domo and Eloqua emulators")
    serve.add_argument("--host", default="127.0.0.1", help="interface (loopback by default)")
    serve.add_argument("--domo-port", type=int, default=DEFAULT_DOMO_PORT, help="0 = any free")
    serve.add_argument("--eloqua-port", type=int, default=DEFAULT_ELOQUA_PORT, help="0 = any free")
    serve.add_argument(
        "--seed", choices=["demo", "none"], default="demo", help="data to start with"
    )
    serve.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )
    serve.add_argument(
        "--only",
        choices=["domo", "eloqua"],
        help="serve one API only, e.g. to run each in a process of its own (default: both)",
    )
    serve.add_argument(
        "--background-syncs",
        action="store_true",
        help="Eloqua applies each sync on a worker thread once created (setting background_syncs)",
    )
    return parser


def _demo_contact_emails() -> list[str]:
    """A tenth of the demo registrants' e-mails, so `map_to_contacts` links some records."""
    emails = sorted({str(row["Email"]) for load in demo_loads() for row in load if row["Email"]})
    return emails[::10]


def _seed(domo: ServerThread | None, eloqua: ServerThread | None) -> None:
    """Seed the demo DataSet and custom object; a few registrants are also Eloqua contacts."""
    seeded = []
    if domo is not None:
        seeded.append(f"DataSet {seed_domo(DomoControl(domo.url))}")
    if eloqua is not None:
        control = EloquaControl(eloqua.url)
        custom_object_id = seed_eloqua(control, contact_emails=_demo_contact_emails())
        seeded.append(f"custom object {custom_object_id}")
    print(f"seeded {' and '.join(seeded)}", flush=True)


def serve(args: argparse.Namespace) -> int:
    """Start the emulators, seed them, and block until SIGINT/SIGTERM."""
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(message)s")
    allow_gc_freeze()  # this process is the sandbox's own
    domo = eloqua = None
    if args.only in (None, "domo"):
        domo = ServerThread(DomoApp(), host=args.host, port=args.domo_port).start()
        print(f"Domo emulator    {domo.url}   client {DomoControl.DEFAULT_CLIENT_ID}", flush=True)
    if args.only in (None, "eloqua"):
        settings = {"background_syncs": True} if args.background_syncs else {}
        app = EloquaApp(settings)
        eloqua = ServerThread(app, host=args.host, port=args.eloqua_port).start()
        print(
            f"Eloqua emulator  {eloqua.url}   login {EloquaControl.DEFAULT_COMPANY}\\"
            f"{EloquaControl.DEFAULT_USERNAME}",
            flush=True,
        )
    if args.seed == "demo":
        _seed(domo, eloqua)
    print("ready", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    for server in (domo, eloqua):
        if server is not None:
            server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sandbox` command."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
