"""``ktrade pause|resume|cancel-all|flatten`` against a running paper bot, through its dashboard."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from src.cli.main import main
from tests.integration.ops.paper_bot import SYMBOL, paper_bot
from tests.support.waiting import eventually
from tests.unit.cli.cli_support import Home, home

__all__ = ["home"]
pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def _ktrade(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``ktrade`` in a thread: the bot answers on this test's event loop meanwhile."""
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_the_cli_steers_a_running_bot(
    home: Home, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with paper_bot(tmp_path) as bot:
        db = str(bot.db)
        code, out, err = await _ktrade(capsys, "pause", "--db", db)
        assert code == 2 and "add --yes" in err  # no terminal to confirm at: refused
        assert bot.runtime.risk.paused is None

        code, out, _ = await _ktrade(capsys, "pause", "--db", db, "--yes", "--note", "maintenance")
        assert (code, out.strip()) == (0, "pause: done: new entries paused; exits still pass")
        assert bot.runtime.risk.paused is not None and "maintenance" in bot.runtime.risk.paused
        code, out, _ = await _ktrade(capsys, "resume", "--db", db, "-y")
        assert code == 0 and bot.runtime.risk.paused is None

        await bot.rest_order("20000")
        code, out, _ = await _ktrade(capsys, "cancel-all", "--db", db, "--yes")
        assert (code, out.strip()) == (0, "cancel_all: done: 1 orders cancelled")
        assert await bot.open_orders() == []

        before = await bot.btc()
        held = await bot.hold()
        code, out, _ = await _ktrade(capsys, "flatten", "--db", db, "--symbol", SYMBOL, "--yes")
        assert code == 0, out
        await eventually(bot.btc, "sold", ok=lambda b: b == before, timeout=10)

        await eventually(lambda: bot.runtime.portfolio.position(SYMBOL).quantity == 0, "flat")
        code, out, _ = await _ktrade(capsys, "flatten", "--db", db, "--symbol", SYMBOL, "--yes")
        assert code == 1 and "no position to close" in out  # already flat: said, not hidden

        await bot.signal(Decimal(0))  # the strategy wants flat too: nothing re-enters
        held = await bot.hold()
        code, out, _ = await _ktrade(capsys, "flatten", "--db", db, "--yes")
        assert code == 0 and "1 closing orders sent" in out
        await eventually(bot.btc, "sold all", ok=lambda b: b == before, timeout=10)
        assert held > 0

    with sqlite3.connect(bot.db) as raw:
        rows = raw.execute(
            "SELECT actor, action, outcome FROM audit_log WHERE kind = 'operator' ORDER BY id"
        ).fetchall()
    assert [(a, o) for _, a, o in rows] == [
        ("pause", "ok"),
        ("resume", "ok"),
        ("cancel_all", "ok"),
        ("close_position", "ok"),
        ("close_position", "failed"),
        ("close_all", "ok"),
    ]
    assert all(actor.endswith("(cli) (api, 127.0.0.1)") for actor, _, _ in rows)

    code, _, err = await _ktrade(capsys, "pause", "--db", str(bot.db), "--yes")
    assert code == 1 and "no dashboard is running" in err


async def test_url_and_token_from_the_environment(
    home: Home, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with paper_bot(tmp_path) as bot:
        url = bot.dashboard.url
        code, _, err = await _ktrade(capsys, "pause", "--url", url, "--yes")
        assert code == 2 and "KTRADE_DASHBOARD_TOKEN" in err
        monkeypatch.setenv("KTRADE_DASHBOARD_TOKEN", "wrong-token")
        code, _, err = await _ktrade(capsys, "pause", "--url", url, "--yes")
        assert code == 1 and "HTTP 401" in err
        assert bot.runtime.risk.paused is None
        monkeypatch.setenv("KTRADE_DASHBOARD_TOKEN", bot.token)
        code, out, _ = await _ktrade(capsys, "pause", "--url", url, "--yes")
        assert code == 0 and bot.runtime.risk.paused is not None
        assert bot.token not in out
