"""The CLI starts the exchange, prints its URLs and credentials and stops on SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.paths import ROOT


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_runs_until_signal(tmp_path: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own module
        [sys.executable, "-m", "src.brokers.paper", "--host", "127.0.0.1", "--port", "0",
         "--market", "synthetic", "--db", str(tmp_path / "p.db"), "--api-key", "k1",
         "--api-secret", "c2VjcmV0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while "API secret" not in lines and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if ":" in line:
            name, _, value = line.partition(": ")
            lines[name.strip()] = value.strip()
    try:
        assert lines["API key"] == "k1" and lines["API secret"] == "c2VjcmV0"
        assert lines["WebSocket URL"].endswith("/ws/v2")
        assert lines["WebSocket auth URL"].endswith("/ws-auth/v2")
        resp = httpx.get(lines["REST URL"] + "/0/public/Time", timeout=5)
        assert resp.json()["error"] == []
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Shutting down" in out
