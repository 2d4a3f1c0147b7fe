"""Field-value validation and normalisation for custom-object imports (eloqua-api.md §2.1, §5)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

TEXT_LIMIT = 250
LARGE_TEXT_LIMIT = 32_000
UNIQUE_CODE_LIMIT = 100
EMAIL_LIMIT = 400

# Reject codes. Eloqua's public table names the log totals; the per-record codes below are the
# closest documented ones (ELQ-00002 for e-mails is confirmed by real rejects, the rest inferred).
ELQ_INVALID_EMAIL = "ELQ-00002"
ELQ_DUPLICATE = "ELQ-00026"
ELQ_MALFORMED = "ELQ-00032"
ELQ_UNMATCHED = "ELQ-00034"
ELQ_MISSING_IDENTIFIER = "ELQ-00061"
ELQ_CONSTRAINT = "ELQ-00125"
ELQ_REJECTED_FIELD = "ELQ-00144"


class InvalidValue(Exception):
    """A value the field's type refuses: carries the reject code and message."""

    def __init__(self, code: str, message: str) -> None:
        """Keep the code and message for the reject entry."""
        self.code = code
        self.message = message
        super().__init__(message)


Validator = Callable[[str], str]

_NUMBER = re.compile(r"\d+")
_NUMERIC = re.compile(r"[+-]?(\d*)(?:\.(\d*))?")
EMAIL_PATTERN = (
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_EMAIL = re.compile(EMAIL_PATTERN)
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})?)?"
)
_CANONICAL = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def text_validator(limit: int, truncate: bool) -> Validator:
    """Length check of a text field: reject (or cut) values over `limit` characters."""

    def check(value: str) -> str:
        if len(value) <= limit:
            return value
        if truncate:
            return value[:limit]
        raise InvalidValue(
            ELQ_CONSTRAINT, f"Value exceeds the maximum length of {limit} characters."
        )

    return check


def check_number(value: str) -> str:
    """`number` fields take non-negative integers only (COTYPES)."""
    if _NUMBER.fullmatch(value) is None:
        raise InvalidValue(ELQ_REJECTED_FIELD, "Invalid number: must be a non-negative integer.")
    return value


def check_numeric(value: str) -> str:
    """`numeric` fields: a decimal with at most 15 integer digits and 4 decimals (DTYPES)."""
    match = _NUMERIC.fullmatch(value)
    if match is None or not (match.group(1) or match.group(2)):
        raise InvalidValue(ELQ_REJECTED_FIELD, "Invalid numeric value: not a number.")
    integer, decimals = match.group(1), match.group(2) or ""
    if len(integer.lstrip("0")) > 15:
        message = "Invalid numeric value: more than 15 integer digits."
        raise InvalidValue(ELQ_REJECTED_FIELD, message)
    if len(decimals) > 4:
        message = "Invalid numeric value: more than 4 decimal places."
        raise InvalidValue(ELQ_REJECTED_FIELD, message)
    return value


def check_email(value: str) -> str:
    """E-mail fields refuse anything that is not an address (ELQ-00002)."""
    if len(value) > EMAIL_LIMIT or _EMAIL.fullmatch(value) is None:
        raise InvalidValue(ELQ_INVALID_EMAIL, "Invalid email address.")
    return value


def check_date(value: str) -> str:
    """Parse a date/date-time and store it as `YYYY-MM-DD HH:MM:SS`.

    Accepted: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]`, the same with `T`, an optional fraction and
    `Z`/offset (converted to UTC), and month-first `MM/DD/YYYY [HH:MM[:SS]]` (§5: the list-upload
    parser reads slashes month-first, so `13/10/2014` is invalid).
    """
    if len(value) == 19 and _CANONICAL.fullmatch(value) is not None:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise InvalidValue(ELQ_REJECTED_FIELD, "Invalid date value.") from None
        return value
    try:
        moment = _parse_date(value)
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidValue(ELQ_REJECTED_FIELD, "Invalid date value.")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _parse_date(value: str) -> datetime | None:
    match = _ISO.fullmatch(value)
    if match is not None:
        year, month, day, hour, minute, second, zone = match.groups()
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
        if zone:
            moment = moment.replace(tzinfo=_zone(zone)).astimezone(UTC).replace(tzinfo=None)
        return moment
    match = _US.fullmatch(value)
    if match is not None:
        month, day, year, hour, minute, second = match.groups()
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    return None


def _zone(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def validator_for(data_type: str, *, unique: bool, truncate: bool) -> Validator:
    """The validator of a field of REST `data_type` (text|largeText|number|numeric|date|email)."""
    if data_type == "number":
        return check_number
    if data_type == "numeric":
        return check_numeric
    if data_type == "date":
        return check_date
    if data_type == "emailAddress":
        return check_email
    if data_type == "largeText":
        return text_validator(LARGE_TEXT_LIMIT, truncate)
    # The unique-code field is cut at 100 characters (COUPLOAD).
    return text_validator(UNIQUE_CODE_LIMIT if unique else TEXT_LIMIT, truncate)


def as_text(value: object) -> str | None:
    """An uploaded JSON/CSV value as text; None means blank (JSON null and "" are both blank).

    Raises:
        InvalidValue: for nested values (objects/arrays), which no field can hold.
    """
    if value is None:
        return None
    if type(value) is str:
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    raise InvalidValue(ELQ_MALFORMED, "Malformed record: nested values are not allowed.")
