"""`make demo`: start the sandbox, run `meltano run tap-domo target-eloqua` twice, show what landed.

1. start both emulators with the demo seed (an "Event Registrations" DataSet, 3 loads, and a
   matching Eloqua custom object);
2. run the pipeline and show the custom object's content;
3. append a new Domo load (new registrants and changes to existing ones);
4. run again: only the new load is read and written, and its records are created or updated;
5. stop the sandbox.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from sandbox.cli import DEFAULT_DOMO_PORT, DEFAULT_ELOQUA_PORT
from sandbox.domo.client import DomoControl
from sandbox.domo.seed import DEMO_DATASET_ID, append_demo_load
from sandbox.eloqua.client import EloquaControl

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STATE_ID = "sandbox:tap-domo-to-target-eloqua"
DOMO_URL = f"http://127.0.0.1:{DEFAULT_DOMO_PORT}"
ELOQUA_URL = f"http://127.0.0.1:{DEFAULT_ELOQUA_PORT}"
SHOWN_FIELDS = ("Email_Address", "First_Name", "Last_Name", "Number_of_Tickets", "Amount")


def say(text: str) -> None:
    """Print a step heading."""
    print(f"\n\033[1m==> {text}\033[0m", flush=True)


def meltano(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run meltano in the project, its output going straight to the terminal."""
    env = {**os.environ, "MELTANO_ENVIRONMENT": "sandbox", "NO_COLOR": "1"}
    return subprocess.run([str(BIN / "meltano"), *args], cwd=ROOT, env=env, check=check)


def _port_free(url: str) -> bool:
    try:
        requests.get(f"{url}/_sandbox/faults", timeout=1)
    except requests.ConnectionError:
        return True
    return False


@contextmanager
def running_sandbox() -> Iterator[None]:
    """Run `sandbox serve --seed demo` in the background for the duration of the demo."""
    for url in (DOMO_URL, ELOQUA_URL):
        if not _port_free(url):
            sys.exit(f"demo: {url} is already in use; stop whatever listens there and retry.")
    process = subprocess.Popen(
        [str(BIN / "sandbox"), "serve", "--seed", "demo"], stdout=subprocess.PIPE, text=True
    )
    if process.stdout is None:
        sys.exit("demo: could not read the sandbox's output.")
    for line in process.stdout:
        print(f"   sandbox | {line.rstrip()}", flush=True)
        if line.strip() == "ready":
            break
    else:
        sys.exit("demo: the sandbox did not start (see its output above).")
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def show_custom_object(eloqua: EloquaControl, custom_object_id: int) -> int:
    """Print the record count and a few records; return the count."""
    records = eloqua.records(custom_object_id)
    linked = sum(1 for r in records if r.get("contactId"))
    print(
        f"   custom object {custom_object_id} holds {len(records)} records "
        f"({linked} linked to a contact)"
    )
    columns = list(zip(SHOWN_FIELDS, (32, 14, 14, 8, 10), strict=True))
    print("   " + " ".join(name.replace("_", " ")[:w].ljust(w) for name, w in columns))
    for record in records[:5]:
        print("   " + " ".join(str(_field(record, n) or "")[:w].ljust(w) for n, w in columns))
    return len(records)


def _field(record: dict[str, Any], prefix: str) -> object:
    for key, value in record["fields"].items():
        if key.startswith(prefix):
            return value
    return None


def _by_email(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(_field(r, "Email_Address")): r["fields"] for r in records}


def _label(internal_name: str) -> str:
    return internal_name.rstrip("0123456789").replace("_", " ")


def show_updates(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> None:
    """Print a few records run 2 updated, with the values that changed."""
    changed = [email for email in after if email in before and after[email] != before[email]]
    print(f"   {len(changed)} existing records were updated by run 2, for example:")
    for email in changed[:3]:
        diffs = [
            f"{_label(name)}: {before[email].get(name)!r} -> {value!r}"
            for name, value in after[email].items()
            if before[email].get(name) != value
        ]
        print(f"     {email}: " + "; ".join(diffs))


def show_last_syncs(eloqua: EloquaControl, since: int) -> None:
    """Print the created/updated counts of the syncs after the first `since`."""
    for sync in eloqua.syncs()[since:]:
        print(
            f"   sync {sync['uri']}: {sync['status']}, created {sync['created']}, "
            f"updated {sync['updated']}, rejected {sync['rejected']}, "
            f"linked to contacts {sync['linked']}"
        )


def main() -> int:
    """Run the demo."""
    (ROOT / "output").mkdir(exist_ok=True)
    say("Installing the plugins into Meltano (first time only takes a while)")
    meltano("install")
    with running_sandbox():
        domo, eloqua = DomoControl(DOMO_URL), EloquaControl(ELOQUA_URL)
        custom_object_id = next(
            int(co["id"]) for co in eloqua.custom_objects() if co["name"] == "Event Registrations"
        )
        say("Forgetting any state of an earlier demo, so this one starts from the first load")
        meltano("state", "clear", "--force", STATE_ID, check=False)
        say("Run 1: meltano run tap-domo target-eloqua (all 3 loads of the DataSet)")
        started = time.monotonic()
        meltano("run", "tap-domo", "target-eloqua")
        print(f"   took {time.monotonic() - started:.1f} s")
        say("What landed in Eloqua")
        before = show_custom_object(eloqua, custom_object_id)
        show_last_syncs(eloqua, 0)
        syncs_so_far = len(eloqua.syncs())
        say("Meltano's state: the last complete _BATCH_ID_")
        meltano("state", "get", STATE_ID)
        say("A new load lands in Domo")
        batch_id = append_demo_load(domo, DEMO_DATASET_ID)
        print(f"   appended load _BATCH_ID_ = {batch_id}")
        snapshot = _by_email(eloqua.records(custom_object_id))
        say("Run 2: only the new load is read and written")
        meltano("run", "tap-domo", "target-eloqua")
        after = show_custom_object(eloqua, custom_object_id)
        show_last_syncs(eloqua, syncs_so_far)
        print(f"   records before {before}, after {after}: {after - before} created by run 2")
        show_updates(snapshot, _by_email(eloqua.records(custom_object_id)))
        meltano("state", "get", STATE_ID)
    say("Done. The sandbox is stopped; `make demo` can be run again.")
    return 0


if __name__ == "__main__":
    if shutil.which("meltano", path=str(BIN)) is None:
        sys.exit("demo: meltano is missing from the venv; run `make setup`.")
    sys.exit(main())
