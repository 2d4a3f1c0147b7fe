"""Deterministic data: the demo "Event Registrations" DataSet and the benchmark row generator."""

# ruff: noqa: S311 - seeded, reproducible data; nothing here is a secret.
from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.domo.client import DomoControl

DEMO_DATASET_ID = "a1b2c3d4-0000-4000-8000-00000000e7e7"
DEMO_NAME = "Event Registrations"
DEMO_COLUMNS: list[tuple[str, str]] = [
    ("Email", "STRING"),
    ("First Name", "STRING"),
    ("Last Name", "STRING"),
    ("Company", "STRING"),
    ("Numbers", "LONG"),
    ("Amount", "DECIMAL"),
    ("Event Date", "DATE"),
    ("Registration Time", "DATETIME"),
]

#: The benchmark DataSet's columns (batch columns excluded): ten, of every Domo type.
BENCH_COLUMNS: list[tuple[str, str]] = [
    ("Id", "LONG"),
    ("Email", "STRING"),
    ("First Name", "STRING"),
    ("Last Name", "STRING"),
    ("Company", "STRING"),
    ("Score", "DOUBLE"),
    ("Amount", "DECIMAL"),
    ("Quantity", "LONG"),
    ("Signup Date", "DATE"),
    ("Last Seen", "DATETIME"),
]

_FIRST = [
    "Ada", "Grace", "Alan", "Zoë", "José", "Li", "Amara", "Sven", "Noor", "Élodie", "Kofi",
    "Mei", "Ravi", "Ingrid", "Tomás", "Aiko",
]  # fmt: skip
_LAST = [
    "Lovelace", "Hopper", "Turing", "O'Brien", "Müller", "García", "Nakamura", "Okafor",
    "Smith, Jr.", "Dubois", "Kowalski", "Nguyen", "Haddad", "Johansson", "Silva", "Chen",
]  # fmt: skip
_COMPANIES = [
    "Acme Corp", "Globex", 'The "Best" Widgets', "Initech, Inc.", "Umbrella", "Soylent",
    "Hooli", "Vandelay Industries", None, "Stark Industries", "Wayne Enterprises", "Cyberdyne",
    "Tyrell Corp", "Wonka Industries", "Aperture Science", "Black Mesa",
]  # fmt: skip
_DOMAINS = ["example.com", "example.org", "example.net", "mail.example"]
_EVENTS = ["2024-06-12", "2024-09-18", "2024-11-05"]


def _slug(text: str) -> str:
    ascii_text = text.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "", ascii_text)


def _pools() -> tuple[list[str], list[str]]:
    start = dt.date(2023, 1, 1)
    dates = [(start + dt.timedelta(days=d)).isoformat() for d in range(256)]
    moment = dt.datetime(2024, 1, 1)
    stamps = [(moment + dt.timedelta(minutes=37 * k)).isoformat() for k in range(4096)]
    return dates, stamps


def bench_tuples(n: int, *, seed: int) -> Iterator[tuple[Any, ...]]:
    """`n` benchmark rows in the emulator's stored form (DECIMAL as exact text).

    One 64-bit random draw per row keeps generation cheap enough for millions of rows.
    """
    rnd = random.Random(seed)
    dates, stamps = _pools()
    firsts, lasts = _FIRST, _LAST
    slugs = [(_slug(f), _slug(last)) for f in firsts for last in lasts]
    for i in range(n):
        r = rnd.getrandbits(64)
        fi, li = r & 15, (r >> 4) & 15
        first_slug, last_slug = slugs[fi * 16 + li]
        cents = (r >> 30) & 0xFFFFF
        yield (
            i + 1,
            f"{first_slug}.{last_slug}.{i + 1}@{_DOMAINS[(r >> 8) & 3]}",
            firsts[fi],
            lasts[li],
            _COMPANIES[(r >> 10) & 15],
            ((r >> 14) & 0xFFFF) / 64.0,
            f"{cents // 100}.{cents % 100:02d}",
            (r >> 50) & 63,
            dates[(r >> 56) & 255],
            stamps[(r >> 20) & 4095],
        )


