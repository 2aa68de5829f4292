"""The user's guide examples, run as written, against a respx-shaped Kraken.

The guide builds ``KrakenAdapter(api_key=..., api_secret=...)`` without a base URL: the
adapter follows ``KRAKEN_API_URL``, which is how these run against the mocked host.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import respx

from src.brokers.credentials import BrokerCredentials
from src.brokers.kraken_adapter import KrakenAdapter
from tests.unit.brokers.kraken.kraken_helpers import API_KEY, BASE_URL, DOC_SECRET, load, ok


class StopLoop(Exception):
    """Ends the guide's endless monitor loop after its first pass."""


@pytest.fixture
def guide_env(
    kraken: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> respx.MockRouter:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("KRAKEN_API_URL", BASE_URL)
    monkeypatch.setenv("KRAKEN_API_KEY", API_KEY)
    monkeypatch.setenv("KRAKEN_API_SECRET", DOC_SECRET)
    ticker = load("nautilus/http_ticker.json")["result"]["XBTUSDT"]
    kraken.get("/0/public/Ticker").mock(return_value=ok({"XXBTZUSD": ticker}))
    kraken.post("/0/private/BalanceEx").mock(
        return_value=httpx.Response(200, json=load("http_balance_ex.json"))
    )
    kraken.post("/0/private/TradeBalance").mock(
        return_value=httpx.Response(200, json=load("http_trade_balance.json"))
    )
    kraken.post("/0/private/OpenOrders").mock(
        return_value=httpx.Response(200, json=load("http_open_orders.json"))
    )
    kraken.post("/0/private/ClosedOrders").mock(
        return_value=httpx.Response(200, json=load("http_closed_orders.json"))
    )
    kraken.post("/0/private/OpenPositions").mock(return_value=ok({}))
    kraken.post("/0/private/AddOrder").mock(
        return_value=httpx.Response(200, json=load("http_add_order.json"))
    )
    kraken.post("/0/private/CancelOrder").mock(return_value=ok({"count": 1}))
    # The default rate-limit gate looks up an order placed elsewhere (its pair and age).
    kraken.post("/0/private/QueryOrders").mock(
        return_value=httpx.Response(200, json=load("http_query_orders.json"))
    )
    return kraken


async def test_architecture_overview_example(guide_env: respx.MockRouter) -> None:
    creds = BrokerCredentials()

    async with KrakenAdapter(
        api_key=creds.kraken_api_key.get_secret_value(),  # type: ignore[union-attr]
        api_secret=creds.kraken_api_secret.get_secret_value(),  # type: ignore[union-attr]
    ) as adapter:
        balances = await adapter.get_account()
        ticker = await adapter.get_ticker("XXBTZUSD")
        from src.core.execution import Order, OrderType, Side

        order = Order(
            symbol="BTC/USD",
            side=Side.BUY,
            quantity=0.001,
            order_type=OrderType.LIMIT,
            limit_price=40000.0,
        )
        await adapter.submit_orders([order])
    assert "BTC" in balances and "XXBTZUSD" in ticker
    assert guide_env.routes  # all served by the mock
    assert adapter.base_url == BASE_URL


async def test_api_reference_examples(guide_env: respx.MockRouter) -> None:
    creds = BrokerCredentials()
    async with KrakenAdapter(
        api_key=creds.kraken_api_key.get_secret_value(),  # type: ignore[union-attr]
        api_secret=creds.kraken_api_secret.get_secret_value(),  # type: ignore[union-attr]
    ) as adapter:
        guide_env.get("/0/public/Time").mock(
            return_value=httpx.Response(200, json=load("nautilus/http_server_time.json"))
        )
        timestamp = await adapter.get_server_time()
        assert isinstance(timestamp, int)
        ticker = await adapter.get_ticker("XXBTZUSD")
        assert set(ticker["XXBTZUSD"]) >= {"a", "b", "c"}
        balances = await adapter.get_account()
        assert balances["ZUSD"] == balances["USD"]
        trade_balance = await adapter.get_trade_balance(asset="ZUSD")
        assert float(trade_balance["eb"]) == 1000.0
        positions = await adapter.get_positions()
        assert positions == []
        open_orders = await adapter.get_orders(status="open")
        closed_orders = await adapter.get_orders(status="closed")
        assert len(open_orders) == 2 and len(closed_orders) == 2

        from src.core.execution import Order, OrderType, Side

        order = Order(
            symbol="ETH/USD",
            side=Side.BUY,
            quantity=0.5,
            order_type=OrderType.LIMIT,
            limit_price=2500.0,
        )
        await adapter.submit_orders([order])
        await adapter.cancel_order(order_id="O7MN22-ZCX7J-TGLQHD")

        result = await adapter._request("AssetPairs")
        names = list(result.keys())
        assert "XXBTZUSD" in names and "XDGUSD" in names


async def test_example_1_check_balance(
    guide_env: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    async def check_balance() -> None:
        creds = BrokerCredentials()

        async with KrakenAdapter(
            api_key=creds.kraken_api_key.get_secret_value(),  # type: ignore[union-attr]
            api_secret=creds.kraken_api_secret.get_secret_value(),  # type: ignore[union-attr]
        ) as adapter:
            balances = await adapter.get_account()
            trade_balance = await adapter.get_trade_balance()

            print(f"Equity: ${float(trade_balance['eb']):,.2f}")
            print(f"Free Margin: ${float(trade_balance['mf']):,.2f}")

            for asset, amount in balances.items():
                if float(amount) > 0:
                    print(f"{asset}: {amount}")

    await check_balance()
    out = capsys.readouterr().out
    assert "Equity: $1,000.00" in out and "Free Margin: $950.00" in out
    assert "BTC: 0.0500000000" in out and "USD: 1000.0000" in out


async def test_example_2_btc_price(
    guide_env: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    async def get_btc_price() -> None:
        creds = BrokerCredentials()

        async with KrakenAdapter(
            api_key=creds.kraken_api_key.get_secret_value(),  # type: ignore[union-attr]
            api_secret=creds.kraken_api_secret.get_secret_value(),  # type: ignore[union-attr]
        ) as adapter:
            ticker = await adapter.get_ticker("XXBTZUSD")
            btc_data = ticker["XXBTZUSD"]

            last_price = float(btc_data["c"][0])
            print(f"BTC/USD: ${last_price:,.2f}")

    await get_btc_price()
    assert "BTC/USD: $105,899.40" in capsys.readouterr().out


async def test_example_3_place_limit_order(guide_env: respx.MockRouter) -> None:
    from src.core.execution import Order, OrderType, Side

    async def place_order() -> None:
        creds = BrokerCredentials()

        async with KrakenAdapter(
            api_key=creds.kraken_api_key.get_secret_value(),  # type: ignore[union-attr]
            api_secret=creds.kraken_api_secret.get_secret_value(),  # type: ignore[union-attr]
        ) as adapter:
            order = Order(
                symbol="BTC/USD",
                side=Side.BUY,
                quantity=0.001,
                order_type=OrderType.LIMIT,
                limit_price=40000.0,
            )

            await adapter.submit_orders([order])
            print("✓ Order placed!")

    await place_order()
    sent = [c.request for c in guide_env.calls if c.request.url.path.endswith("AddOrder")]
    assert len(sent) == 1 and b"price=40000.0" in sent[0].content


async def test_example_4_monitor_orders(
    guide_env: respx.MockRouter,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def stop(_: float) -> None:
        raise StopLoop

    async def monitor_orders() -> None:
        creds = BrokerCredentials()

        async with KrakenAdapter(
            api_key=creds.kraken_api_key.get_secret_value(),  # type: ignore[union-attr]
            api_secret=creds.kraken_api_secret.get_secret_value(),  # type: ignore[union-attr]
        ) as adapter:
            while True:
                orders = await adapter.get_orders(status="open")
                print(f"Open orders: {len(orders)}")

                for order in orders:
                    print(f"  - {order.get('descr', {}).get('order', 'N/A')}")

                await asyncio.sleep(10)  # Check every 10 seconds

    monkeypatch.setattr(asyncio, "sleep", stop)
    with pytest.raises(StopLoop):
        await monitor_orders()
    out = capsys.readouterr().out
    assert "Open orders: 2" in out
    assert "  - buy 1.25000000 XBTUSD @ limit 30010.0" in out
