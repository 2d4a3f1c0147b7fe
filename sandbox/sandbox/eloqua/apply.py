"""Applying a sync's staged rows to a custom object's records with Eloqua's semantics (§3.7).

Every row is an upsert on the identifier: a match is updated under the update rule, no match
creates a record. Rows with invalid values are rejected (not written) with an ELQ code; rows that
repeat an identifier within the sync either overwrite in upload order (`last_wins`) or are
rejected with ELQ-00026 (`reject_all_but_first`).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any

from sandbox.eloqua import values as v
from sandbox.eloqua.columns import Column, RowError, ValidatedUpload
from sandbox.eloqua.imports import EXTERNAL_ID, RECORD_ID, ImportDefinition, Upload
from sandbox.eloqua.models import CustomObject, Record
from sandbox.eloqua.syncs import LogEntry, Outcome, SyncStatus

LAST_WINS = "last_wins"
REJECT_ALL_BUT_FIRST = "reject_all_but_first"

_REJECT_LOG_MESSAGES = {
    v.ELQ_INVALID_EMAIL: "Invalid email addresses.",
    v.ELQ_DUPLICATE: "Duplicate identifier.",
    v.ELQ_MALFORMED: "Malformed records.",
    v.ELQ_UNMATCHED: "Total unmatched records.",
    v.ELQ_MISSING_IDENTIFIER: "Rejected records (missing fields).",
    v.ELQ_CONSTRAINT: "Constraint failed.",
    v.ELQ_REJECTED_FIELD: "Total records with rejected fields.",
}


@dataclass(frozen=True)
class ApplyOptions:
    """Switches of the record-store semantics (the UNCONFIRMED behaviours, §10)."""

    duplicates: str = LAST_WINS
    truncate: bool = False


class Applier:
    """Applies one sync's rows to one custom object."""

    def __init__(
        self,
        definition: ImportDefinition,
        obj: CustomObject,
        contacts: dict[str, int] | None,
        options: ApplyOptions,
        now: float,
    ) -> None:
        """`contacts` maps the (normalised) entity-field value to a contact id for mapDataCards."""
        self.definition = definition
        self.obj = obj
        self.store = obj.records
        self.contacts = contacts
        self.options = options
        self.now = now
        self.outcome = Outcome(SyncStatus.SUCCESS)
        self.codes: Counter[str] = Counter()
        self.unmatched_links = 0
        self.seen: set[str] = set()
        self.columns = self._columns()
        self.ident_key = definition.identifier
        self.ident_target = definition.targets[self.ident_key]
        self.multiple = bool(definition.option("isUpdatingMultipleMatchedRecords"))
        self.not_null = [f.id for f in obj.fields.values() if f.not_null]
        self.source_key = str(definition.body.get("mapDataCardsSourceField", ""))
        self.case_sensitive = bool(definition.option("mapDataCardsCaseSensitiveMatch"))
        self.external: dict[str, Record] | None = None
        #: Rows written so far (a reject's `recordIndex` counts from 1 across the uploads).
        self.rows = 0
        self.plain_update = False
        #: The identifier's column, whose distinct values the bulk path needs.
        self.ident_column = next(
            (i for i, c in enumerate(self.columns) if c.key == self.ident_key), None
        )

    def _columns(self) -> list[Column]:
        rule = str(self.definition.option("updateRule"))
        by_field: dict[str, str] = self.definition.body.get("updateRuleByField") or {}
        columns = []
        for key, target in self.definition.targets.items():
            if not isinstance(target, int):
                continue
            field = self.obj.fields[target]
            check = v.validator_for(
                field.data_type, unique=field.unique, truncate=self.options.truncate
            )
            # useFieldRule: each field's own rule; fields here have none beyond updateRuleByField.
            own = by_field.get(key) or ("always" if rule == "useFieldRule" else rule)
            limit = v.LARGE_TEXT_LIMIT if field.data_type == "largeText" else v.TEXT_LIMIT
            if field.unique:
                limit = v.UNIQUE_CODE_LIMIT
            columns.append(Column(key, target, check, own, field.data_type, limit))
        return columns

    def run(self, uploads: list[Upload]) -> Outcome:
        """Apply every staged row in upload order; return counts, logs and rejects."""
        for upload in uploads:
            self.write(upload, self.check(upload))
        return self.result(uploads)

    def check(self, upload: Upload) -> ValidatedUpload:
        """Validate and convert one upload's values.

        This reads only the upload and the columns resolved at construction, so a background
        sync may run it without holding the backend's lock.
        """
        return ValidatedUpload(upload.rows, self.columns, self.ident_column)

    def write(self, upload: Upload, batch: ValidatedUpload) -> None:
        """Apply one checked upload to the record store (the caller holds the backend's lock)."""
        self.plain_update = self._plain_update()
        if self._plain(batch):
            self._plain_rows(batch, upload.rows, self.rows)
            self.rows += len(upload.rows)
            return
        for position, row in enumerate(upload.rows):
            self.rows += 1
            try:
                self._row(row, batch.values(position))
            except RowError as exc:
                self._reject(self.rows, row, exc)

    def result(self, uploads: list[Upload]) -> Outcome:
        """The outcome once every upload is written: counts, status, logs and rejects."""
        self.outcome.rows = self.rows
        if self.outcome.rejected:
            self.outcome.status = SyncStatus.WARNING
        self.outcome.logs = self._logs(uploads)
        return self.outcome

    def _plain_update(self) -> bool:
        """Whether an update may copy values wholesale (rule `always`, no other index to keep)."""
        others = self.store.indexed_fields() - {self.ident_target}
        writes = {c.field_id for c in self.columns}
        return all(c.rule == "always" for c in self.columns) and not others & writes

    def _plain(self, batch: ValidatedUpload) -> bool:
        """Whether the common case applies: a field identifier, rule `always`, no links."""
        return (
            isinstance(self.ident_target, int)
            and self.plain_update
            and not self.not_null
            and self.contacts is None
            and not self.multiple
            and not batch.has_absent
        )

    def _plain_rows(self, batch: ValidatedUpload, rows: list[Any], before: int) -> None:
        """`_row`'s semantics for the common case, in one tight loop (the benchmark's path)."""
        fids = batch.field_ids
        slot = fids.index(int(self.ident_target))
        index = self.store.index(int(self.ident_target))
        errors, now, seen = batch.errors, self.now, self.seen
        dedupe = self.options.duplicates == REJECT_ALL_BUT_FIRST
        if not errors and self._bulk_rows(batch, slot, index):
            return
        created = updated = 0
        # New records are created after the loop, in first-seen order (ids follow row order);
        # a repeat of a new identifier within the upload updates its pending values.
        pending: dict[str, dict[int, str | None]] = {}
        for position, cells in enumerate(batch.tuples):
            ident = cells[slot]
            error = errors.get(position) if errors else None
            if error is None and ident is None:
                error = self._missing_identifier()
            elif error is None and dedupe and ident in seen:
                error = RowError(v.ELQ_DUPLICATE, "Duplicate identifier.", [self.ident_key])
            if error is not None:
                self._reject(before + position + 1, rows[position], error)
                continue
            found = index.get(ident)
            if found:
                record = found[0]
                record.values.update(zip(fids, cells, strict=True))
                record.updated_at = now
                updated += 1
            elif ident in pending:
                pending[ident].update(zip(fids, cells, strict=True))
                updated += 1
            else:
                pending[ident] = dict(zip(fids, cells, strict=True))
                created += 1
            if dedupe:
                seen.add(ident)
        self.store.create_many(list(pending.values()), now)
        self.outcome.created += created
        self.outcome.updated += updated

    def _bulk_rows(self, batch: ValidatedUpload, slot: int, index: dict[str, list[Record]]) -> bool:
        """`_plain_rows` for an upload whose identifiers are distinct and all new or all known.

        That is what a sync of a chunked load looks like, and it needs no decision per row, so
        records are built and updated with C-level `map`s. Returns False, doing nothing, for
        any other upload.
        """
        idents = batch.column(slot)
        distinct = batch.kept_distinct
        if distinct is None:
            distinct = set(idents)
        if None in distinct or len(distinct) != len(idents):
            return False
        dedupe = self.options.duplicates == REJECT_ALL_BUT_FIRST
        if dedupe and not self.seen.isdisjoint(distinct):
            return False
        store, fids, rows = self.store, batch.field_ids, batch.tuples
        if index.keys().isdisjoint(distinct):
            # Distinct, never blank and not yet indexed: what `create_rows` may take as given.
            store.create_rows(fids, rows, self.now, fresh={int(self.ident_target): idents})
            self.outcome.created += len(idents)
        else:
            found: list[Any] = list(map(index.get, idents))
            if not all(found):
                return False  # some identifiers are new, some known
            records: list[Record] = list(map(itemgetter(0), found))
            if not store.overwrite_rows(records, fids, rows):
                pairs = map(partial(zip, fids), rows)
                deque(map(dict.update, map(attrgetter("values"), records), pairs), maxlen=0)
            deque(map(setattr, records, repeat("updated_at"), repeat(self.now)), maxlen=0)
            self.outcome.updated += len(idents)
        if dedupe:
            self.seen.update(distinct)
        return True

    def _missing_identifier(self) -> RowError:
        message = f"Identifier field {self.ident_key} is missing or blank."
        return RowError(v.ELQ_MISSING_IDENTIFIER, message, [self.ident_key])

    def _row(self, row: dict[str, Any], values: dict[int, str | None]) -> None:
        ident, matches = self._match(row, values)
        if ident in self.seen and self.options.duplicates == REJECT_ALL_BUT_FIRST:
            raise RowError(v.ELQ_DUPLICATE, "Duplicate identifier.", [self.ident_key])
        if matches:
            targets = matches if self.multiple else matches[:1]
            if self.not_null:
                for record in targets:
                    self._check_not_null(values, record)
            for record in targets:
                self._update(record, values)
                self._link(record, row, values)
            self.outcome.updated += len(targets)
        else:
            if self.not_null:
                self._check_not_null(values, None)
            self._link(self._create(row, values), row, values)
            self.outcome.created += 1
        if ident is not None:
            self.seen.add(ident)

    def _match(
        self, row: dict[str, Any], values: dict[int, str | None]
    ) -> tuple[str | None, list[Record]]:
        target = self.ident_target
        if isinstance(target, int):
            ident = values.get(target)
            if ident is None:
                raise self._missing_identifier()
            return ident, self.store.index(target).get(ident, [])
        text = _text_or_blank(row.get(self.ident_key))
        if text is None:
            # NEWCO: a blank Id/ExternalId identifier always creates a record.
            return None, []
        if target == RECORD_ID:
            record = self.store.by_id.get(int(text)) if text.isdigit() else None
            if record is None:
                message = f"No record with Id {text}."
                raise RowError(v.ELQ_UNMATCHED, message, [self.ident_key])
            return f"id:{text}", [record]
        found = self._external_index().get(text)
        return f"ext:{text}", [found] if found is not None else []

    def _external_index(self) -> dict[str, Record]:
        if self.external is None:
            self.external = {}
            for record in self.store.by_id.values():
                if record.external_id is not None:
                    self.external.setdefault(record.external_id, record)
        return self.external

    def _check_not_null(self, values: dict[int, str | None], record: Record | None) -> None:
        for field_id in self.not_null:
            final = values.get(field_id)
            if record is not None and (
                field_id not in values or not self._writes(record, field_id, final)
            ):
                final = record.values.get(field_id)
            if final is None:
                name = self.obj.fields[field_id].name
                keys = [c.key for c in self.columns if c.field_id == field_id]
                raise RowError(v.ELQ_CONSTRAINT, f"Field {name} cannot be empty.", keys)

    def _writes(self, record: Record, field_id: int, new: str | None) -> bool:
        rule = next(c.rule for c in self.columns if c.field_id == field_id)
        return _rule_allows(rule, record.values.get(field_id), new)

    def _update(self, record: Record, values: dict[int, str | None]) -> None:
        record.updated_at = self.now
        if self.plain_update:
            record.values.update(values)
            return
        current = record.values
        for column in self.columns:
            field_id = column.field_id
            if field_id not in values:
                continue
            new = values[field_id]
            old = current.get(field_id)
            if new != old and _rule_allows(column.rule, old, new):
                self.store.write(record, field_id, new)

    def _create(self, row: dict[str, Any], values: dict[int, str | None]) -> Record:
        record = self.store.create(values, self.now)
        if self.ident_target == EXTERNAL_ID:
            record.external_id = _text_or_blank(row.get(self.ident_key))
            if record.external_id is not None:
                self._external_index()[record.external_id] = record
        return record

    def _link(self, record: Record, row: dict[str, Any], values: dict[int, str | None]) -> None:
        if self.contacts is None:
            return
        target = self.definition.targets.get(self.source_key)
        if isinstance(target, int):
            key = values.get(target, record.values.get(target))
        else:
            key = _text_or_blank(row.get(self.source_key))
        if key is not None and not self.case_sensitive:
            key = key.lower()
        contact_id = self.contacts.get(key) if key is not None else None
        if contact_id is None:
            self.unmatched_links += 1
            return
        record.contact_id = contact_id
        self.outcome.linked += 1

    def _reject(self, index: int, row: Any, exc: RowError) -> None:
        self.outcome.rejected += 1
        self.codes[exc.code] += 1
        self.outcome.rejects.append(
            {
                "fieldValues": _field_values(row),
                "invalidFields": exc.invalid,
                "message": exc.message,
                "statusCode": exc.code,
                "recordIndex": index,
            }
        )

    def _logs(self, uploads: list[Upload]) -> list[LogEntry]:
        outcome = self.outcome
        staged = "Total records staged for import."
        logs = [LogEntry("ELQ-00130", outcome.rows, "information", staged)]
        logs.extend(_column_logs(self.definition, uploads))
        if not outcome.rows:
            empty = "There was no data available to process."
            logs.append(LogEntry("ELQ-00124", 0, "warning", empty))
        for code, count in sorted(self.codes.items()):
            logs.append(LogEntry(code, count, "warning", _REJECT_LOG_MESSAGES[code]))
        if outcome.rejected:
            rejected = "Total rejected records."
            logs.append(LogEntry("ELQ-00060", outcome.rejected, "warning", rejected))
        processed = "Total records processed."
        logs.append(LogEntry("ELQ-00001", outcome.rows, "information", processed))
        for code, count, message in (
            ("ELQ-00007", outcome.created, "CustomObject data created."),
            ("ELQ-00012", outcome.updated, "CustomObject data updated."),
            ("ELQ-00025", outcome.linked, "CustomObject data linked."),
        ):
            if count:
                logs.append(LogEntry(code, count, "information", message))
        if self.unmatched_links:
            message = "Total unmatched records."
            logs.append(LogEntry("ELQ-00034", self.unmatched_links, "information", message))
        return logs


