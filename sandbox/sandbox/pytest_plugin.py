"""pytest fixtures: one Domo and one Eloqua emulator per test session, reset before each test.

Fixtures:
    domo_server / eloqua_server: the running `ServerThread`s (session scope).
    domo: a reset `DomoControl` for the Domo emulator (function scope).
    eloqua: a reset `EloquaControl` for the Eloqua emulator (function scope).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.core.server import ServerThread
from sandbox.domo.app import DomoApp
from sandbox.domo.client import DomoControl
from sandbox.eloqua.app import EloquaApp
from sandbox.eloqua.client import EloquaControl


@pytest.fixture(scope="session")
def domo_server() -> Iterator[ServerThread]:
    """The Domo emulator on a free loopback port, for the whole session."""
    server = ServerThread(DomoApp()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def eloqua_server() -> Iterator[ServerThread]:
    """The Eloqua emulator on a free loopback port, for the whole session."""
    server = ServerThread(EloquaApp()).start()
    yield server
    server.stop()


@pytest.fixture
def domo(domo_server: ServerThread) -> DomoControl:
    """The Domo emulator, reset to its defaults."""
    control = DomoControl(domo_server.url)
    control.reset()
    return control


@pytest.fixture
def eloqua(eloqua_server: ServerThread) -> EloquaControl:
    """The Eloqua emulator, reset to its defaults."""
    control = EloquaControl(eloqua_server.url)
    control.reset()
    return control
