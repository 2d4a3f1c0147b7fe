"""The body of a stream's import definition (eloqua-api.md §3.1)."""

from __future__ import annotations

from typing import Any

from target_eloqua.leftovers import definition_name
from target_eloqua.mapping import ResolvedMapping


def definition_body(
    stream: str,
    mapping: ResolvedMapping,
    *,
    update_rule: str,
    data_retention: str,
    auto_delete: str,
) -> dict[str, Any]:
    """The import definition a stream's rows are staged on.

    Args:
        stream: the stream name.
        mapping: its resolved mapping (fields, identifier, contact linking).
        update_rule: `updateRule` (always / ifNewIsNotNull / ifExistingIsNull / useFieldRule).
        data_retention: `dataRetentionDuration` of staged data (ISO 8601 duration).
        auto_delete: `autoDeleteDuration` of the definition itself (ISO 8601 duration).

    Returns:
        The JSON body.
    """
    body: dict[str, Any] = {
        # Named so that a later run can find and delete it (leftovers.py).
        "name": definition_name(stream),
        "fields": {c.key: c.statement for c in mapping.columns},
        "identifierFieldName": mapping.identifier.key,
        # Always explicit: the docs disagree on its default (eloqua-api.md §10.4).
        "isSyncTriggeredOnImport": False,
        "updateRule": update_rule,
        "dataRetentionDuration": data_retention,
        "autoDeleteDuration": auto_delete,
    }
    contacts = mapping.contacts
    if contacts is not None:
        body.update(
            mapDataCards=True,
            mapDataCardsEntityType="Contact",
            mapDataCardsEntityField=f"{{{{Contact.Field({contacts.contact_field})}}}}",
            mapDataCardsSourceField=mapping.contact_source_key(),
            mapDataCardsCaseSensitiveMatch=contacts.case_sensitive,
        )
    return body
