"""HTTP client for the control plane (`/_sandbox/...`) that both emulators share."""

from __future__ import annotations

import re
from typing import Any

import requests


class ControlClient:
    """Drives one emulator's control plane over HTTP (tests, the demo and the benchmark use it)."""

    def __init__(self, url: str) -> None:
        """`url` is the emulator's root URL, e.g. http://127.0.0.1:8301."""
        self.url = url.rstrip("/")
        self.http = requests.Session()

    def _ctl(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.url}/_sandbox/{path.lstrip('/')}", **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(
                f"sandbox control {method} {path} -> {response.status_code}: {response.text}"
            )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def reset(self) -> None:
        """Forget all state, faults and logged requests, and re-create the defaults."""
        self._ctl("POST", "reset")

    def add_fault(self, path: str, **rule: Any) -> None:
        """Inject a fault; see `sandbox.core.faults.FaultRule` for the keys."""
        self._ctl("POST", "faults", json={"path": path, **rule})

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules with their hit counts."""
        result: list[dict[str, Any]] = self._ctl("GET", "faults")
        return result

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._ctl("DELETE", "faults")

    def requests(self, path_regex: str | None = None) -> list[dict[str, Any]]:
        """The API requests answered so far (optionally only paths matching a regex)."""
        entries: list[dict[str, Any]] = self._ctl("GET", "requests")
        if path_regex is None:
            return entries
        pattern = re.compile(path_regex)
        return [e for e in entries if pattern.search(e["path"])]

    def clear_requests(self) -> None:
        """Forget the logged requests."""
        self._ctl("DELETE", "requests")
