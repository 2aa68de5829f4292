"""The dashboard of a paper bot over loopback HTTP: login, live state, and each control's effect.

Every control is checked at the exchange (its open orders, the account's BTC) and in the
audit log (who, what, how it went), not only in the dashboard's answer.
"""

from __future__ import annotations

import json
import re
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from src.core.errors import ConfigurationError
from src.ops.dashboard.control_file import ControlFile
from src.ops.dashboard.settings import DashboardSettings
from tests.integration.ops.paper_bot import SYMBOL, PaperBot, paper_bot
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PASSWORD = "a long paper password"


async def _login(http: aiohttp.ClientSession, url: str, secret: str) -> str:
    """Log in through the form; return the page's CSRF token."""
    async with http.post(f"{url}/login", data={"secret": secret, "name": "alice"}) as reply:
        assert reply.status == 200 and str(reply.url) == f"{url}/", reply.status
        page = await reply.text()
    found = re.search(r'<meta name="csrf" content="([^"]+)">', page)
    assert found is not None
    return found.group(1)


async def _control(
    http: aiohttp.ClientSession, url: str, action: str, csrf: str, **body: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{url}/api/control/{action}", json={"confirm": True, **body},
                         headers={"X-CSRF-Token": csrf}) as reply:  # fmt: skip
        return reply.status, await reply.json()


def _audit(db: Path, kind: str) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(db) as raw:
        return raw.execute(
            "SELECT actor, action, outcome, reason FROM audit_log WHERE kind = ? ORDER BY id",
            (kind,),
        ).fetchall()


async def test_everything_needs_a_login_and_the_token_is_shown_once(tmp_path: Path) -> None:
    async with paper_bot(tmp_path) as bot, aiohttp.ClientSession() as http:
        url, token = bot.dashboard.url, bot.token
        assert url.startswith("http://127.0.0.1:")
        assert bot.announced == [f"dashboard: {url}/  token: {token}"]
        async with http.get(f"{url}/", allow_redirects=False) as reply:
            assert (reply.status, reply.headers["Location"]) == (303, "/login")
        for path in ("/api/state", "/api/panels", "/api/audit"):
            async with http.get(url + path) as reply:
                assert reply.status == 401, path
        async with http.post(f"{url}/api/control/trip_kill", json={"confirm": True}) as reply:
            assert reply.status == 401
        async with http.post(f"{url}/login", data={"secret": "guess"}) as reply:
            assert reply.status == 401 and "wrong token or password" in await reply.text()
        assert not bot.runtime.risk.kill_switch.tripped
        # The bearer token works for the API; the CLI's control file holds it, private.
        record = ControlFile.read(bot.db.with_name("paper.dashboard.json"))
        assert (record.url, record.token.get_secret_value()) == (url, token)
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{url}/api/state", headers=headers) as reply:
            state = await reply.json()
        assert state["mode"] == "PAPER" and state["endpoint"] == bot.exchange.rest_url
        assert [h["name"] for h in state["health"]][:3] == ["REST", "stream fills", "stream orders"]
        async with http.get(f"{url}/static/dashboard.js") as reply:
            assert reply.status == 200 and "confirm-yes" in await reply.text()
        async with http.get(f"{url}/", headers=headers, allow_redirects=False) as reply:
            assert reply.status == 303  # the page itself wants a browser session
        control_file = bot.db.with_name("paper.dashboard.json")
    assert not control_file.exists()  # removed when the bot stopped
    with sqlite3.connect(bot.db) as raw:
        dumped = json.dumps(raw.execute("SELECT * FROM audit_log").fetchall())
    assert token not in dumped
    assert all(token not in line for line in bot.dashboard.log_tail.tail(500))


