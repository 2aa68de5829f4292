"""Every Kraken spot pair and asset from the shipped snapshots, markets built on first use."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import websockets

from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.pairs import ORIGINAL
from tests.integration.paper.kraken_client import Client
from tests.support.paper import PaperOptions, start_paper


async def test_fiat_and_crypto_crosses_named_as_on_kraken(client: Client) -> None:
    for name, key, alt, base, quote in (
        ("DOT/EUR", "DOT/EUR", "DOTEUR", "DOT", "ZEUR"),
        ("ETH/BTC", "ETH/BTC", "ETHXBT", "XETH", "XXBT"),
        ("XBTGBP", "XXBTZGBP", "XBTGBP", "XXBT", "ZGBP"),
        ("ETHCAD", "XETHZCAD", "ETHCAD", "XETH", "ZCAD"),
        ("EUR/USD", "EUR/USD", "EURUSD", "ZEUR", "ZUSD"),
    ):
        (entry,) = (await client.public("AssetPairs", pair=name))["result"].items()
        assert entry[0] == key, name
        assert (entry[1]["altname"], entry[1]["base"], entry[1]["quote"]) == (alt, base, quote)
        assert entry[1]["status"] == "online"
    # stablecoin/FX pairs keep their own schedule; crypto pairs the 2025 one
    usdt = (await client.public("AssetPairs", pair="USDTUSD", info="fees"))["result"]["USDTZUSD"]
    assert usdt["fees"][0] == [0, 0.2]
    doge = (await client.public("AssetPairs", pair="XDGUSD"))["result"]["XDGUSD"]
    assert doge["tick_size"] == "0.0000001"  # fixed point, never 1E-7


async def test_assets_with_legacy_ids_and_suffixed_balances(client: Client) -> None:
    assert (await client.public("Assets", asset="EUR"))["result"] == {
        "ZEUR": {"aclass": "currency", "altname": "EUR", "decimals": 4, "display_decimals": 2,
                 "collateral_value": 1.0, "status": "enabled"},
    }  # fmt: skip
    every = (await client.public("Assets"))["result"]
    assert len(every) == 296 and {"XXBT", "ZCAD", "DOT", "ETH2.S", "XBT.M", "DOT.P"} <= set(every)
    reward = (await client.public("Assets", asset="USDT.F"))["result"]
    assert reward["USDT.F"]["decimals"] == every["USDT"]["decimals"]


async def test_trading_dot_eur_from_a_euro_account(exchange: PaperExchange) -> None:
    assert set(exchange.markets) == set(ORIGINAL)  # nothing else built at start
    account = exchange.create_account({"EUR": "1000", "ETH2.S": "1.5"}, "euro")
    key, secret = exchange.create_api_key(account=account)
    client = Client(exchange.rest_url, key, secret)
    try:
        ticker = (await client.public("Ticker", pair="DOTEUR"))["result"]["DOTEUR"]
        assert "DOTEUR" in exchange.markets and exchange.market_label("DOT/EUR") == "synthetic"
        ask = Decimal(ticker["a"][0])
        res = await client.ok("AddOrder", pair="DOT/EUR", type="buy", ordertype="market",
                              volume="10")  # fmt: skip
        assert res["descr"]["order"] == "buy 10.00000000 DOTEUR @ market"
        order = (await client.ok("QueryOrders", txid=res["txid"][0]))[res["txid"][0]]
        assert order["status"] == "closed" and Decimal(order["price"]) >= ask
        balance = await client.ok("Balance")
        assert Decimal(balance["DOT"]) == Decimal(10) and balance["ETH2.S"] == "1.5000000000"
        paid = Decimal(order["cost"]).quantize(Decimal("0.0001"))  # EUR's ledger decimals
        assert Decimal(balance["ZEUR"]) == Decimal(1000) - paid - Decimal(order["fee"])
        ohlc = (await client.public("OHLC", pair="DOTEUR"))["result"]["DOTEUR"]
        assert len(ohlc) == 721 and all(Decimal(r[4]) % Decimal("0.0001") == 0 for r in ohlc)
    finally:
        await client.aclose()


async def test_a_built_pair_moves_and_streams(exchange: PaperExchange) -> None:
    async with websockets.connect(exchange.ws_url) as ws:
        params = {"channel": "book", "symbol": ["ADA/EUR"], "depth": 10}
        await ws.send(json.dumps({"method": "subscribe", "params": params}))
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("channel") == "book":
                break
        assert frame["type"] == "snapshot" and len(frame["data"][0]["bids"]) == 10
    market = exchange.markets["ADAEUR"]
    before = len(market.tape)
    await exchange.step()
    assert len(market.tape) == before + 1  # it moves with the original pairs


async def test_a_built_pair_resumes_after_a_restart(tmp_path: Path) -> None:
    options = PaperOptions(db_path=str(tmp_path / "paper.db"))
    async with start_paper(options) as ex:
        ex.markets["XXBTZEUR"]
        await ex.step()
        last, next_id = ex.markets["XXBTZEUR"].last, ex.markets["XXBTZEUR"].next_trade_id
    async with start_paper(options) as again:
        assert "XXBTZEUR" not in again.markets  # not built until asked for
        market = again.markets["XXBTZEUR"]
        assert market.last == last and market.next_trade_id >= next_id


async def test_an_idle_pair_is_dropped_unless_subscribed_or_ordered(
    exchange: PaperExchange,
) -> None:
    """One listing of every pair must not keep hundreds of markets for the exchange's life."""
    account = exchange.create_account({"EUR": "1000"}, "idle")
    key, secret = exchange.create_api_key(account=account)
    client = Client(exchange.rest_url, key, secret)
    try:
        for pair in ("DOTEUR", "XXBTZEUR", "ADAEUR"):
            await client.public("Ticker", pair=pair)
        dot = exchange.markets["DOTEUR"]
        await exchange.step()
        traded_to = dot.next_trade_id
        await client.ok("AddOrder", pair="XBT/EUR", type="buy", ordertype="limit",
                        volume="0.001", price="1000")  # fmt: skip
        async with websockets.connect(exchange.ws_url) as ws:
            params = {"channel": "ticker", "symbol": ["ADA/EUR"]}
            await ws.send(json.dumps({"method": "subscribe", "params": params}))
            while json.loads(await ws.recv()).get("method") != "subscribe":
                pass
            exchange.markets.idle_seconds = 0.0  # everything built is now idle
            dropped = exchange.markets.drop_idle(
                {o.pair_key for o in exchange.engine.open_orders()}
            )
            # The resting order's pair and the subscribed pair stay; the originals always do.
            assert dropped == ["DOTEUR"]
            assert {"XXBTZEUR", "ADAEUR", *ORIGINAL} == set(exchange.markets)
        # Asked for again, DOT/EUR is built afresh and its trade ids go on, never repeating.
        ticker = (await client.public("Ticker", pair="DOTEUR"))["result"]["DOTEUR"]
        assert Decimal(ticker["c"][0]) > 0
        assert exchange.markets["DOTEUR"] is not dot
        assert exchange.markets["DOTEUR"].next_trade_id >= traded_to
    finally:
        await client.aclose()
