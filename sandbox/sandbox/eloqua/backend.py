"""The Eloqua emulator's state and operations (moto's "backend"): one lock guards it all."""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.eloqua import apply
from sandbox.eloqua.background import SyncWorker
from sandbox.eloqua.errors import EloquaError, NotFound, ValidationFailed, failure
from sandbox.eloqua.imports import (
    ImportDefinition,
    Upload,
    build_definition,
    entity_field_name,
    resolve_targets,
)
from sandbox.eloqua.models import Contact, CustomObject, iso_time
from sandbox.eloqua.syncs import FORCED_OUTCOMES, LogEntry, Outcome, Schedule, Sync, SyncStatus
from sandbox.eloqua.uploads import paused_gc

DEFAULT_COMPANY = "SandboxCo"
DEFAULT_USERNAME = "api.user"
DEFAULT_PASSWORD = "sandbox-password"  # noqa: S105 - the sandbox's published demo login
DEFAULT_POD = "p03"
MB = 1024 * 1024

DEFAULT_SETTINGS: dict[str, Any] = {
    "failure_status": "error",
    "duplicate_identifiers": apply.LAST_WINS,
    "max_post_bytes": 32 * MB,
    "max_posts_per_sync": 500,
    "text_over_limit": "reject",
    "max_staged_bytes": 8 * 1024 * MB,
    # Off: a sync is applied by the status poll that finds it due under the sync schedule. On:
    # a worker thread applies it as soon as it is created and polls only report its status
    # (the schedule and polls then play no part; forced outcomes still apply).
    "background_syncs": False,
}
_SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "failure_status": ("error", "errored"),
    "duplicate_identifiers": (apply.LAST_WINS, apply.REJECT_ALL_BUT_FIRST),
    "text_over_limit": ("reject", "truncate"),
}
_BOOLEAN_SETTINGS = ("background_syncs",)


@dataclass(frozen=True)
class User:
    """An API user of a site."""

    id: int
    site_id: int
    company: str
    username: str
    password: str


