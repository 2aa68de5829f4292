"""python-kraken-sdk's futures client, unchanged, trades on the paper venue (it signs its own way).

The SDK signs ``query + body`` with a 1e8-per-second nonce, posts form bodies, puts PUT
parameters in the query and url-encodes the batch JSON: the venue must accept all of it.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from kraken.futures import Market, Trade, User

from src.venues.kraken_futures_paper import FuturesPaperExchange


async def test_python_kraken_sdk_futures_client(venue: FuturesPaperExchange) -> None:
    trade = Trade(key=venue.api_key, secret=venue.api_secret, url=venue.rest_url)
    user = User(key=venue.api_key, secret=venue.api_secret, url=venue.rest_url)
    market = Market(url=venue.rest_url)

    def run() -> None:
        tickers = market.get_tickers()
        assert any(t["symbol"] == "PF_XBTUSD" for t in tickers["tickers"])
        assert market.get_orderbook(symbol="PF_XBTUSD")["result"] == "success"
        placed = trade.create_order(
            orderType="lmt", size="0.01", symbol="PF_XBTUSD", side="buy", limitPrice=50000,
            cliOrdId="sdk-1",
        )  # fmt: skip
        assert placed["sendStatus"]["status"] == "placed"
        opened = user.get_open_orders()["openOrders"]
        assert [o["cliOrdId"] for o in opened] == ["sdk-1"]
        batch = trade.create_batch_order(batchorder_list=[
            {"order": "send", "order_tag": "1", "orderType": "lmt", "symbol": "PF_XBTUSD",
             "side": "buy", "size": 0.01, "limitPrice": 49000.0, "reduceOnly": False},
            {"order": "cancel", "cliOrdId": "sdk-1"},
        ])  # fmt: skip
        assert [r["status"] for r in batch["batchStatus"]] == ["placed", "cancelled"]
        filled = trade.create_order(orderType="mkt", size="0.01", symbol="PF_XBTUSD", side="sell")
        assert filled["sendStatus"]["orderEvents"][0]["type"] == "EXECUTION"
        assert user.get_open_positions()["openPositions"][0]["side"] == "short"
        assert len(trade.get_fills()["fills"]) == 1
        assert trade.cancel_all_orders()["cancelStatus"]["status"] == "cancelled"
        wallets = user.get_wallets()["accounts"]
        assert Decimal(str(wallets["flex"]["currencies"]["USD"]["quantity"])) < 10000

    await asyncio.to_thread(run)
