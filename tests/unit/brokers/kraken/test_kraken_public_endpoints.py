"""Public endpoints against recorded Kraken replies: parameters sent and results returned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import ConfigurationError
from src.core.execution import ExecutionEngine
from src.core.market_data import CandleSource
from tests.unit.brokers.kraken.kraken_helpers import load, ok


def _serve(router: respx.MockRouter, method: str, fixture: str) -> respx.Route:
    return router.get(f"/0/public/{method}").mock(
        return_value=httpx.Response(200, json=load(fixture))
    )


async def test_server_time_is_an_int(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    _serve(kraken, "Time", "nautilus/http_server_time.json")
    assert await adapter.get_server_time() == 1762820224


async def test_system_status(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    _serve(kraken, "SystemStatus", "nautilus/http_system_status.json")
    assert (await adapter.get_system_status())["status"] == "online"


async def test_assets_sends_comma_list(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    route = _serve(kraken, "Assets", "http_assets.json")
    result = await adapter.get_assets(["XBT", "USD"])
    assert result["XXBT"]["altname"] == "XBT"
    assert route.calls.last.request.url.params["asset"] == "XBT,USD"


async def test_asset_pairs_raw(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    result = await adapter.get_asset_pairs()
    assert result["XXBTZUSD"]["altname"] == "XBTUSD"
    raw = await adapter._request("AssetPairs")
    assert set(raw) == set(result)


async def test_ticker_keyed_by_pair(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    route = _serve(kraken, "Ticker", "nautilus/http_ticker.json")
    ticker = await adapter.get_ticker("XBTUSDT")
    assert ticker["XBTUSDT"]["c"][0] == "105899.40000"
    assert route.calls.last.request.url.params["pair"] == "XBTUSDT"
    assert route.calls.last.request.method == "GET"


async def test_order_book_with_count(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    route = _serve(kraken, "Depth", "nautilus/http_order_book.json")
    book = await adapter.get_order_book("XBTUSDT", count=10)
    assert book["XBTUSDT"]["asks"][0] == ["105944.30000", "0.136", 1762820248]
    assert route.calls.last.request.url.params["count"] == "10"


async def test_recent_trades_and_spread(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    trades = _serve(kraken, "Trades", "nautilus/http_trades.json")
    result = await adapter.get_recent_trades("XBTUSDT", since="1762795433", count=5)
    assert result["XBTUSDT"][0][6] == 10218208
    assert isinstance(result["last"], str)
    assert trades.calls.last.request.url.params["since"] == "1762795433"
    _serve(kraken, "Spread", "http_spread.json")
    spread = await adapter.get_spread("XBTUSD")
    assert spread["XXBTZUSD"][0] == [1688671834, "30292.10000", "30297.50000"]


async def test_public_request_sends_no_credentials(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    route = _serve(kraken, "Time", "nautilus/http_server_time.json")
    await adapter.request("Time")
    assert "API-Key" not in route.calls.last.request.headers
    assert "API-Sign" not in route.calls.last.request.headers


def _ohlc_pager(
    rows: list[list[object]], page: int
) -> tuple[list[int], Callable[[httpx.Request], httpx.Response]]:
    """Serve OHLC like Kraken: rows after ``since``, ``last`` = last committed open time."""
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        since = int(request.url.params.get("since", "0"))
        seen.append(since)
        chunk = [r for r in rows if int(str(r[0])) > since][:page]
        last = int(str(chunk[-2][0])) if len(chunk) > 1 else since
        return ok({"XXBTZUSD": chunk, "last": last})

    return seen, handler


async def test_fetch_candles_pages_past_the_window(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    rows = load("nautilus/http_ohlc.json")["result"]["XBTUSDT"]
    assert len(rows) == 721
    seen, handler = _ohlc_pager(rows, page=300)
    kraken.get("/0/public/OHLC").mock(side_effect=handler)
    start = datetime.fromtimestamp(rows[0][0], UTC)
    candles = await adapter.fetch_candles("BTC/USD", 1, since=start)
    assert len(seen) >= 3  # paged
    assert len(candles) == 720  # every committed candle once; the forming one left out
    times = [c.timestamp for c in candles]
    assert times == sorted(set(times))
    assert times[0] == start
    assert candles[0].symbol == "BTC/USD"
    assert candles[-1].close == Decimal(rows[-2][4])


async def test_get_ohlc_raw_and_interval_check(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    route = _serve(kraken, "OHLC", "nautilus/http_ohlc.json")
    result = await adapter.get_ohlc("XBTUSDT", interval=5, since=1762777020)
    assert isinstance(result["last"], int)
    assert route.calls.last.request.url.params["interval"] == "5"
    with pytest.raises(ConfigurationError, match="interval"):
        await adapter.fetch_candles("BTC/USD", 7)


def test_adapter_is_a_candle_source_and_an_execution_engine() -> None:
    adapter = KrakenAdapter(base_url="https://kraken.test")
    assert isinstance(adapter, CandleSource)
    assert isinstance(adapter, ExecutionEngine)
