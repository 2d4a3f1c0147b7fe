"""Seed data: the demo's custom object and contacts, and the benchmark's custom object."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sandbox.eloqua.client import EloquaControl

DEMO_OBJECT = "Event Registrations"
DEMO_FIELDS: list[dict[str, Any]] = [
    {"name": "Email Address", "dataType": "emailAddress", "unique": True},
    {"name": "First Name", "dataType": "text"},
    {"name": "Last Name", "dataType": "text"},
    {"name": "Company", "dataType": "text"},
    {"name": "Number of Tickets", "dataType": "number"},
    {"name": "Amount", "dataType": "numeric"},
    {"name": "Event Date", "dataType": "date"},
    {"name": "Registered At", "dataType": "date"},
]
#: Contacts whose e-mails some demo rows carry, so `map_to_contacts` links them.
DEMO_CONTACTS: list[dict[str, str]] = [
    {"email": "ada.lovelace@example.com", "C_FirstName": "Ada", "C_LastName": "Lovelace"},
    {"email": "alan.turing@example.com", "C_FirstName": "Alan", "C_LastName": "Turing"},
    {"email": "grace.hopper@example.com", "C_FirstName": "Grace", "C_LastName": "Hopper"},
]

BENCH_OBJECT = "Benchmark Rows"
#: The benchmark custom object: `id` (unique) and `Field 1`…`Field 9`, in DataSet column order.
BENCH_FIELDS: list[dict[str, Any]] = [
    {"name": "id", "dataType": "text", "unique": True},
    {"name": "Field 1", "dataType": "text"},
    {"name": "Field 2", "dataType": "text"},
    {"name": "Field 3", "dataType": "number"},
    {"name": "Field 4", "dataType": "numeric"},
    {"name": "Field 5", "dataType": "date"},
    {"name": "Field 6", "dataType": "date"},
    {"name": "Field 7", "dataType": "emailAddress"},
    {"name": "Field 8", "dataType": "text"},
    {"name": "Field 9", "dataType": "number"},
]


def seed_demo(control: EloquaControl, contact_emails: Sequence[str] = ()) -> int:
    """Create the demo's "Event Registrations" custom object and contacts; return the object id.

    Args:
        control: the emulator to seed.
        contact_emails: extra contacts to create, e.g. a few e-mails of the Domo demo DataSet,
            so that `map_to_contacts` links those registrations.
    """
    for contact in DEMO_CONTACTS:
        fields = {key: value for key, value in contact.items() if key != "email"}
        control.add_contact(contact["email"], **fields)
    for email in contact_emails:
        control.add_contact(email)
    return control.create_custom_object(DEMO_OBJECT, DEMO_FIELDS)


def seed_bench(control: EloquaControl) -> int:
    """Create the benchmark's custom object (see `BENCH_FIELDS`); return its id."""
    return control.create_custom_object(BENCH_OBJECT, BENCH_FIELDS)
