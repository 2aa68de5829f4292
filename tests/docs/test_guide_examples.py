"""The guide's whole examples, run verbatim from KRAKEN_INTEGRATION.md against a paper exchange."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import types
from decimal import Decimal
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import AccountBalances
from src.venues.alpaca_sim import AlpacaSim
from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.exchange import DEMO_ACCOUNT
from tests.docs.conftest import BTC_PRICE, assert_btc_order_resting, btc_order, guide_names
from tests.docs.guide_blocks import GUIDE, ROOT, block, run_fragment, run_script

pytestmark = pytest.mark.timeout(30)

#: What Example 1 ("continue the file") leaves defined for Examples 2 to 5.
EXAMPLE_1_IMPORTS = "\n".join(block("ex1").code.splitlines()[:3])


async def _prelude(*extra: str) -> dict[str, Any]:
    """Example 1's imports (and, from Example 3 on, Example 3's), as the guide says."""
    ns: dict[str, Any] = {}
    exec(EXAMPLE_1_IMPORTS, ns)  # noqa: S102
    for line in extra:
        exec(line, ns)  # noqa: S102
    return ns


async def test_architecture_overview_places_the_order(guide_env: PaperExchange) -> None:
    ns = await run_fragment(block("arch"), {})

    balances = ns["balances"]
    assert isinstance(balances, AccountBalances)
    assert balances["USD"] == Decimal("10000") and balances["XXBT"] == Decimal("0.5")
    assert Decimal(ns["ticker"]["XXBTZUSD"]["c"][0]) == BTC_PRICE
    assert_btc_order_resting(guide_env, ns["order"].client_order_id)


async def test_example_1_prints_equity_and_every_balance(
    guide_env: PaperExchange, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_script(block("ex1"))

    lines = capsys.readouterr().out.splitlines()
    trade_balance = guide_env.service.query("TradeBalance", DEMO_ACCOUNT, {})
    assert lines[0] == f"Equity: ${float(trade_balance['eb']):,.2f}"
    assert lines[1] == f"Free Margin: ${float(trade_balance['mf']):,.2f}"
    raw = guide_env.service.query("Balance", DEMO_ACCOUNT, {})
    shown = {asset: Decimal(amount) for asset, amount in (x.split(": ") for x in lines[2:])}
    assert shown == {
        "USD": Decimal(raw["ZUSD"]),
        "BTC": Decimal(raw["XXBT"]),
        "ETH": Decimal(raw["XETH"]),
        "SOL": Decimal(raw["SOL"]),
        "XRP": Decimal(raw["XXRP"]),
        "DOGE": Decimal(raw["XXDG"]),
    }


async def test_example_2_prints_the_last_btc_price(
    guide_env: PaperExchange, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_script(block("ex2"), await _prelude())

    assert capsys.readouterr().out == "BTC/USD: $60,000.00\n"


async def test_example_3_places_the_limit_order(
    guide_env: PaperExchange, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_script(block("ex3"), await _prelude())

    assert capsys.readouterr().out == "✓ Order placed!\n"
    assert_btc_order_resting(guide_env)


class _StopMonitor(Exception):
    """Raised by the monitor's first ``asyncio.sleep``: one full pass of the loop is enough."""


async def test_example_4_monitor_prints_kraken_order_descriptions(
    guide_env: PaperExchange, adapter: KrakenAdapter, capsys: pytest.CaptureFixture[str]
) -> None:
    await adapter.submit_orders([btc_order()])
    sleeps: list[float] = []

    async def first_sleep_stops(seconds: float) -> None:
        sleeps.append(seconds)
        raise _StopMonitor

    ns = await _prelude()
    ns["asyncio"] = types.SimpleNamespace(run=asyncio.run, sleep=first_sleep_stops)

    with pytest.raises(_StopMonitor):
        await run_script(block("ex4"), ns)

    assert sleeps == [10]
    assert capsys.readouterr().out.splitlines() == [
        "Open orders: 1",
        "  - buy 0.00100000 XBTUSD @ limit 40000.0",
    ]


async def test_example_5_as_written_is_not_python() -> None:
    assert not block("ex5").compiles()  # `Order(..., quantity=10, ...)`: see the runnable one


