"""Fault injection: rules that make the next N matching requests fail in a chosen way."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FaultAction(StrEnum):
    """What a fault does to a matching request."""

    STATUS = "status"  # answer with `status` (and optional body/headers) instead of the handler
    DROP = "drop"  # close the connection without any response
    DELAY = "delay"  # sleep `seconds`, then handle the request normally
    CUT = "cut"  # send the first `after_bytes` bytes of the real response, then drop


@dataclass
class FaultRule:
    """One injected fault.

    Attributes:
        path: regular expression matched (fully) against the request path.
        method: HTTP method to match, or None for any.
        action: what to do.
        count: how many matching requests it affects; -1 means every one.
        skip: how many matching requests to let through before it starts.
        status: the status of a STATUS fault.
        body: the body of a STATUS fault; None lets the service render its own error shape.
        headers: extra headers of a STATUS fault (e.g. Retry-After).
        content_type: the content type of `body`.
        seconds: the sleep of a DELAY fault.
        after_bytes: how much of the real body a CUT fault lets through.
    """

    path: str
    method: str | None = None
    action: FaultAction = FaultAction.STATUS
    count: int = 1
    skip: int = 0
    status: int = 500
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    seconds: float = 0.0
    after_bytes: int = 0
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Compile the path pattern and normalise the action."""
        self.action = FaultAction(self.action)
        self._pattern = re.compile(self.path)
        if self.method:
            self.method = self.method.upper()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        """Build a rule from the control plane's JSON body."""
        allowed = {
            "path", "method", "action", "count", "skip", "status", "body",
            "headers", "content_type", "seconds", "after_bytes",
        }  # fmt: skip
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        if "path" not in data:
            raise ValueError("a fault needs a 'path' regular expression")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        """Describe the rule (for the control plane)."""
        return {
            "path": self.path, "method": self.method, "action": str(self.action),
            "count": self.count, "skip": self.skip, "status": self.status, "hits": self.hits,
            "seconds": self.seconds, "after_bytes": self.after_bytes,
        }  # fmt: skip

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        if self.method and self.method != method.upper():
            return False
        return self._pattern.fullmatch(path) is not None

    @property
    def exhausted(self) -> bool:
        """Whether the rule has affected all the requests it was meant to."""
        return self.count >= 0 and self.hits >= self.skip + self.count


class FaultInjector:
    """Thread-safe set of fault rules; each request consumes at most one rule."""

    def __init__(self) -> None:
        """Start with no faults."""
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        """Add a rule; rules are tried in the order they were added."""
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        """A snapshot of the rules."""
        with self._lock:
            return list(self._rules)

    def take(self, method: str, path: str) -> FaultRule | None:
        """Return the fault to apply to this request, if any, and count it."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path):
                    continue
                rule.hits += 1
                if rule.hits > rule.skip:
                    return rule
                return None
        return None
