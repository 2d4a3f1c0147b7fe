"""Validate URL settings: https, or plain http only to a local sandbox on loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine (127.0.0.0/8, ::1 or localhost).

    Args:
        host: a host name or IP address.

    Returns:
        Whether it is a loopback host.
    """
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(setting: str, value: object) -> str | None:
    """Why a URL setting cannot be used, naming the setting; None when it can.

    The Basic credentials travel on every request, so only https is accepted, except plain
    http to a loopback address (the local sandbox); a URL carrying credentials is refused too.

    Args:
        setting: the setting's name, for the message.
        value: its value.

    Returns:
        The problem, or None.
    """
    text = value.strip() if isinstance(value, str) else ""
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        has_credentials = bool(parts.username or parts.password)
    except ValueError:  # e.g. an unbalanced IPv6 bracket or a bad port
        return _problem(setting, value)
    secure = parts.scheme == "https" and bool(host)
    local = parts.scheme == "http" and is_loopback(host)
    if not (secure or local) or has_credentials:
        return _problem(setting, value)
    return None


def _problem(setting: str, value: object) -> str:
    shown = value if isinstance(value, str) and "@" not in value else "<hidden>"
    return (
        f"setting {setting!r} is {shown!r}: give an https:// URL such as "
        "https://login.eloqua.com (plain http:// is accepted only for a local sandbox on "
        "127.0.0.1 or localhost, and the URL must not carry credentials)"
    )
