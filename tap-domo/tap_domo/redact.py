"""Keep secrets out of what the tap prints: known values and auth header values are masked."""

from __future__ import annotations

import base64
import re

MASK = "[redacted]"
# Authorization header values echoed back in an error body (e.g. "Basic c2FuZ…", "bearer eyJ…").
_AUTH_VALUE = re.compile(r"(?i)\b(basic|bearer)(\s+|=)[A-Za-z0-9._~+/=-]{16,}")
_known: set[str] = set()


def remember(secret: str | None) -> None:
    """Mask `secret` wherever it appears in printed text from now on."""
    if secret and len(secret) >= 4:
        _known.add(secret)


def remember_basic(user: str, password: str) -> None:
    """Mask a password and the Basic header value built from it."""
    remember(password)
    remember(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))


def scrub(text: str) -> str:
    """`text` with every remembered secret and auth header value masked."""
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _AUTH_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
