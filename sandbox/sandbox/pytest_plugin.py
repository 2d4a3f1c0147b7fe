"""pytest fixtures: one Domo and one Eloqua emulator per test session, reset before each test.

Fixtures:
    sandbox_servers: the two running `ServerThread`s (session scope).
    domo: a reset `DomoControl` for the Domo emulator (function scope).
    eloqua: a reset `EloquaControl` for the Eloqua emulator (function scope).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from sandbox.core.server import ServerThread
from sandbox.domo.app import DomoApp
from sandbox.domo.client import DomoControl
from sandbox.eloqua.app import EloquaApp
from sandbox.eloqua.client import EloquaControl


@dataclass
class SandboxServers:
    """Both running emulators."""

    domo: ServerThread
    eloqua: ServerThread


@pytest.fixture(scope="session")
def sandbox_servers() -> Iterator[SandboxServers]:
    """Start both emulators on free loopback ports for the whole session."""
    servers = SandboxServers(
        domo=ServerThread(DomoApp()).start(), eloqua=ServerThread(EloquaApp()).start()
    )
    yield servers
    servers.domo.stop()
    servers.eloqua.stop()


@pytest.fixture
def domo(sandbox_servers: SandboxServers) -> DomoControl:
    """The Domo emulator, reset to its defaults."""
    control = DomoControl(sandbox_servers.domo.url)
    control.reset()
    return control


@pytest.fixture
def eloqua(sandbox_servers: SandboxServers) -> EloquaControl:
    """The Eloqua emulator, reset to its defaults."""
    control = EloquaControl(sandbox_servers.eloqua.url)
    control.reset()
    return control