async def test_example_5_runnable_trades_on_alpaca_and_kraken(
    guide_env: PaperExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with AlpacaSim() as sim:
        monkeypatch.setenv("ALPACA_API_KEY", sim.api_key)
        monkeypatch.setenv("ALPACA_API_SECRET", sim.api_secret)
        monkeypatch.setenv("ALPACA_BASE_URL", sim.base_url)
        ns = await _prelude("from src.core.execution import Order, OrderType, Side")

        await run_script(block("ex5-runnable"), ns)

        (stock,) = sim.state.orders.values()
        assert (stock.asset.symbol, stock.side, stock.type, stock.qty) == (
            "AAPL",
            "buy",
            "market",
            Decimal("10"),
        )
    assert_btc_order_resting(guide_env)


async def test_multi_endpoint_limiter_admits_the_order(
    guide_env: PaperExchange, adapter: KrakenAdapter
) -> None:
    order = btc_order()
    ns = await run_fragment(block("multi-endpoint"), guide_names(adapter, order=order))

    assert_btc_order_resting(guide_env, order.client_order_id)
    add_order = ns["limiter"].limiter_for("/0/private/AddOrder")
    assert (add_order.max_requests, add_order.time_window) == (15, 1.0)
    await _assert_one_slot_taken(add_order, 15)


async def test_troubleshooting_limiter_admits_the_balance_call(
    guide_env: PaperExchange, adapter: KrakenAdapter
) -> None:
    ns = await run_fragment(block("troubleshoot-rate-limit"), guide_names(adapter))

    await _assert_one_slot_taken(ns["limiter"], 10)


async def _assert_one_slot_taken(limiter: Any, size: int) -> None:
    """The block's call holds one slot of the window: ``size - 1`` more fit, then it is full."""
    for _ in range(size - 2):
        await limiter.acquire()
    assert limiter.wait_time() == 0
    await limiter.acquire()
    assert limiter.wait_time() > 0


class _MemoryKeyring(KeyringBackend):
    """An OS keyring stand-in that keeps passwords in a dict."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.store[(service, username)]


async def test_keyring_credentials_win_over_the_environment(
    guide_env: PaperExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(_MemoryKeyring())
    try:
        keyring.set_password("kraken-ml-trader", "KRAKEN_API_KEY", guide_env.api_key)
        keyring.set_password("kraken-ml-trader", "KRAKEN_API_SECRET", guide_env.api_secret)
        monkeypatch.setenv("KRAKEN_API_KEY", "stale-key-from-env")
        ns = await run_fragment(block("keyring"), {})
    finally:
        keyring.set_keyring(previous)

    creds = ns["creds"]
    assert creds.kraken_api_key.get_secret_value() == guide_env.api_key
    assert guide_env.api_key not in repr(creds)
    async with KrakenAdapter(
        creds.kraken_api_key.get_secret_value(), creds.kraken_api_secret.get_secret_value()
    ) as kraken:
        assert (await kraken.get_account())["USD"] == Decimal("10000")


async def test_paper_in_process_example_prints_a_price(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("KRAKEN_API_URL", "KRAKEN_API_KEY", "KRAKEN_API_SECRET", "KRAKEN_TIER"):
        monkeypatch.delenv(name, raising=False)

    await run_script(block("paper-in-process"))

    out = capsys.readouterr().out
    assert out.startswith("paper BTC/USD last: ")
    assert Decimal(out.split(": ")[1]) > 0


async def test_connection_check_prints_what_the_guide_shows(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    guide = GUIDE.read_text(encoding="utf-8")
    expected = guide.split("Expected output", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    script = importlib.util.spec_from_file_location(
        "conn_check", ROOT / "examples" / "test_kraken_connection.py"
    )
    assert script is not None and script.loader is not None
    module = importlib.util.module_from_spec(script)
    monkeypatch.setitem(sys.modules, "conn_check", module)  # its dataclasses look it up
    script.loader.exec_module(module)

    status = await asyncio.to_thread(module.main, ["--paper"])

    out = capsys.readouterr().out
    assert status == 0
    summary = out[out.index("✅ ALL TESTS PASSED!") :].strip().splitlines()
    shown = expected.strip().splitlines()
    assert summary[:4] == shown[:4]  # verdict, blank line, balances header
    assert sorted(summary[4:]) == sorted(shown[4:])  # one line per asset, any order
