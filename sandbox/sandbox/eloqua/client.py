"""Python client of the Eloqua emulator's control plane (for tests, the demo, the benchmark)."""

from __future__ import annotations

from typing import Any

from sandbox.control_client import ControlClient
from sandbox.eloqua import backend


class EloquaControl(ControlClient):
    """Seeds, switches and inspects one Eloqua emulator over HTTP."""

    DEFAULT_COMPANY = backend.DEFAULT_COMPANY
    DEFAULT_USERNAME = backend.DEFAULT_USERNAME
    DEFAULT_PASSWORD = backend.DEFAULT_PASSWORD
    DEFAULT_POD = backend.DEFAULT_POD

    @property
    def login_url(self) -> str:
        """Where `/id` lives: the server's root URL (the target's `login_url`)."""
        return self.url

    @property
    def base_url(self) -> str:
        """The current pod's base URL, e.g. `http://127.0.0.1:8302/pods/p03`."""
        return str(self._ctl("GET", "pod")["base_url"])

    @property
    def pod(self) -> str:
        """The current pod's name."""
        return str(self._ctl("GET", "pod")["pod"])

    def add_user(self, company: str, username: str, password: str) -> None:
        r"""Add an API user (Basic `company\username:password`)."""
        body = {"company": company, "username": username, "password": password}
        self._ctl("POST", "users", json=body)

    def create_custom_object(self, name: str, fields: list[dict[str, Any]]) -> int:
        """Create a custom object and return its id.

        Args:
            name: the custom object's name.
            fields: dicts with `name`, optional `internalName` (derived otherwise, e.g.
                `Email_Address1`), `dataType` (text | largeText | number | numeric | date |
                emailAddress), and booleans `readOnly`, `unique` (the unique-code field),
                `notNull`.
        """
        created = self._ctl("POST", "custom-objects", json={"name": name, "fields": fields})
        return int(created["id"])

    def custom_objects(self) -> list[dict[str, Any]]:
        """Every custom object with its fields (ids, internal names, statements)."""
        result: list[dict[str, Any]] = self._ctl("GET", "custom-objects")
        return result

    def delete_field(self, custom_object_id: int, field_name: str) -> None:
        """Delete a field (by display or internal name), e.g. to make a definition stale (20D)."""
        self._ctl("DELETE", f"custom-objects/{custom_object_id}/fields/{field_name}")

    def records(self, custom_object_id: int) -> list[dict[str, Any]]:
        """Records in creation order.

        Each is `{"id", "contactId", "fields": {internalName: str | None}, "createdAt",
        "updatedAt"}`.
        """
        result: list[dict[str, Any]] = self._ctl(
            "GET", f"custom-objects/{custom_object_id}/records"
        )
        return result

    def add_contact(self, email: str, **fields: str) -> int:
        """Add a contact (`C_EmailAddress` = email, plus other `C_…` fields); returns its id."""
        created = self._ctl("POST", "contacts", json={"email": email, "fields": fields})
        return int(created["id"])

    def sync_schedule(
        self,
        mode: str = "immediate",
        *,
        pending_polls: int = 0,
        active_polls: int = 0,
        seconds: float = 0.0,
    ) -> None:
        """How syncs created from now on advance: `immediate`, `polls` or `seconds`."""
        body = {
            "mode": mode,
            "pending_polls": pending_polls,
            "active_polls": active_polls,
            "seconds": seconds,
        }
        self._ctl("POST", "sync-schedule", json=body)

    def force_next_syncs(self, outcome: str, count: int = 1) -> None:
        """Force the next `count` syncs to end in `error` (no writes) or stay active (`never`)."""
        self._ctl("POST", "force-syncs", json={"outcome": outcome, "count": count})

    def settings(self, **kwargs: Any) -> dict[str, Any]:
        """Change switches, then return them all.

        Switches: `failure_status` (error|errored), `duplicate_identifiers`
        (last_wins|reject_all_but_first), `max_post_bytes`, `max_posts_per_sync`,
        `text_over_limit` (reject|truncate), `max_staged_bytes`, `background_syncs` (bool: a
        worker thread applies each sync once created, polls only report its status).
        """
        if kwargs:
            result: dict[str, Any] = self._ctl("POST", "settings", json=kwargs)
        else:
            result = self._ctl("GET", "settings")
        return result

    def move_pod(self, new_pod: str) -> str:
        """Move the site to `new_pod` (the old base then answers 401); returns the new base URL."""
        return str(self._ctl("POST", "pod", json={"pod": new_pod})["base_url"])

    def syncs(self) -> list[dict[str, Any]]:
        """Every sync: uri, status, syncedInstanceUri, uploads, rows, created/updated/rejected."""
        result: list[dict[str, Any]] = self._ctl("GET", "syncs")
        return result

    def import_definitions(self) -> list[dict[str, Any]]:
        """The live import definitions (as the API shows them, plus `stagedUploads`)."""
        result: list[dict[str, Any]] = self._ctl("GET", "import-definitions")
        return result

    def uploads(self) -> list[dict[str, Any]]:
        """Every accepted data POST: definitionUri, bytes, rows, contentType, createdAt."""
        result: list[dict[str, Any]] = self._ctl("GET", "uploads")
        return result