class EloquaBackend:
    """All emulated Eloqua state; handlers call its methods while holding `lock`."""

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        """Start with the defaults (see `reset`), `settings` overriding `DEFAULT_SETTINGS`.

        Raises:
            ValueError: for an unknown setting or a value outside its choices.
        """
        self.lock = threading.RLock()
        #: Bumped by every reset, so a background sync of the forgotten state stops writing.
        self.generation = 0
        self.worker = SyncWorker(self)
        self.defaults = {**DEFAULT_SETTINGS, **_checked_settings(settings or {})}
        self.reset()

    def reset(self) -> None:
        """Forget everything and re-create the default user on pod p03."""
        with self.lock:
            self.generation += 1
            self.worker.clear()
            self.settings: dict[str, Any] = dict(self.defaults)
            self.users: dict[tuple[str, str], User] = {}
            self.sites: dict[str, int] = {}
            self.pod = DEFAULT_POD
            self.objects: dict[int, CustomObject] = {}
            self.definitions: dict[int, ImportDefinition] = {}
            self.syncs: dict[int, Sync] = {}
            self.contacts: dict[int, Contact] = {}
            self.upload_log: list[dict[str, Any]] = []
            self.schedule = Schedule()
            self.forced: list[str] = []
            self._ids: dict[str, int] = {}
            self.add_user(DEFAULT_COMPANY, DEFAULT_USERNAME, DEFAULT_PASSWORD)

    def next_id(self, kind: str, start: int = 1) -> int:
        """The next id of a kind of resource (custom objects, fields, definitions, syncs…)."""
        self._ids[kind] = self._ids.get(kind, start - 1) + 1
        return self._ids[kind]

    # ---- users and auth --------------------------------------------------------------------
    def add_user(self, company: str, username: str, password: str) -> User:
        """Create (or replace) a user; a new company gets a new site id."""
        with self.lock:
            site_id = self.sites.setdefault(company.lower(), 100 + len(self.sites))
            user = User(self.next_id("user", 300), site_id, company, username, password)
            self.users[(company.lower(), username.lower())] = user
            return user

    def authenticate(self, header: str | None) -> User | None:
        r"""The user of a Basic `Company\\User:Password` header, or None (§1.1)."""
        if not header or not header.startswith("Basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        login, sep, password = decoded.partition(":")
        company, slash, username = login.partition("\\")
        if not sep or not slash:
            return None
        user = self.users.get((company.lower(), username.lower()))
        if user is None or user.password != password:
            return None
        return user

    def identity(self, user: User, base: str) -> dict[str, Any]:
        """The `/id` document (§1.3) with `urls.base` = the current pod's base."""
        first, _, last = user.username.partition(".")
        return {
            "site": {"id": user.site_id, "name": user.company},
            "user": {
                "id": user.id,
                "username": user.username,
                "displayName": user.username,
                "firstName": first,
                "lastName": last,
                "emailAddress": f"{user.username}@{user.company.lower()}.example",
            },
            "urls": {
                "base": base,
                "apis": {
                    "soap": {
                        "standard": f"{base}/API/{{version}}/Service.svc",
                        "dataTransfer": f"{base}/API/{{version}}/DataTransferService.svc",
                        "email": f"{base}/API/{{version}}/EmailService.svc",
                        "externalAction": f"{base}/API/{{version}}/ExternalActionService.svc",
                    },
                    "rest": {
                        "standard": f"{base}/API/REST/{{version}}/",
                        "bulk": f"{base}/API/Bulk/{{version}}/",
                    },
                },
            },
        }

    # ---- custom objects ----------------------------------------------------------------------
    def custom_object(self, object_id: int) -> CustomObject:
        """A custom object by id.

        Raises:
            NotFound: when there is none.
        """
        found = self.objects.get(object_id)
        if found is None:
            raise NotFound(f"/customObjects/{object_id}")
        return found

    # ---- import definitions ------------------------------------------------------------------
    def create_definition(self, object_id: int, body: Any, user: User) -> ImportDefinition:
        """Validate and store a new import definition."""
        obj = self.custom_object(object_id)
        definition = build_definition(body, obj, self.next_id("import", 800), user.username)
        self.definitions[definition.id] = definition
        return definition

    def replace_definition(
        self, object_id: int, definition_id: int, body: Any, user: User
    ) -> ImportDefinition:
        """`PUT` a definition: validate the new body and keep the id and staged data."""
        old = self.definition(object_id, definition_id)
        new = build_definition(body, self.custom_object(object_id), old.id, user.username)
        new.created_at, new.staged = old.created_at, old.staged
        self.definitions[old.id] = new
        return new

    def definition(self, object_id: int, definition_id: int) -> ImportDefinition:
        """A live definition of a custom object.

        Raises:
            NotFound: when there is none.
        """
        found = self.definitions.get(definition_id)
        if found is None or found.parent_id != object_id:
            raise NotFound(f"/customObjects/{object_id}/imports/{definition_id}")
        return found

    def delete_definition(self, object_id: int, definition_id: int) -> None:
        """Delete a definition and its staged data (a running sync then ends with ELQ-00143)."""
        self.definition(object_id, definition_id)
        del self.definitions[definition_id]

    # ---- staging -------------------------------------------------------------------------------
    def check_can_stage(self, definition: ImportDefinition, size: int) -> None:
        """Refuse a data POST that breaks a staging limit (§3.2, §4).

        Raises:
            EloquaError: 400 for the 501st file of a sync, 413 when staging storage is full.
        """
        limit = int(self.settings["max_posts_per_sync"])
        if len(definition.staged) >= limit:
            constraint = (
                f"A sync can include at most {limit} files; sync the staged data "
                "before uploading more."
            )
            raise ValidationFailed([failure("data", len(definition.staged) + 1, constraint)])
        staged = sum(d.staged_bytes() for d in self.definitions.values())
        if staged + size > int(self.settings["max_staged_bytes"]):
            raise EloquaError(413)

    def stage(self, definition: ImportDefinition, upload: Upload, user: User) -> Sync | None:
        """Stage a parsed upload; start a sync at once when the definition says so."""
        self.check_can_stage(definition, upload.bytes)
        triggered = bool(definition.option("isSyncTriggeredOnImport"))
        if triggered:
            self._check_no_running_sync(definition)
        definition.staged.append(upload)
        self.upload_log.append(
            {
                "definitionUri": definition.uri,
                "bytes": upload.bytes,
                "rows": upload.row_count,
                "contentType": upload.content_type,
                "createdAt": iso_time(upload.created_at),
            }
        )
        return self._start_sync(definition, user) if triggered else None

    # ---- syncs -------------------------------------------------------------------------------
    def create_sync(self, body: Any, user: User) -> Sync:
        """`POST /syncs`: validate the definition again (20D), then sync its staged data."""
        uri = body.get("syncedInstanceUri") if isinstance(body, dict) else None
        definition = self._definition_by_uri(uri)
        if definition is None:
            constraint = "Must reference an existing import definition."
            raise ValidationFailed([failure("syncedInstanceUri", uri, constraint)])
        self._check_no_running_sync(definition)
        return self._start_sync(definition, user)

    def _definition_by_uri(self, uri: Any) -> ImportDefinition | None:
        if not isinstance(uri, str):
            return None
        for definition in self.definitions.values():
            if definition.uri.lower() == uri.rstrip("/").lower():
                return definition
        return None

    def _check_no_running_sync(self, definition: ImportDefinition) -> None:
        # BP: a second sync on a definition with one pending/active can drop data; refuse it.
        for sync in self.syncs.values():
            if sync.synced_instance_uri == definition.uri:
                self.advance(sync, poll=False)
                if not sync.terminal:
                    constraint = f"Definition already has a {sync.status} sync: {sync.uri}."
                    failures = [failure("syncedInstanceUri", definition.uri, constraint)]
                    raise ValidationFailed(failures)

    def _start_sync(self, definition: ImportDefinition, user: User) -> Sync:
        failures = resolve_targets(definition, self.custom_object(definition.parent_id))
        if failures:
            raise ValidationFailed(failures)
        sync = Sync(
            id=self.next_id("sync", 1000),
            synced_instance_uri=definition.uri,
            parent_id=definition.parent_id,
            definition_id=definition.id,
            uploads=definition.staged,
            created_by=user.username,
            schedule=self.schedule,
            forced=self.forced.pop(0) if self.forced else None,
        )
        definition.staged = []
        self.syncs[sync.id] = sync
        if self.settings["background_syncs"]:
            sync.background = True
            self.worker.submit(sync, self.generation)
        return sync

    def sync(self, sync_id: int, *, poll: bool) -> Sync:
        """A sync, advanced by its schedule (`poll` counts this read as a status poll).

        Raises:
            NotFound: when there is none.
        """
        found = self.syncs.get(sync_id)
        if found is None:
            raise NotFound(f"/syncs/{sync_id}")
        self.advance(found, poll=poll)
        return found

    def advance(self, sync: Sync, *, poll: bool) -> None:
        """Move a sync along its schedule; run it when the schedule says it ends."""
        if sync.terminal:
            return
        if poll:
            sync.polls += 1
        if sync.background:
            return
        now = time.time()
        if sync.due(now) is None:
            prepared = self.prepare(sync, now)
            if isinstance(prepared, apply.Applier):
                with paused_gc(long_lived=True):
                    prepared = prepared.run(sync.uploads)
            self.conclude(sync, prepared, now)

    def advance_all(self) -> None:
        """Let time-based schedules catch up (control-plane reads call this)."""
        for sync in self.syncs.values():
            self.advance(sync, poll=False)

    def prepare(self, sync: Sync, now: float) -> Outcome | apply.Applier:
        """What a sync that starts applying now does: fail at once (its outcome), or apply."""
        if sync.forced == "error":
            return apply.fatal_outcome("ELQ-00146", "The sync failed because of a temporary error.")
        definition = self.definitions.get(sync.definition_id)
        if definition is None:
            return apply.fatal_outcome(
                "ELQ-00143", "The import definition was deleted before the sync completed."
            )
        obj = self.custom_object(definition.parent_id)
        if resolve_targets(definition, obj):
            message = "Validation errors found on sync; sync will NOT proceed."
            return apply.fatal_outcome("ELQ-00122", message)
        options = apply.ApplyOptions(
            duplicates=str(self.settings["duplicate_identifiers"]),
            truncate=self.settings["text_over_limit"] == "truncate",
        )
        contacts = self._contact_index(definition)
        return apply.Applier(definition, obj, contacts, options, now)

    def conclude(self, sync: Sync, outcome: Outcome, now: float) -> None:
        """Record a sync's outcome and its closing log line."""
        sync.finish(outcome, now)
        self._final_log(sync)

    def _contact_index(self, definition: ImportDefinition) -> dict[str, int] | None:
        if definition.body.get("mapDataCards") is not True:
            return None
        if definition.body.get("mapDataCardsEntityType") != "Contact":
            return {}
        name = entity_field_name(definition)
        sensitive = bool(definition.option("mapDataCardsCaseSensitiveMatch"))
        index: dict[str, int] = {}
        for contact in self.contacts.values():
            value = contact.fields.get(name)
            if value:
                index.setdefault(value if sensitive else value.lower(), contact.id)
        return index

    def _final_log(self, sync: Sync) -> None:
        outcome = sync.outcome
        assert outcome is not None
        status = str(outcome.status)
        if outcome.status is SyncStatus.ERROR:
            status = str(self.settings["failure_status"])
        message = f"Sync processed for sync {sync.id}, resulting in {status.capitalize()} status."
        outcome.logs.append(LogEntry("ELQ-00101", 0, "information", message))

    def force_next_syncs(self, outcome: str, count: int) -> None:
        """Force the outcome of the next `count` syncs created (`error` or `never`)."""
        if outcome not in FORCED_OUTCOMES:
            raise ValueError(f"outcome must be one of {FORCED_OUTCOMES}")
        self.forced.extend([outcome] * count)

    def update_settings(self, changes: dict[str, Any]) -> None:
        """Change behaviour switches; unknown names and values are refused.

        Raises:
            ValueError: for an unknown setting or a value outside its choices.
        """
        self.settings.update(_checked_settings(changes))


def _checked_settings(changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` if every name and value is valid.

    Raises:
        ValueError: for an unknown setting or a value outside its choices.
    """
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in DEFAULT_SETTINGS:
            raise ValueError(f"unknown setting {name!r}; known: {sorted(DEFAULT_SETTINGS)}")
        choices = _SETTING_CHOICES.get(name)
        if name in _BOOLEAN_SETTINGS:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
        elif choices is not None and value not in choices:
            raise ValueError(f"{name} must be one of {choices}")
        elif choices is None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive integer")
        checked[name] = value
    return checked