def _rule_allows(rule: str, old: str | None, new: str | None) -> bool:
    """UPDRULE: `always` overwrites (blanks too); `ifNewIsNotNull`; `ifExistingIsNull`."""
    if rule == "ifNewIsNotNull":
        return new is not None
    if rule == "ifExistingIsNull":
        return old is None
    return True


def _text_or_blank(raw: Any) -> str | None:
    try:
        return v.as_text(raw)
    except v.InvalidValue:
        return str(raw)


def _field_values(row: Any) -> dict[str, str]:
    if isinstance(row, dict):
        return {str(k): "" if val is None else str(val) for k, val in row.items()}
    if isinstance(row, list):
        return {str(i): str(val) for i, val in enumerate(row)}
    return {}


def _column_logs(definition: ImportDefinition, uploads: list[Upload]) -> list[LogEntry]:
    """ELQ-00111 for keys the definition lacks, ELQ-00121 for definition keys no file has."""
    mapped = set(definition.targets)
    seen: set[str] = set().union(*(u.keys for u in uploads)) if uploads else set()
    logs = []
    for key in sorted(seen - mapped):
        message = f"Field {key} is not part of import definition, and will be ignored."
        logs.append(LogEntry("ELQ-00111", 1, "warning", message))
    for key in sorted(mapped - seen) if uploads else []:
        message = f"Field {key} is part of import definition, but not included in file."
        logs.append(LogEntry("ELQ-00121", 1, "warning", message))
    return logs


def fatal_outcome(code: str, message: str) -> Outcome:
    """A sync that failed as a whole: nothing written (ELQ-00122/00143/00146)."""
    return Outcome(SyncStatus.ERROR, logs=[LogEntry(code, 0, "error", message)])