def bench_rows(n: int, *, seed: int) -> Iterator[list[Any]]:
    """`n` benchmark rows as `create_dataset` takes them (DECIMAL as `Decimal`)."""
    for row in bench_tuples(n, seed=seed):
        values = list(row)
        values[6] = Decimal(values[6])
        yield values


# ---- the demo DataSet -------------------------------------------------------------------------


def _registrant(rnd: random.Random, serial: int) -> dict[str, Any]:
    first, last = rnd.choice(_FIRST), rnd.choice(_LAST)
    email = f"{_slug(first)}.{_slug(last)}{serial}@{rnd.choice(_DOMAINS)}"
    return {"Email": email, "First Name": first, "Last Name": last, **_registration(rnd)}


def _registration(rnd: random.Random) -> dict[str, Any]:
    event = rnd.choice(_EVENTS)
    event_day = dt.date.fromisoformat(event)
    registered = dt.datetime(event_day.year, event_day.month, event_day.day, 9) - dt.timedelta(
        minutes=rnd.randrange(60 * 24 * 90)
    )
    tickets = rnd.randint(1, 6)
    return {
        "Company": rnd.choice(_COMPANIES),
        "Numbers": None if rnd.random() < 0.02 else tickets,
        "Amount": (Decimal(rnd.choice(("49.00", "99.50", "149.99"))) * tickets).quantize(
            Decimal("0.01")
        ),
        "Event Date": event,
        "Registration Time": registered.isoformat(),
    }


def _demo_load(
    rnd: random.Random, existing: list[str], size: int, first_serial: int
) -> list[dict[str, Any]]:
    """A load: about a quarter re-registrations of earlier emails, the rest new people."""
    updates = min(len(existing), size // 4)
    rows = []
    for email in rnd.sample(existing, updates):
        row = _registrant(rnd, 0)
        row.update(_registration(rnd), Email=email)
        rows.append(row)
    rows += [_registrant(rnd, first_serial + k) for k in range(size - updates)]
    return rows


def seed_demo(
    control: DomoControl, *, loads: int = 3, rows_per_load: int = 1000, seed: int = 7
) -> str:
    """Create the demo DataSet (id `DEMO_DATASET_ID`) with `loads` loads; returns its id.

    Later loads update earlier registrants (same Email, new values) and add new ones.
    """
    dataset_id = control.create_dataset(DEMO_NAME, DEMO_COLUMNS, dataset_id=DEMO_DATASET_ID)
    for index, rows in enumerate(demo_loads(loads=loads, rows_per_load=rows_per_load, seed=seed)):
        control.append_load(dataset_id, rows, last_run=f"2024-05-0{index % 9 + 1}T02:00:00")
    return dataset_id


def demo_loads(
    *, loads: int = 3, rows_per_load: int = 1000, seed: int = 7
) -> list[list[dict[str, Any]]]:
    """The rows of each load `seed_demo` creates (so a lone Eloqua emulator can seed to match)."""
    rnd = random.Random(seed)
    emails: list[str] = []
    made = []
    for _ in range(loads):
        rows = _demo_load(rnd, emails, rows_per_load, len(emails) + 1)
        made.append(rows)
        emails = sorted({*emails, *(r["Email"] for r in rows)})
    return made


def append_demo_load(
    control: DomoControl, dataset_id: str, *, rows: int = 300, seed: int = 11
) -> int:
    """Add one more demo load (updates and new registrants); returns its `_BATCH_ID_`."""
    rnd = random.Random(seed)
    current = control.dataset_rows(dataset_id)
    emails = sorted({r["Email"] for r in current})
    load = _demo_load(rnd, emails, rows, len(current) + 1)
    return control.append_load(dataset_id, load)
