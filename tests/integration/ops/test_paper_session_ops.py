"""``ktrade paper`` as a person starts it: dashboard, /metrics and alerts come up with the session.

The session runs in its own process (as from a terminal) on the in-process paper exchange; the
test reads the control file the dashboard writes, watches the bot through the dashboard's API
and ``/metrics``, steers it with ``ktrade pause`` and ``ktrade flatten``, and receives its fill
alerts on a local webhook double.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from src.cli.main import main
from src.ops.dashboard.control_file import ControlFile, control_file_for
from tests.integration.ops_alerts.doubles import webhook_receiver
from tests.support.paths import ROOT
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, metrics_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KTRADE_", "KRAKEN_"))}
    env.update(
        KTRADE_CONFIG=str(tmp_path / "config.toml"),
        KTRADE_DATA_DIR=str(tmp_path / "data"),
        KTRADE_DASHBOARD_PORT="0",  # a free port: the control file tells the CLI which
        KTRADE_METRICS_PORT=str(metrics_port),
    )
    return env


async def _ktrade(env: dict[str, str], *argv: str) -> tuple[int, str]:
    """``ktrade`` as a second terminal runs it: its own process, the session's config."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "src.cli", *argv, cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return int(proc.returncode or 0), out.decode()


async def test_a_paper_session_serves_its_dashboard_metrics_and_alerts(tmp_path: Path) -> None:
    metrics_port = _free_port()
    env = _env(tmp_path, metrics_port)
    db = tmp_path / "paper.sqlite"
    async with webhook_receiver() as hook:
        (tmp_path / "config.toml").write_text(
            f'[alerts]\nurls = ["json://127.0.0.1:{hook.port}/ktrade"]\n'
            'events = ["fill"]\ncheck_seconds = 0.5\nsession_summary = false\n'
        )
        session = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "src.cli", "paper", "--duration", "45", "--db", str(db),
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            record = await eventually(
                lambda: ControlFile.read(control_file_for(db)), "the control file", timeout=60
            )
            headers = {"Authorization": f"Bearer {record.token.get_secret_value()}"}
            async with httpx.AsyncClient(timeout=10) as http:
                state = (await http.get(f"{record.url}/api/state", headers=headers)).json()
                assert state["mode"] == "PAPER"
                refused = await http.get(f"{record.url}/api/state")
                assert refused.status_code == 401
                await eventually(lambda: hook.requests, "a fill alert", timeout=60)
                scrape = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
            assert "ktrade_fills_total" in scrape and 'mode="paper"' in scrape
            assert hook.requests[0]["body"]["title"].startswith("ktrade: fill ")

            code, out = await _ktrade(env, "pause", "--db", str(db), "--yes", "--note", "test")
            assert (code, out.strip()) == (0, "pause: done: new entries paused; exits still pass")
            code, out = await _ktrade(env, "flatten", "--db", str(db), "--yes")
            assert code == 0 and out.startswith("close_all: done: "), out
        finally:
            output, _ = await session.communicate()
    text = output.decode()
    assert session.returncode == 0, text
    assert "dashboard  127.0.0.1, a free port (URL printed below)" in text
    assert f"metrics    http://127.0.0.1:{metrics_port}/metrics" in text
    assert "alerts     1 destination(s) (json)" in text
    with sqlite3.connect(db) as raw:
        actions = [a for (a,) in raw.execute(
            "SELECT action FROM audit_log WHERE kind = 'operator' ORDER BY id")]  # fmt: skip
    assert actions[:2] == ["pause", "close_all"]
    # Flattened while paused: entries refused, so the session ends flat on both sides.
    for line in ("BTC/USD position", "ETH/USD position"):
        [row] = [r for r in text.splitlines() if r.startswith(line)]
        assert row.split()[-3:] == ["0", "0", "yes"], row


def test_a_taken_dashboard_port_stops_the_session_before_it_trades(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in _env(tmp_path, 0).items():
        monkeypatch.setenv(name, value)
    (tmp_path / "config.toml").write_text("")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("KTRADE_DASHBOARD_PORT", str(taken.getsockname()[1]))
        code = main(["paper", "--duration", "5", "--db", str(tmp_path / "p.sqlite")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "dashboard: cannot listen on 127.0.0.1:" in err and "--no-dashboard" in err
    assert "equity=" not in out  # the runtime never ran
