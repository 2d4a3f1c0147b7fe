"""The emulator's switches for behaviours domo-api.md marks UNCONFIRMED or variable."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

_CHOICES: dict[str, tuple[Any, ...]] = {
    "query_over_cap": ("truncate", "error"),
    "csv_null": ("empty", "\\N"),
    "csv_quoting": ("minimal", "all"),
    "datetime_separator": ("T", " "),
    "auth_error_body": ("domo", "oauth"),
    "list_visibility": ("accessible", "all"),
}


@dataclass
class Settings:
    r"""Current switches (all changeable through the control plane).

    Attributes:
        token_lifetime: seconds an issued token lives (`expires_in`; Domo sends 3599).
        query_row_cap: most rows one query answers (Domo: 1,000,000).
        query_over_cap: past the cap, "truncate" silently or answer "error" (400).
        csv_null: how the export writes a null: "empty" (an unquoted empty field) or "\\N".
        csv_quoting: "minimal" (only when needed) or "all" (every non-null value quoted).
        csv_formula_escape: prefix `'` to strings starting with = + - @ in the export, unless the
            request's `disableFormulaInterpretation` says otherwise.
        batch_id_float: emit integral DOUBLE values as `410.0` rather than `410`.
        datetime_separator: "T" (`2019-03-19T18:49:02`) or " " between date and time.
        auth_error_body: the JSON body of a 401: Domo's error shape ("domo") or OAuth's ("oauth").
        list_visibility: `GET /v1/datasets` lists the DataSets the user can read ("accessible")
            or every DataSet ("all").
        customer: the instance name returned in token responses.
    """

    token_lifetime: int = 3599
    query_row_cap: int = 1_000_000
    query_over_cap: str = "truncate"
    csv_null: str = "empty"
    csv_quoting: str = "minimal"
    csv_formula_escape: bool = False
    batch_id_float: bool = False
    datetime_separator: str = "T"
    auth_error_body: str = "domo"
    list_visibility: str = "accessible"
    customer: str = "sandbox"

    def update(self, changes: dict[str, Any]) -> None:
        """Apply changes after checking every one of them (all or nothing).

        Raises:
            ValueError: on an unknown name or a value out of range.
        """
        types = {f.name: f.type for f in fields(self)}
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in types:
                raise ValueError(f"unknown setting {name!r}; known: {sorted(types)}")
            checked[name] = _check(name, types[name], value)
        for name, value in checked.items():
            setattr(self, name, value)

    def to_json(self) -> dict[str, Any]:
        """All settings as a JSON object."""
        return asdict(self)


def _check(name: str, type_name: Any, value: Any) -> Any:
    if type_name == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    choices = _CHOICES.get(name)
    if choices is not None and value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}")
    return value