async def test_each_control_changes_the_exchange_and_is_audited(tmp_path: Path) -> None:
    risk_file = tmp_path / "risk.toml"
    async with paper_bot(tmp_path, risk_config=risk_file) as bot:
        jar = aiohttp.CookieJar(unsafe=True)  # the cookie belongs to 127.0.0.1, an IP address
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            await _checked_controls(bot, http, risk_file)
    operator = _audit(bot.db, "operator")
    assert [(a, o) for _, a, o, _ in operator] == [
        ("login", "ok"),
        ("pause", "ok"),
        ("resume", "ok"),
        ("close_position", "ok"),
        ("cancel_all", "ok"),
        ("reload_risk", "ok"),
        ("trip_kill", "ok"),
        ("reset_kill", "ok"),
    ]
    assert all(actor == "alice (dashboard, 127.0.0.1)" for actor, *_ in operator)
    decisions = _audit(bot.db, "decision")
    assert ("risk", "allowed", "allowed", "target") in decisions
    assert any(r[1] == "refused" and (r[3] or "").startswith("paused: ") for r in decisions)
    (config,) = [r for r in _audit(bot.db, "config") if r[1] == "risk_limits"]
    assert config[0].startswith("alice")


async def _checked_controls(bot: PaperBot, http: aiohttp.ClientSession, risk_file: Path) -> None:
    url = bot.dashboard.url
    csrf = await _login(http, url, bot.token)
    held = await bot.hold()
    assert held > 0
    baseline = await bot.btc()

    # The confirm step and the CSRF token are both required.
    async with http.post(f"{url}/api/control/pause", json={}, headers={"X-CSRF-Token": csrf}) as r:
        assert r.status == 400
    async with http.post(f"{url}/api/control/pause", json={"confirm": True}) as r:
        assert r.status == 403
    assert bot.runtime.risk.paused is None

    status, body = await _control(http, url, "pause", csrf, note="drill")
    assert status == 200 and body["ok"]
    await bot.signal(Decimal(2))  # wants to double the position: refused, paused
    assert bot.runtime.risk.refusals["paused"] >= 1
    assert await bot.btc() == baseline
    status, body = await _control(http, url, "resume", csrf)
    assert body["ok"]

    status, body = await _control(http, url, "close_position", csrf, symbol=SYMBOL)
    assert (status, body["ok"]) == (200, True), body
    await eventually(bot.btc, "the position sold", ok=lambda b: b == baseline - held, timeout=10)
    await eventually(lambda: bot.runtime.portfolio.position(SYMBOL).quantity == 0, "booked flat")

    await bot.rest_order("20000")
    await bot.rest_order("21000")
    assert len(await bot.open_orders()) == 2
    status, body = await _control(http, url, "cancel_all", csrf)
    assert body["ok"] and body["detail"]["count"] == 2
    assert await bot.open_orders() == []

    risk_file.write_text("max_order_notional = 50\nkill_file = ''\n".replace("''", '"KILL2"'))
    status, body = await _control(http, url, "reload_risk", csrf)
    assert body["ok"] and bot.runtime.risk.limits.max_order_notional == Decimal(50)

    await bot.rest_order("20000")
    status, body = await _control(http, url, "trip_kill", csrf)
    assert body["ok"] and bot.runtime.risk.kill_switch.tripped
    assert await bot.open_orders() == []
    async with http.get(f"{url}/api/panels") as reply:
        assert "KILL SWITCH TRIPPED" in (await reply.json())["header"]
    status, body = await _control(http, url, "reset_kill", csrf)
    assert body["ok"] and not bot.runtime.risk.kill_switch.tripped
    status, body = await _control(http, url, "close_position", csrf)
    assert (status, body["ok"]) == (400, False)  # no symbol: refused before anything runs
    assert "needs a symbol" in body["message"]


async def test_a_public_address_is_served_only_with_a_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="needs a password"):
        DashboardSettings(host="0.0.0.0", _env_file=None)
    async with paper_bot(tmp_path, host="0.0.0.0", password=SecretStr(PASSWORD)) as bot:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            assert bot.dashboard.url.startswith("http://127.0.0.1:")
            csrf = await _login(http, bot.dashboard.url, PASSWORD)
            async with http.get(f"{bot.dashboard.url}/api/state") as reply:
                assert (await reply.json())["kill_switch"]["tripped"] is False
            async with http.post(f"{bot.dashboard.url}/logout", data={"csrf": csrf}) as reply:
                assert str(reply.url).endswith("/login")
            async with http.get(f"{bot.dashboard.url}/api/state") as reply:
                assert reply.status == 401
        assert PASSWORD not in " ".join(bot.announced)
