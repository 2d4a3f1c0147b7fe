"""Validate URL settings: https, or plain http only to a local sandbox on loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from tap_domo.errors import SettingsError

_LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine (127.0.0.0/8, ::1 or localhost)."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(setting: str, value: object) -> str:
    """Return the URL without a trailing slash, or refuse it naming the setting.

    Credentials travel on every request, so only https is accepted, except plain http to a
    loopback address (the local sandbox).

    Args:
        setting: the setting's name, for the message.
        value: its value.

    Returns:
        The URL, without a trailing slash.

    Raises:
        SettingsError: when the URL is not https (or http on loopback), or has no host.
    """
    text = value if isinstance(value, str) else ""
    parts = urlsplit(text.strip())
    host = parts.hostname or ""
    secure = parts.scheme == "https" and host
    local = parts.scheme == "http" and is_loopback(host)
    if not (secure or local) or parts.username or parts.password:
        raise SettingsError(
            f'setting "{setting}" is {value!r}: give an https:// URL such as '
            "https://api.domo.com (plain http:// is accepted only for a local sandbox on "
            "127.0.0.1 or localhost, and the URL must not carry credentials)"
        )
    return text.strip().rstrip("/")
