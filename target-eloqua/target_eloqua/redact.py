"""Keep secrets out of what the target prints: known values and auth header values are masked."""

from __future__ import annotations

import base64
import logging
import re

MASK = "[redacted]"
# Authorization header values echoed back in an error body (e.g. "Basic c2FuZ…", "bearer eyJ…").
_AUTH_VALUE = re.compile(r"(?i)\b(basic|bearer)(\s+|=|:\s*)[A-Za-z0-9._~+/=-]{12,}")
_known: set[str] = set()


def remember(secret: str | None) -> None:
    """Mask `secret` wherever it appears in printed text from now on.

    Args:
        secret: the secret (too short a value is not masked: it would mangle every message).
    """
    if secret and len(secret) >= 4:
        _known.add(secret)


def remember_basic(user: str, password: str) -> None:
    r"""Mask a password and the HTTP Basic header value built from it (UTF-8, as sent).

    Args:
        user: the Basic user (`Company\User`).
        password: the password.
    """
    remember(password)
    remember(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))


def scrub(text: str) -> str:
    """`text` with every remembered secret and auth header value masked.

    Args:
        text: any text about to be printed or logged.

    Returns:
        The text, masked.
    """
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _AUTH_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


class RedactingFilter(logging.Filter):
    """A handler filter that masks secrets in every log record it passes on."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record's message (and its traceback text) in place.

        Args:
            record: the log record.

        Returns:
            Always True: the record is kept, masked.
        """
        message = record.getMessage()
        masked = scrub(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return True


def redact_logs() -> None:
    """Mask secrets in everything the root logger's handlers write (the SDK logs there)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
