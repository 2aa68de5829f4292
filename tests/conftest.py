"""Test kinds by folder, the shared fixtures, and the no-socket rule for unit tests.

``tests/unit/`` is pure (no sockets, no subprocesses), ``tests/integration/`` uses real loopback
sockets, ``tests/conformance/`` runs every broker against its local venue, ``tests/docs/`` runs
the user's guide, ``tests/e2e/`` drives the dashboard in a real browser. Each test is marked
by its folder, so ``pytest -m unit`` selects exactly the unit folder, and every unit-marked
test runs under a guard that fails it if it connects or binds a socket or starts a process,
even when the code under test swallows the error.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paper import paper_exchange, paper_options

TESTS = Path(__file__).resolve().parent
KINDS: dict[str, tuple[str, ...]] = {
    "unit": ("unit",),
    "integration": ("integration",),
    "conformance": ("conformance", "integration"),
    "docs": ("docs", "integration"),
    "e2e": ("e2e", "integration"),
}
MARKERS = {
    "unit": "pure: no sockets, no subprocesses (tests/unit/)",
    "integration": "real loopback sockets (tests/integration/, conformance/, docs/)",
    "conformance": "the ExecutionEngine contract over every broker (tests/conformance/)",
    "docs": "the user's guide's code, run (tests/docs/)",
    "e2e": "a real browser (Playwright on Chromium) drives the dashboard (tests/e2e/)",
}

__all__ = ["paper_exchange", "paper_options"]


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def kind_of(path: Path) -> str | None:
    """The test kind of a file: its first folder under ``tests/`` (None outside the kinds)."""
    try:
        top = path.resolve().relative_to(TESTS).parts[0]
    except (ValueError, IndexError):
        return None
    return top if top in KINDS else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        kind = kind_of(item.path)
        if kind is None:  # tests/unit/test_test_layout.py says where it belongs
            continue
        if kind == "unit" and item.get_closest_marker("integration") is not None:
            raise pytest.UsageError(f"{item.nodeid}: marked integration but in tests/unit/")
        for marker in KINDS[kind]:
            item.add_marker(marker)


class SocketInUnitTestError(OSError):
    """A unit test tried to use the network or start a process.

    An ``OSError``, so code under test reacts as to a network failure; the guard fails the test
    at teardown whether or not that code swallowed it.
    """


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Forbid connect/bind and starting Python processes; returns the attempts (clear = forgive).

    Other processes stay allowed: libraries probe the system with them (``keyring`` runs
    ``ldconfig`` through ``ctypes.util.find_library``), and only a Python process could run an
    exchange behind the guard's back.
    """
    attempts: list[str] = []

    def refuse(what: str, address: Any) -> None:
        attempts.append(f"{what}({address!r})")
        raise SocketInUnitTestError(f"unit tests may not {what}: move the test to integration")

    def guarded(name: str) -> Any:
        def guard(sock: socket.socket, address: Any, *args: Any) -> Any:
            refuse(f"socket.{name}", address)

        return guard

    for name in ("connect", "connect_ex", "bind"):
        monkeypatch.setattr(socket.socket, name, guarded(name))
    execute_child = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def spawn(popen: subprocess.Popen[Any], argv: Any, *args: Any, **kwargs: Any) -> Any:
        program = str(argv[0] if isinstance(argv, list | tuple) else argv).split()[0]
        if program == sys.executable or Path(program).name.startswith("python"):
            refuse("subprocess.Popen", argv)
        return execute_child(popen, argv, *args, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "_execute_child", spawn)
    return attempts


@pytest.fixture(autouse=True)
def _operator_services_on_free_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    # Sessions serve a dashboard and /metrics by default on fixed ports; a bot the developer
    # runs meanwhile (or a second test run) must not make a test fail, nor a test reach it.
    monkeypatch.setenv("KTRADE_DASHBOARD_PORT", "0")
    monkeypatch.setenv("KTRADE_METRICS_PORT", "0")


@pytest.fixture(autouse=True)
def _unit_tests_use_no_socket(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("unit") is None:
        yield
        return
    attempts: list[str] = request.getfixturevalue("no_sockets")
    yield
    if attempts:
        pytest.fail(f"unit test used the network or a process: {attempts}", pytrace=False)
