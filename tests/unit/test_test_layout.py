"""Tests are sorted by kind, and ``pytest -m unit`` really runs no socket."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.conftest import KINDS, SocketInUnitTestError, kind_of
from tests.support.paths import ROOT

TESTS = ROOT / "tests"


def test_every_test_module_is_in_a_kind_folder() -> None:
    stray = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("test_*.py"))
        if kind_of(path) is None
    ]
    assert stray == [], f"put these under tests/{{{','.join(KINDS)}}}/: {stray}"


def test_this_file_is_marked_unit_by_its_folder(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("unit") is not None
    assert request.node.get_closest_marker("integration") is None


def test_a_unit_test_cannot_bind_connect_or_start_python(no_sockets: list[str]) -> None:
    with socket.socket() as sock:
        with pytest.raises(SocketInUnitTestError):
            sock.bind(("127.0.0.1", 0))
        with pytest.raises(SocketInUnitTestError):
            sock.connect(("127.0.0.1", 9))
        assert sock.connect_ex.__name__ == "guard"
    with pytest.raises(SocketInUnitTestError):  # a Python process could run an exchange
        subprocess.run([sys.executable, "-c", "pass"], check=False)
    assert subprocess.run(["/bin/sh", "-c", ":"], check=False).returncode == 0  # probes may run
    assert [a.split("(")[0] for a in no_sockets] == [
        "socket.bind",
        "socket.connect",
        "subprocess.Popen",
    ]
    no_sockets.clear()  # the attempts above were the point; forgive them


async def test_a_swallowed_socket_error_still_fails_the_test(no_sockets: list[str]) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.HTTPError):  # the adapter-style code sees a network error...
            await client.get("http://127.0.0.1:9/")
    assert no_sockets, "...and the guard has recorded the attempt, which fails a unit test"
    no_sockets.clear()
