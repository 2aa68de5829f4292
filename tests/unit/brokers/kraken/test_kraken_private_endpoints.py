"""Private read endpoints: balances, trade balance, positions, orders, fills, token, dead-man."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import ConfigurationError, MissingCredentialError
from src.core.execution import Liquidity, OrderStatus, OrderType, Side
from tests.unit.brokers.kraken.kraken_helpers import BASE_URL, fail, form, load, ok


def _serve(router: respx.MockRouter, method: str, fixture: str) -> respx.Route:
    return router.post(f"/0/private/{method}").mock(
        return_value=httpx.Response(200, json=load(fixture))
    )


async def test_account_uses_balance_ex_with_normalized_codes_and_holds(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    _serve(kraken, "BalanceEx", "http_balance_ex.json")
    balances = await adapter.get_account()
    assert balances["BTC"] == Decimal("0.05")
    assert balances["XXBT"] == Decimal("0.05")  # venue code as alias
    assert balances["ZUSD"] == balances["USD"] == Decimal("1000")
    assert balances["DOGE"] == Decimal("150")
    assert balances["BTC.M"] == Decimal("0.001")
    assert balances.available("USD") == Decimal("960")
    assert balances.details["ETH"].hold == Decimal("0.25")
    assert set(balances) == {"USD", "BTC", "ETH", "DOGE", "BTC.M"}


async def test_account_falls_back_to_balance_without_balance_ex_permission(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    kraken.post("/0/private/BalanceEx").mock(return_value=fail("EGeneral:Permission denied"))
    _serve(kraken, "Balance", "http_balance.json")
    balances = await adapter.get_account()
    assert balances["BTC"] == Decimal("0.05")
    assert balances["ETH2.S"] == Decimal("0.5")
    assert balances["USDT.F"] == Decimal("12.5")
    assert balances["DOT.P"] == Decimal("3")
    assert "XBT.M" in balances and balances["BTC.M"] == Decimal("0.001")


async def test_raw_balance_and_balance_ex(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    _serve(kraken, "Balance", "http_balance.json")
    _serve(kraken, "BalanceEx", "http_balance_ex.json")
    assert (await adapter.get_balance())["XXBT"] == "0.0500000000"
    assert (await adapter.get_balance_ex())["ZUSD"]["hold_trade"] == "40.0000"


async def test_trade_balance_strings(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    route = _serve(kraken, "TradeBalance", "http_trade_balance.json")
    tb = await adapter.get_trade_balance(asset="ZUSD")
    assert (tb["eb"], tb["mf"], tb["m"]) == ("1000.0000", "950.0000", "50.0000")
    assert form(route.calls.last.request)["asset"] == "ZUSD"


async def test_positions_are_aggregated_per_pair(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    route = _serve(kraken, "OpenPositions", "http_open_positions.json")
    positions = {p.symbol: p for p in await adapter.get_positions()}
    assert form(route.calls.last.request)["docalcs"] == "true"
    btc = positions["BTC/USD"]
    assert btc.quantity == Decimal("8.82412861") - Decimal("0.202") + Decimal("8")
    assert btc.average_price == (Decimal("104610.52842") + Decimal("145756.76856")) / (
        Decimal("8.82412861") + Decimal("8")
    )
    assert btc.unrealized_pnl == Decimal("248554.2042")
    assert positions["ETH/USD"].quantity == Decimal("-0.0000001")
    assert positions["ETH/USD"].side is Side.SELL


async def test_spot_account_has_no_positions(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    kraken.post("/0/private/OpenPositions").mock(return_value=ok({}))
    assert await adapter.get_positions() == []


async def test_open_orders_typed_and_dict_like(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    _serve(kraken, "OpenOrders", "http_open_orders.json")
    orders = await adapter.get_orders(status="open")
    assert [o.get("descr", {}).get("order") for o in orders] == [
        "buy 1.25000000 XBTUSD @ limit 30010.0",
        "sell 0.25000000 XBTUSD @ stop loss 27500.0 -> limit 27400.0",
    ]
    first, second = orders
    assert first.symbol == "BTC/USD"
    assert first.status is OrderStatus.PARTIALLY_FILLED
    assert first.remaining_quantity == Decimal("0.875")
    assert first.limit_price == Decimal("30010.0")
    assert first.client_order_id == "6d1b345e-2821-40e2-ad83-4ecb18a06876"
    assert first.created_at == datetime.fromtimestamp(1688666559.8974, UTC)
    assert second.order_type is OrderType.STOP_LOSS_LIMIT
    assert (second.stop_price, second.limit_price) == (Decimal("27500.0"), Decimal("27400.0"))
    assert second["userref"] == 45326


async def test_closed_orders(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    _serve(kraken, "ClosedOrders", "http_closed_orders.json")
    orders = {o.order_id: o for o in await adapter.get_orders(status="closed")}
    assert orders["O37652-RJWRT-IMO74O"].status is OrderStatus.CANCELED
    assert orders["O37652-RJWRT-IMO74O"].symbol == "XBTGBP"  # pair not loaded: kept as sent
    sold = orders["O6YDQ5-LOMWU-37YKEE"]
    assert (sold.status, sold.symbol, sold.average_price) == (
        OrderStatus.FILLED,
        "ETH/USD",
        Decimal("1850.04"),
    )
    with pytest.raises(ConfigurationError, match="status"):
        await adapter.get_orders(status="all")


async def test_query_orders(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    route = _serve(kraken, "QueryOrders", "http_query_orders.json")
    result = await adapter.query_orders(["OBCMZD-JIEE7-77TH3F", "OQCLML-BW3P3-BUCMWZ"], trades=True)
    assert result["OBCMZD-JIEE7-77TH3F"]["status"] == "closed"
    sent = form(route.calls.last.request)
    assert sent["txid"] == "OBCMZD-JIEE7-77TH3F,OQCLML-BW3P3-BUCMWZ"
    assert sent["trades"] == "true"


async def test_find_order_looks_in_open_then_closed(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    open_route = kraken.post("/0/private/OpenOrders").mock(return_value=ok({"open": {}}))
    _serve(kraken, "ClosedOrders", "http_closed_orders.json")
    found = await adapter.find_order("9f2c8b1a-3d4e-4f50-8a61-7b2c9d0e1f23")
    assert found is not None and found.order_id == "O37652-RJWRT-IMO74O"
    assert (
        form(open_route.calls.last.request)["cl_ord_id"] == "9f2c8b1a-3d4e-4f50-8a61-7b2c9d0e1f23"
    )
    assert await adapter.find_order("no-such-id") is None


async def test_fills_from_trades_history(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    route = _serve(kraken, "TradesHistory", "http_trades_history.json")
    since = datetime(2023, 7, 6, tzinfo=UTC)
    fills = await adapter.get_fills(since)
    assert float(form(route.calls.last.request)["start"]) == pytest.approx(since.timestamp())
    assert [f.fill_id for f in fills] == ["TCWJEG-FL4SZ-3FKGH6", "THVRQM-33VKH-UCI7BS"]
    eth, btc = fills
    assert (btc.symbol, btc.side, btc.quantity, btc.price) == (
        "BTC/USD",
        Side.BUY,
        Decimal("0.375"),
        Decimal("30010"),
    )
    assert (btc.fee, btc.fee_currency, btc.liquidity) == (
        Decimal("29.25975"),
        "USD",
        Liquidity.MAKER,
    )
    assert eth.liquidity is Liquidity.TAKER
    raw = await adapter.get_trades_history(start=1688667000)
    assert raw["count"] == 2


async def test_websockets_token_and_dead_man_switch(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    _serve(kraken, "GetWebSocketsToken", "http_get_websockets_token.json")
    assert (await adapter.get_websockets_token())["expires"] == 900
    route = _serve(kraken, "CancelAllOrdersAfter", "http_cancel_all_orders_after.json")
    result = await adapter.cancel_all_orders_after(60)
    assert result["triggerTime"] == "2023-03-24T17:42:56Z"
    assert form(route.calls.last.request)["timeout"] == "60"
    with pytest.raises(ConfigurationError):
        await adapter.cancel_all_orders_after(86400)


async def test_private_call_without_credentials_names_the_variables(
    kraken: respx.MockRouter,
) -> None:
    async with KrakenAdapter(base_url=BASE_URL) as anonymous:
        with pytest.raises(MissingCredentialError, match="KRAKEN_API_KEY"):
            await anonymous.get_balance()
