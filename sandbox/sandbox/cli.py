"""`sandbox serve`: run both emulators on 127.0.0.1 until interrupted."""

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
from sandbox.domo.seed import seed_demo as seed_domo
from sandbox.eloqua.app import EloquaApp
from sandbox.eloqua.client import EloquaControl
from sandbox.eloqua.seed import seed_demo as seed_eloqua

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
    return parser


def _seed_demo(domo: DomoControl, eloqua: EloquaControl) -> tuple[str, int]:
    """Seed the demo DataSet and custom object; a few registrants are also Eloqua contacts."""
    dataset_id = seed_domo(domo)
    emails = sorted({str(row["Email"]) for row in domo.dataset_rows(dataset_id) if row["Email"]})
    custom_object_id = seed_eloqua(eloqua, contact_emails=emails[::10])
    return dataset_id, custom_object_id


def serve(args: argparse.Namespace) -> int:
    """Start both emulators, seed them, and block until SIGINT/SIGTERM."""
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(message)s")
    domo = ServerThread(DomoApp(), host=args.host, port=args.domo_port).start()
    eloqua = ServerThread(EloquaApp(), host=args.host, port=args.eloqua_port).start()
    print(f"Domo emulator    {domo.url}   client {DomoControl.DEFAULT_CLIENT_ID}", flush=True)
    print(
        f"Eloqua emulator  {eloqua.url}   login {EloquaControl.DEFAULT_COMPANY}\\"
        f"{EloquaControl.DEFAULT_USERNAME}",
        flush=True,
    )
    if args.seed == "demo":
        dataset_id, custom_object_id = _seed_demo(DomoControl(domo.url), EloquaControl(eloqua.url))
        print(f"seeded DataSet {dataset_id} and custom object {custom_object_id}", flush=True)
    print("ready", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    domo.stop()
    eloqua.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sandbox` command."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
