"""A person's session in a real browser: log in to a paper bot's dashboard and use each control.

Playwright drives Debian's Chromium (``/usr/bin/chromium``, headless). Every control is clicked,
confirmed in the page's dialog, and checked where it matters: at the paper exchange (orders
cancelled, positions sold), in the runtime (paused, kill switch), and in the audit log.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.integration.ops.paper_bot import SYMBOL, PaperBot, paper_bot
from tests.support.waiting import eventually

CHROMIUM = Path("/usr/bin/chromium")
OPERATOR = "e2e-operator"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM}: install Debian's chromium package to run the e2e test",
    ),
]


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield await browser.new_page()
        finally:
            await browser.close()


async def _confirm(page: Page, action: str, question: str, *, symbol: str | None = None) -> None:
    """Click a control, check the dialog's question, confirm, and wait for the bot's answer."""
    selector = f'button.control[data-action="{action}"]'
    if symbol is not None:
        selector += f'[data-symbol="{symbol}"]'
    await page.click(selector)
    dialog = page.locator("#confirm")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#confirm-text")).to_contain_text(question)
    await page.click("#confirm-yes")
    await expect(dialog).to_be_hidden()
    done = re.compile(rf"^{re.escape(action)}: done: ")
    await expect(page.locator("#result")).to_have_text(done, timeout=15_000)


async def test_a_person_logs_in_and_every_control_acts_on_the_exchange(
    page: Page, tmp_path: Path
) -> None:
    risk_file = tmp_path / "risk.toml"
    risk_file.write_text("max_order_notional = 240\nkill_file = ''\n")
    async with paper_bot(tmp_path, risk_config=risk_file) as bot:
        await _session(page, bot, risk_file)
    with sqlite3.connect(bot.db) as raw:
        rows = raw.execute(
            "SELECT actor, action, outcome FROM audit_log WHERE kind = 'operator' ORDER BY id"
        ).fetchall()
    assert [(action, outcome) for _, action, outcome in rows] == [
        ("login", "ok"),
        ("pause", "ok"),
        ("resume", "ok"),
        ("cancel_all", "ok"),
        ("close_position", "ok"),
        ("close_all", "ok"),
        ("trip_kill", "ok"),
        ("reset_kill", "ok"),
        ("reload_risk", "ok"),
    ]
    assert {actor for actor, _, _ in rows} == {f"{OPERATOR} (dashboard, 127.0.0.1)"}


async def _session(page: Page, bot: PaperBot, risk_file: Path) -> None:
    url = bot.dashboard.url
    await page.goto(f"{url}/")
    assert page.url == f"{url}/login"  # no session: the login form first
    await page.fill("#secret", "not the token")
    await page.click("#login")
    await expect(page.locator("#login-error")).to_contain_text("wrong token or password")
    await page.fill("#name", OPERATOR)
    await page.fill("#secret", bot.token)
    await page.click("#login")
    await expect(page.locator("#mode")).to_have_text("PAPER")
    await expect(page.locator("#endpoint")).to_have_text(bot.exchange.rest_url)

    # The page follows the bot live: a position appears without a reload, then the chart.
    held = await bot.hold()
    row = page.locator(f'button[data-action="close_position"][data-symbol="{SYMBOL}"]')
    await expect(row).to_be_visible(timeout=10_000)
    await expect(page.locator("#equity-chart")).to_be_visible(timeout=10_000)
    baseline = await bot.btc()

    # Back leaves everything as it was.
    await page.click('button.control[data-action="trip_kill"]')
    await page.click("#confirm-no")
    assert not bot.runtime.risk.kill_switch.tripped

    await _confirm(page, "pause", "Pause new entries?")
    assert bot.runtime.risk.paused is not None
    await expect(page.locator("#pause-banner")).to_be_visible()
    await bot.signal(Decimal(2))  # the strategy wants more: refused while paused
    assert await bot.btc() == baseline
    await _confirm(page, "resume", "Resume new entries?")
    assert bot.runtime.risk.paused is None

    await bot.rest_order("20000")
    await _confirm(page, "cancel_all", "Cancel EVERY open order")
    assert await bot.open_orders() == []

    await _confirm(page, "close_position", f"Close the {SYMBOL} position", symbol=SYMBOL)
    await eventually(bot.btc, "the position sold", ok=lambda b: b == baseline - held, timeout=10)
    await expect(page.locator('[data-panel="positions"]')).to_contain_text("flat", timeout=10_000)

    again = await bot.hold()
    await _confirm(page, "close_all", "sell every position")
    await eventually(bot.btc, "all sold", ok=lambda b: b == baseline - held, timeout=10)
    assert again > 0

    await bot.rest_order("20000")
    await _confirm(page, "trip_kill", "Trip the kill switch?")
    assert bot.runtime.risk.kill_switch.tripped
    assert await bot.open_orders() == []
    await expect(page.locator("#kill-banner")).to_be_visible()
    await _confirm(page, "reset_kill", "Reset the kill switch?")
    assert not bot.runtime.risk.kill_switch.tripped
    await expect(page.locator("#kill-banner")).to_have_count(0, timeout=10_000)

    risk_file.write_text("max_order_notional = 120\n")
    await _confirm(page, "reload_risk", str(risk_file))
    assert bot.runtime.risk.limits.max_order_notional == Decimal(120)
